"""What a release was made from, and whether a run would make the same release again.

A release's ``manifest.json`` carries a **run fingerprint**: a digest of

* the **inputs** — the raw files present in the run and the batches pulled from a source database, by table and
  sha256 (not by name: a file delivered again under another name is the same input), in the order the lake reads
  them (a later file wins a tie);
* the **code** — every file of ``orchestration/``, the dbt project (models, macros, seeds, tests, settings) and
  the Great Expectations suites, and the versions of every installed package;
* the **settings that change values** — the as-of time, the pseudonymisation key (only inside the digest), the
  quarantine limits, the longest accepted text, the volume-drop warning threshold, the DuckDB storage format.

``cchc run`` computes the fingerprint once the raw files are landed (their sha256 are known then) and publishes
nothing when it equals ``publish/latest``'s and that release's publication is complete (``unchanged_since``).

The manifest's ``inputs`` list every input of the run with its sha256 and row accounting; a file whose content
is the same as an earlier file's (listed before it, or landed earlier under another name) says so in
``same_content_as``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import duckdb

from orchestration.lib import layout
from orchestration.lib.settings import DBT_PROJECT_DIR, EXPECTATIONS_DIR, REPO_ROOT, Settings

CODE_PARTS = [REPO_ROOT / "orchestration", DBT_PROJECT_DIR / "models", DBT_PROJECT_DIR / "macros",
              DBT_PROJECT_DIR / "seeds", DBT_PROJECT_DIR / "tests", DBT_PROJECT_DIR / "dbt_project.yml",
              DBT_PROJECT_DIR / "profiles.yml", EXPECTATIONS_DIR]
# Environment settings read by the run that can change a published value, a quality outcome or a file's format.
VALUE_SETTINGS = ("CCHC_DUCKDB_STORAGE_VERSION",)
LOAD_KEYS = ("rows_read", "rows_loaded", "rows_quarantined", "duplicates_dropped", "extract_time")


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()  # streams the file in chunks


def current_inputs(settings: Settings) -> list[dict]:
    """Every input of the run in the order the lake reads them: per lake table (name order), the raw files present
    and then the batches pulled from a source database. Time-based tables (dossiers, PAKN, ratings) come from the
    landing's own record of the run's files (``lake/_state/<table>_files.json``: no second hash of big extracts);
    the small other tables are hashed here. Each entry: table, file, sha256, the row accounting of its landing and,
    for a content seen before under another name, ``same_content_as``."""
    # lazy: this module is also reached from `cchc releases --prune` (retention → analyst_copy_release), which needs
    # none of ingestion: orchestration.ingest.assets loads Dagster (≈0.7 s), the others ≈15 ms
    from orchestration.ingest import pull_state
    from orchestration.ingest.assets import PARTITIONED, read_file_state
    from orchestration.ingest.raw_root import table_files
    from orchestration.ingest.tables import SPECS

    found: list[tuple[str, str, str]] = []
    for table in sorted(set(SPECS) | set(PARTITIONED)):
        if table in PARTITIONED:
            found += [(table, d["file"], d["sha256"]) for d in read_file_state(settings, table)["loads"]]
        else:
            for path in table_files(settings, table):
                found.append((table, path.relative_to(settings.raw_dir).as_posix(), _sha256(path)))
        found += [(table, d["file"], d["sha256"]) for d in pull_state.pulled_load_dicts(settings.lake_dir, table)]
    inputs, first_name = [], {}
    lake = layout.LakeFiles(settings.lake_dir)
    for table, file, sha in found:
        entry = {"table": table, "file": file, "sha256": sha}
        manifest = lake.manifest(table, sha)
        landed = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {}
        entry |= {k: landed.get(k) for k in LOAD_KEYS}
        earlier = first_name.setdefault((table, sha), file)
        if earlier != file:
            entry["same_content_as"] = earlier
        elif landed.get("file") and landed["file"] != file:
            entry["same_content_as"] = landed["file"]  # landed in an earlier run under that name
        inputs.append(entry)
    # the portal's published figures (never an input of a value, but of the release's reconciliation.csv)
    portal = settings.raw_dir / "portal"
    if portal.is_dir():
        inputs += [{"table": "portal", "file": p.relative_to(settings.raw_dir).as_posix(), "sha256": _sha256(p)}
                   for p in sorted(portal.iterdir()) if p.is_file()]
    return inputs


def _digest(items) -> str:
    h = hashlib.sha256()
    for item in items:
        h.update(repr(item).encode())
        h.update(b"\0")
    return h.hexdigest()


def inputs_digest(inputs: list[dict]) -> str:
    """The contents read, in reading order; a content read again (same sha256, another name) adds nothing."""
    seen, order = set(), []
    for i in inputs:
        if (i["table"], i["sha256"]) not in seen:
            seen.add((i["table"], i["sha256"]))
            order.append((i["table"], i["sha256"]))
    return _digest(order)


def code_digest() -> str:
    files = []
    for part in CODE_PARTS:
        if part.is_dir():
            files += sorted(p for p in part.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                            and p.suffix not in (".pyc", ".pyo"))
        elif part.exists():
            files.append(part)
    packages = sorted(f"{d.metadata['Name']}=={d.version}".lower() for d in metadata.distributions()
                      if d.metadata["Name"] and d.metadata["Name"].lower() != "cchc")
    return _digest([(str(f.relative_to(REPO_ROOT)), _sha256(f)) for f in files] + packages)


def settings_digest(settings: Settings) -> str:
    return _digest([
        ("as_of", settings.as_of or ""),
        ("pseudonym_key", hashlib.sha256(settings.pseudonym_key.encode()).hexdigest()),
        ("max_quarantine_share", settings.max_quarantine_share),
        ("max_quarantine_min_records", settings.max_quarantine_min_records),
        ("max_text_length", settings.max_text_length),
        ("national_csv", settings.national_csv),  # the release's files differ
        ("volume_drop_warn", settings.volume_drop_warn),  # the manifest's warnings differ
        ("leadership_units", ",".join(settings.leadership_units)),  # the release's files differ
        *((name, os.environ.get(name, "")) for name in VALUE_SETTINGS),
    ])


def run_fingerprint(settings: Settings, inputs: list[dict] | None = None) -> dict:
    """{"digest": …, "inputs": …, "code": …, "settings": …} (hex sha256 each; ``digest`` covers the three)."""
    parts = {"inputs": inputs_digest(current_inputs(settings) if inputs is None else inputs),
             "code": code_digest(), "settings": settings_digest(settings)}
    return {"digest": _digest(sorted(parts.items())), **parts}


@dataclass(frozen=True)
class Unchanged:
    """The answer to "would this run publish the same release as ``latest``?"."""

    release_id: str | None  # publish/latest's release (None: no release yet)
    unchanged: bool  # inputs, code and settings as when that release was made, and its publication complete
    reason: str  # why not (what changed, or what is missing), or what was the same

    def line(self) -> str:
        if self.unchanged:
            return f"nothing changed since release {self.release_id}"
        return f"publishing a new release: {self.reason}"


def unchanged_since_latest(settings: Settings) -> Unchanged:
    """Compare this run's fingerprint with ``publish/latest``'s manifest. Unchanged only when everything that
    makes the release is the same AND the release's publication finished: the analysts' copy of the warehouse is
    that release's (a run killed between moving ``latest`` and swapping the copy publishes again)."""
    latest = layout.latest_link(settings.publish_dir)
    if not latest.is_symlink() or not layout.release_manifest(latest).exists():
        return Unchanged(None, False, "no release yet")
    manifest = json.loads(layout.release_manifest(latest).read_text(encoding="utf-8"))
    release_id = manifest.get("release_id") or os.readlink(latest)
    before = manifest.get("run_fingerprint") or {}
    if not before.get("digest"):
        return Unchanged(release_id, False, f"release {release_id} records no run fingerprint")
    now = run_fingerprint(settings)
    changed = [part for part in ("inputs", "code", "settings") if before.get(part) != now[part]]
    if changed or before["digest"] != now["digest"]:
        return Unchanged(release_id, False, f"{', '.join(changed) or 'fingerprint'} changed since release {release_id}")
    copy_of = analyst_copy_release(settings)
    if copy_of != release_id:
        return Unchanged(release_id, False, f"inputs, code and settings unchanged since release {release_id}, but the "
                                            f"analysts' warehouse copy is {copy_of or 'missing'}: its publication did not finish")
    return Unchanged(release_id, True, "inputs, code and settings unchanged")


def analyst_copy_release(settings: Settings) -> str | None:
    """The release id recorded in ``warehouse_published.duckdb`` (None when absent or unreadable)."""
    path = layout.analyst_copy_path(settings.out_dir)
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute("SELECT release_id FROM _published.release").fetchall()[0][0]
    except (duckdb.Error, IndexError):
        return None
