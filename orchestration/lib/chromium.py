"""Headless Chromium, the one program that prints our self-contained HTML pages to PDF.

The pipeline needs it for the leadership report only; a machine without it gets the HTML and a message saying
the PDF was skipped (never a failed run). ``.ci/run`` installs the Debian package ``chromium``."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = "install the Debian package chromium (apt-get install -y chromium) to get the PDF"


class ChromiumError(RuntimeError):
    pass


def find_chromium() -> str | None:
    """The first Chromium on PATH (Debian's ``chromium``, then the other usual names), else None."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_to_pdf(html: Path, pdf: Path, binary: str, timeout: float = 120) -> Path:
    """Print ``html`` (a local file; nothing is fetched) to ``pdf`` with the page's own @page size and margins and
    no header or footer. Raises ChromiumError with Chromium's last words when it fails."""
    pdf.parent.mkdir(parents=True, exist_ok=True)
    tmp = pdf.with_suffix(".pdf.tmp")
    with tempfile.TemporaryDirectory(prefix="cchc-chromium-") as profile:
        cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--no-pdf-header-footer", "--print-to-pdf-no-header",
               f"--print-to-pdf={tmp}", Path(html).resolve().as_uri()]
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ChromiumError(f"{binary} could not print {html}: {exc}") from exc
    if out.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        raise ChromiumError(f"{binary} could not print {html} (exit {out.returncode}): {out.stderr.strip()[-500:]}")
    tmp.replace(pdf)
    return pdf
