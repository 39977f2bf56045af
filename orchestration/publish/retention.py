"""Release retention (DATA_CONTRACT §2.2 "Retention"): list the releases of an output root with the bytes each holds
on its own, pin releases, and prune the old ones — never ``latest``, never a pinned one.

A release's *own* bytes are those of its files no other release shares: a part hard-linked from (or into) another
release costs nothing more, so pruning a release frees exactly its own bytes (the shared files survive in the other
release). Pins are a plain list of release ids in ``publish/pinned.txt`` (a release folder is immutable: no marker
is written into it).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from orchestration.lib import layout
from orchestration.lib.settings import Settings


@dataclass
class ReleaseInfo:
    release_id: str
    created_at: str
    files: int
    own_bytes: int  # files held by this release alone (st_nlink = 1)
    total_bytes: int  # every file of the release, shared ones included
    is_latest: bool
    pinned: bool


def _latest(publish: Path) -> str | None:
    latest = layout.latest_link(publish)
    return os.readlink(latest) if latest.is_symlink() else None


def pinned(publish: Path) -> set[str]:
    path = layout.pinned_file(publish)
    if not path.exists():
        return set()
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def _write_pins(publish: Path, ids: set[str]) -> None:
    path = layout.pinned_file(publish)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text("".join(f"{i}\n" for i in sorted(ids)), encoding="utf-8")
    os.replace(tmp, path)


def release_dirs(publish: Path) -> list[Path]:
    """Complete releases (a folder with its manifest; staging leftovers start with a dot), oldest first."""
    if not publish.is_dir():
        return []
    found = [p for p in publish.iterdir()
             if p.is_dir() and not p.is_symlink() and not p.name.startswith(".") and layout.release_manifest(p).exists()]
    return sorted(found, key=lambda p: (_created_at(p), p.name))


def _created_at(release: Path) -> str:
    try:
        return str(json.loads(layout.release_manifest(release).read_text(encoding="utf-8")).get("created_at") or "")
    except (OSError, ValueError):
        return ""


def list_releases(publish: Path) -> list[ReleaseInfo]:
    latest, pins = _latest(publish), pinned(publish)
    out = []
    for rel in release_dirs(publish):
        files = own = total = 0
        for p in rel.rglob("*"):
            if p.is_file() and not p.is_symlink():
                st = p.stat()
                files += 1
                total += st.st_size
                own += st.st_size if st.st_nlink == 1 else 0
        out.append(ReleaseInfo(rel.name, _created_at(rel), files, own, total, rel.name == latest, rel.name in pins))
    return out


def pin(publish: Path, release_id: str, on: bool = True) -> None:
    if on and not layout.release_manifest(layout.release_dir(publish, release_id)).exists():
        raise ValueError(f"no release {release_id} under {publish}")
    ids = pinned(publish)
    _write_pins(publish, ids | {release_id} if on else ids - {release_id})


def analysts_release(publish: Path) -> str | None:
    """The release the analysts' database reads (its views point into that release's parts)."""
    # lazy: fingerprint loads DuckDB (≈80 ms), which only --prune needs: `cchc releases` lists without it
    from orchestration.publish.fingerprint import analyst_copy_release

    return analyst_copy_release(Settings(raw_dir=publish.parent, out_dir=publish.parent))


def prune(publish: Path, keep: int, dry_run: bool = False) -> list[ReleaseInfo]:
    """Remove every release but the newest ``keep``, ``latest``, the pinned ones and the one the analysts' database
    reads (a run killed between moving ``latest`` and swapping that database leaves it on the previous release).
    Returns the removed releases."""
    if keep < 1:
        raise ValueError("keep must be at least 1 (latest is always kept)")
    releases = list_releases(publish)
    newest = {r.release_id for r in releases[-keep:]} | {analysts_release(publish)}
    doomed = [r for r in releases if r.release_id not in newest and not r.is_latest and not r.pinned]
    if not dry_run:
        for r in doomed:
            # renamed first, then removed: a reader never sees a half-deleted release under its own name
            trash = layout.pruning_dir(publish, r.release_id)
            os.replace(layout.release_dir(publish, r.release_id), trash)
            shutil.rmtree(trash)
    return doomed


def format_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} GB"
