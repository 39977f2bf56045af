"""The raw root (the landing zone): which of its files a lake table is landed from, the check that a file really
lies inside it (a symbolic link out of it is never read), and a file's content hash (its identity in the lake)."""

from __future__ import annotations

import fnmatch
import hashlib
import os
from pathlib import Path

from orchestration.ingest.errors import FileRejected
from orchestration.ingest.tables import SPECS
from orchestration.lib.settings import Settings


def sha256_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()  # streams the file in chunks


def is_json(path: Path) -> bool:
    """A national sync JSON file: ``.json``, or ``.json.gz`` (gzip; DuckDB's reader decompresses it as it reads)."""
    return path.name.lower().endswith((".json", ".json.gz"))


def raw_files(raw_dir: Path, folder: str, pattern: str = "*", suffixes: set[str] | None = None) -> list[Path]:
    """Data files of a raw folder, in name order (extracts are named by date, so name order is delivery order)."""
    base = raw_dir / folder
    if not base.is_dir():
        return []
    out = []
    for p in sorted(base.rglob("*")):
        # a symbolic link is listed even when it dangles, so landing rejects it by name instead of skipping it
        # silently (check_inside_raw_root); links to folders are not followed (Path.rglob)
        if not (p.is_file() or (p.is_symlink() and not p.is_dir())) or p.name.startswith((".", "~$")) \
                or p.suffix.lower() in (".md", ".txt"):
            continue
        if suffixes and p.suffix.lower() not in suffixes:
            continue
        if fnmatch.fnmatch(p.name.lower(), pattern):
            out.append(p)
    return out


def check_inside_raw_root(raw_dir: Path, path: Path) -> None:
    """Raise FileRejected unless ``path``'s real path (links resolved) lies inside the raw root's real path: a
    symbolic link to /etc/… or to another province's extract is never read. The message names the link only —
    neither its target nor a byte of the target's content. A link to nothing stops the run as an unreadable file."""
    root = Path(os.path.realpath(raw_dir))
    real = Path(os.path.realpath(path))
    rel = str(path.relative_to(raw_dir)) if path.is_relative_to(raw_dir) else path.name
    if not real.is_relative_to(root):
        raise FileRejected(rel, "outside_raw_root", "a symbolic link (or a link in its folder path) to a file outside the "
                           "raw root: not read. Copy the file into the raw root instead of linking to it")
    if not real.is_file():
        raise FileRejected(rel, "unreadable_file", "a symbolic link to nothing (its target does not exist or is not a file)")


def table_files(settings: Settings, table: str) -> list[Path]:
    """The raw files a lake table is landed from, in name order (dossiers: every file of dossiers/)."""
    if table == "dossiers":
        return raw_files(settings.raw_dir, "dossiers")
    spec = SPECS[table]
    return raw_files(settings.raw_dir, spec.folder, spec.pattern)
