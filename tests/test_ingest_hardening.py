"""Hardening of ingestion (issue 19, points 1–5) where the bad-input corpus does not fit: symbolic links out of
the raw root, reader messages that would quote personal data, temporary plain-text copies, the source URL in the
run's start line. Real files on disk, real DuckDB, the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.lib.secrets import mask_url

CCHC = str(Path(sys.executable).with_name("cchc"))


# ------------------------------------------------------------------------------------ 4. the source URL printed
@pytest.mark.parametrize("url, shown", [
    ("u:SECRET@host/x", "(not shown)"),  # SQLAlchemy cannot parse it: which part is the password is unknown
    ("postgresql://u:SECRET@127.0.0.1:9/x", "postgresql://u:***@127.0.0.1:9/x"),  # parsed: password masked
])
def test_the_run_start_line_never_prints_a_source_url_password(tmp_path, url, shown):
    """The real CLI (nothing listens on port 9: the pull fails fast): the start line shows the URL masked or
    ``(not shown)``, and the password appears nowhere in the output, failures included."""
    env = {**os.environ, "CCHC_SOURCE_RETRIES": "1", "CCHC_SOURCE_RETRY_SECONDS": "0"}
    run = subprocess.run([CCHC, "run", "--source-url", url, "--out", str(tmp_path / "out")],
                         capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode != 0
    first = run.stdout.splitlines()[0]
    assert first.startswith("cchc run:") and f"source database {shown} " in first, first
    assert "SECRET" not in run.stdout + run.stderr


def test_mask_url_hides_what_it_cannot_parse():
    assert mask_url("u:SECRET@host/x") == "(not shown)"
    assert mask_url("host=db password=SECRET") == "(not shown)"  # a libpq key=value string
    assert mask_url("postgresql://u:p@SECRET@host/db") == "(not shown)"  # '@' unencoded: parses as host 'SECRET@host'
    assert mask_url("postgresql://u:SECRET@host/db?password=SECRET") == "postgresql://u:***@host/db?password=***"
    assert mask_url("sqlite:////data/onestop.sqlite") == "sqlite:////data/onestop.sqlite"
