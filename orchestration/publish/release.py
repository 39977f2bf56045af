"""Releases: immutable folders ``publish/<release_id>/`` and the ``publish/latest`` pointer.

A release is written into a hidden staging folder, renamed into place when every file is written, and only
then is ``latest`` (a symlink) swapped atomically. A run that fails anywhere before that leaves the previous
release and ``latest`` untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from importlib.metadata import version
from pathlib import Path

import duckdb

from orchestration.ingest.pull_state import read_pull_state
from orchestration.lib import layout
from orchestration.lib.settings import REPO_ROOT, Settings, limit_memory
from orchestration.publish.analyst_copy import publish_warehouse_copy
from orchestration.publish.dictionary import write_dictionary
from orchestration.publish.fingerprint import current_inputs, run_fingerprint
from orchestration.publish.formats import copy_csv
from orchestration.publish.group_workbook import group_rows, write_group_workbooks
from orchestration.publish.leadership import write_leadership_reports
from orchestration.publish.parts import (
    LAYOUT_VERSION,
    PART_FILE,
    Part,
    PartSet,
    add_files,
    part_dir,
    part_files,
    plan,
    previous_parts,
    sha256_file,
    table_sql,
    write_parts,
)
from orchestration.publish.parts import summary as parts_summary
from orchestration.publish.revisions import compute_revisions, load_long, load_long_parts, write_revisions_csv
from orchestration.publish.scorecard import write_scorecards
from orchestration.publish.sdmx import write_sdmx_parts, write_sdmx_revisions
from orchestration.publish.sdmx_structure import write_structure
from orchestration.quality.publish_checks import find_relation
from orchestration.quality.records import gate_summary, read_records

# Column order of the published files (DATA_CONTRACT §2.2); the release id is in the manifest and the folder name,
# not on every row.
OBSERVATION_COLUMNS = [
    "formula_version", "indicator_id", "indicator_name_vi", "period_type", "period", "unit_code",
    "unit_valid_from", "unit_level", "unit_name", "agency_code", "ma_linh_vuc", "ma_tthc", "numerator",
    "denominator", "ratio", "points", "max_points", "grade", "rank", "rank_of", "n", "obs_status", "comment",
]
BIEU06_COLUMNS = [
    "period_type", "period", "unit_code", "unit_valid_from", "ma_linh_vuc", "ten_linh_vuc", "received_total",
    "received_online", "received_direct_postal", "carried_over", "resolved_total", "resolved_early",
    "resolved_on_time", "resolved_late", "pending_total", "pending_within_time", "pending_overdue",
]
# Row order of a part's CSV (and of the optional national CSV, where period_type, period come first)
OBSERVATION_ORDER = ("indicator_id, period_type, period, unit_code, unit_valid_from, agency_code NULLS FIRST,"
                     " ma_linh_vuc NULLS FIRST, ma_tthc NULLS FIRST")
BIEU06_ORDER = "period_type, period, unit_code, unit_valid_from, ma_linh_vuc NULLS FIRST"


def output_root_id(publish_dir: Path) -> str:
    """A random id drawn once per output root (``publish/.root_id``): two output roots — two provinces publishing to
    one PostgreSQL database, or a test copy beside production — never produce the same release id, even on the
    same day with the same inputs (DATA_CONTRACT §2.2)."""
    path = layout.root_id_file(publish_dir)
    if path.exists():
        rid = path.read_text(encoding="utf-8").strip()
        if re.fullmatch(r"[0-9a-f]{8}", rid):
            return rid
    publish_dir.mkdir(parents=True, exist_ok=True)
    rid = uuid.uuid4().hex[:8]
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(rid + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return rid


def next_release_id(publish_dir: Path, today: dt.date | None = None) -> str:
    """Release id = date + sequence + the output root's id: 2026-11-27.1-3fa9c2e1, 2026-11-27.2-3fa9c2e1, …
    (releases made before the root id existed, 2026-11-27.1, keep their names and count in the sequence)."""
    today = today or dt.date.today()
    prefix = today.isoformat()
    seqs = []
    for p in publish_dir.glob(f"{prefix}.*"):
        m = re.fullmatch(r"(\d+)(-[0-9a-f]{8})?", p.name.split(".", 1)[1])
        if p.is_dir() and m:
            seqs.append(int(m.group(1)))
    return f"{prefix}.{max(seqs, default=0) + 1}-{output_root_id(publish_dir)}"


def code_version() -> str:
    try:
        out = subprocess.run(["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True, timeout=10)
        if out.returncode == 0:
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass

    return version("cchc")


def _relation(con, name: str) -> str:
    return find_relation(con, name)


def quality_section(settings: Settings, extra: dict | None = None) -> dict:
    """The manifest's ``quality``: every check of the output folder (``<out>/quality/checks/*.json``, written by
    the lake and publish checks) with name, asset, severity, blocking, passed, message and up to 20 details;
    the failed warnings again in ``warnings``; where the Data Docs are."""

    records = read_records(settings.reports_dir)
    checks = [{k: r.get(k) for k in ("name", "asset", "severity", "blocking", "passed", "message", "checked_at")}
              | {"details": (r.get("details") or [])[:20]} for r in records]
    docs = layout.data_docs_index(settings.reports_dir)
    section = {
        "passed": all(c["passed"] for c in checks if c["severity"] == "critical"),
        "summary": gate_summary(records),
        "checks": checks,
        "warnings": [{"check": f"{c['asset']}:{c['name']}", "message": c["message"]} for c in checks
                     if not c["passed"] and c["severity"] != "critical"],
        "data_docs": str(docs.relative_to(settings.out_dir)) if docs.exists() else None,
        "volume_drop_warn": settings.volume_drop_warn,
    }
    if extra:
        section["gate"] = {k: v for k, v in extra.items() if k not in ("checks", "summary")}
    return section


class PartTimes:
    """Wall time of the release's parts, for the run log ("release parts: …"), which the bench's profile reads."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._at = time.perf_counter()

    def done(self, part: str) -> None:
        now = time.perf_counter()
        self.seconds[part] = round(self.seconds.get(part, 0.0) + now - self._at, 2)
        self._at = now

    def line(self) -> str:
        return "release parts: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.items())


def part_sets(con, tables: dict[str, str]) -> list[PartSet]:
    """The release's part sets (orchestration.publish.parts): observations, Biểu 06 and every explain table of the
    warehouse (``tables``: name → schema)."""
    sets = [
        PartSet("observations", _relation(con, "indicator_observations"), tuple(OBSERVATION_COLUMNS), OBSERVATION_ORDER,
                csv="indicator_observations.csv"),
        PartSet("bieu06", _relation(con, "report_bieu06"), tuple(BIEU06_COLUMNS), BIEU06_ORDER,
                csv="report_bieu06.csv", xlsx=True),
    ]
    for name in sorted(t for t in tables if t.startswith("explain_")):
        relation = f'"{tables[name]}"."{name}"'
        cols = [d[0] for d in con.execute(f"DESCRIBE {relation}").fetchall()]
        # a dossier's explain row is keyed by its reception month (it never moves); period-level rows by their period
        period = next((c for c in ("period", "received_month") if c in cols), "'all'")
        sets.append(PartSet(f"explain/{name}", relation, tuple(cols), ", ".join(f'"{c}" NULLS FIRST' for c in cols),
                            period=period))
    return sets


def write_release(settings: Settings, quality: dict | None = None, release_id: str | None = None,
                  log=None) -> Path:
    """Write a complete release from the warehouse (layout v2: parts hard-linked from the previous release when
    their digest is unchanged) and move ``latest`` to it. Returns the release folder.
    ``quality``: extra gate information; the manifest's quality section is built from every check's record.
    ``log``: optional callable(str) told how long each part took."""
    times = PartTimes()
    publish = settings.publish_dir
    publish.mkdir(parents=True, exist_ok=True)
    release_id = release_id or next_release_id(publish)
    remove_leftovers(publish)
    staging = layout.staging_dir(publish, release_id)
    staging.mkdir()
    latest = _current_latest(publish)
    previous = layout.release_dir(publish, latest) if latest and layout.release_dir(publish, latest).is_dir() else None
    prev_manifest = _read_manifest(previous)
    prev = previous_parts(prev_manifest)
    counts = {}
    all_parts: list[Part] = []
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        limit_memory(con)
        obs = _relation(con, "indicator_observations")
        formula_versions = [r[0] for r in con.execute(f"SELECT DISTINCT formula_version FROM {obs} ORDER BY 1").fetchall()]
        # the unit register the release speaks of: codes are keyed by (unit_code, unit_valid_from) since 2025
        units_query = (f"SELECT unit_code, unit_valid_from, unit_valid_to, unit_level, unit_name, parent_code, parent_valid_from,"
                       f" province_code, province_valid_from FROM {_relation(con, 'dim_units')} ORDER BY unit_code, unit_valid_from")
        counts["units.csv"] = copy_csv(con, units_query, staging / "units.csv")
        con.execute(f"CREATE TEMP TABLE _release_units AS {units_query}")
        units = {(u, str(vf)): (name, level) for u, vf, name, level in
                 con.execute("SELECT unit_code, unit_valid_from, unit_name, unit_level FROM _release_units").fetchall()}
        tables = {name: schema for schema, name in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ('publish', 'indicators', 'marts')"
            " ORDER BY table_schema = 'publish', table_schema"  # the publish model wins over its mart
        ).fetchall()}
        # Biểu 06 counts of a running period are provisional (P): a part whose period turned final is rewritten
        bieu06_running = {}
        if "ind_bieu06" in tables:
            bieu06_running = dict(con.execute(
                f'SELECT period, bool_or(is_running) FROM "{tables["ind_bieu06"]}"."ind_bieu06" GROUP BY 1').fetchall())
        # Biểu 06 of a unit's first period after a series break (the 2025 reorganisation) is B, as its indicator rows
        bieu06_breaks = []
        if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'intermediate' "
                       "AND table_name = 'int_unit_periods'").fetchall()[0][0]:
            bieu06_breaks = [list(r) for r in con.execute(
                "SELECT DISTINCT period, unit_code, CAST(unit_valid_from AS VARCHAR) FROM intermediate.int_unit_periods "
                "WHERE is_series_break ORDER BY ALL").fetchall()]
        # what the SDMX files and the revision report need from the warehouse
        definitions = _relation(con, "indicator_definitions")
        unit_measures = dict(con.execute(
            f"SELECT indicator_id, arg_max(unit_measure, formula_version) FROM {definitions} GROUP BY 1").fetchall())
        bieu06_version = (con.execute(f"SELECT max(formula_version) FROM {definitions} WHERE indicator_id LIKE 'BIEU06%'").fetchone()[0]
                          or "TT01-2020")
        # a part's derived files depend on more than its rows: the SDMX files on the units of measure and Biểu 06's
        # formula version, the workbooks on the units' names and levels, all of them on the writers' code
        salt = _derived_files_salt(unit_measures, bieu06_version)
        units_salt = hashlib.sha256(json.dumps(sorted(units.items()), default=str).encode()).hexdigest()[:16]
        for ps in part_sets(con, tables):
            extra = None
            if ps.name == "bieu06":  # a part is rewritten when its status changes (running → final, a break)
                extra = {p: ("running" if r else "final")
                         + "".join(f"|B:{u}@{vf}" for bp, u, vf in bieu06_breaks if bp == p)
                         for p, r in bieu06_running.items()}
            parts, source = plan(con, ps, "_release_units", prev, previous, extra,
                                 salt=salt + ("|" + units_salt if ps.xlsx else ""))
            write_parts(con, ps, parts, source, staging, previous, units)
            all_parts += parts
            counts[ps.name] = sum(p.rows for p in parts)
            times.done(ps.name.split("/")[0] + " parts")
        shutil.rmtree(staging / ".parts-tmp", ignore_errors=True)
        # the SDMX structure message the SDMX-CSV files validate against (dataflows, data structure, code lists)
        write_structure(con, staging / "sdmx", definitions, obs, "_release_units", sorted({*formula_versions, bieu06_version}),
                        sorted({(v or "").upper().replace(" ", "_") for v in unit_measures.values() if v}))
        counts["sdmx/structure.xml"] = 1
        times.done("SDMX structure")
        if settings.national_csv:  # the single national files, optional (DATA_CONTRACT §2.2)
            for ps in part_sets(con, {})[:2]:
                source = table_sql(staging, ps.name)
                if source:
                    query = f"SELECT {', '.join(ps.columns)} FROM {source} ORDER BY {ps.order}"
                    counts[ps.csv] = copy_csv(con, query, staging / ps.csv, neutralised=True)
            times.done("national CSV files")
        if "target_tracking" in tables:
            query = f'SELECT * FROM "{tables["target_tracking"]}"."target_tracking" ORDER BY ALL'
            counts["target_tracking.csv"] = copy_csv(con, query, staging / "target_tracking.csv")
        if "improvement_plan" in tables:  # the latest month and year only (publish.improvement_plan): small
            query = (f'SELECT * FROM "{tables["improvement_plan"]}"."improvement_plan" ORDER BY province_code, '
                     "unit_code, unit_valid_from, period_type, period, formula_version, action_rank")
            counts["improvement_plan.csv"] = copy_csv(con, query, staging / "improvement_plan.csv")
        # per province, its latest month and year: a workbook with a sheet per Decision 766 group (issue 23)

        for book in write_group_workbooks(group_rows(con, obs, definitions, "_release_units"), staging):
            counts[str(book.relative_to(staging))] = 1
        times.done("group workbooks")
        if "ind_peer_benchmarks" in tables:  # small (groups × units × periods): rewritten every release
            query = f'SELECT * FROM "{tables["ind_peer_benchmarks"]}"."ind_peer_benchmarks" ORDER BY ALL'
            counts["peer_benchmarks.csv"] = copy_csv(con, query, staging / "peer_benchmarks.csv")
        # the portal reconciliation of this run (orchestration.publish.reconcile), when the raw root has portal/
        reconciliation = None
        recon_dir = layout.reconciliation_dir(settings.out_dir)
        if (settings.raw_dir / "portal").is_dir() and (recon_dir / layout.RECONCILIATION_CSV).exists():
            shutil.copyfile(recon_dir / layout.RECONCILIATION_CSV, staging / "reconciliation.csv")
            reconciliation = json.loads((recon_dir / layout.RECONCILIATION_JSON).read_text(encoding="utf-8"))
            counts["reconciliation.csv"] = reconciliation["figures"]

        write_dictionary(con, staging, _relation(con, "indicator_definitions"))
    # the run's inputs (raw files present and pulled batches, a re-delivered content marked same_content_as) and the
    # fingerprint the next run compares with to publish nothing when nothing changed (orchestration.publish.fingerprint)

    loads = current_inputs(settings)
    manifest = {
        "release_id": release_id,
        "layout": LAYOUT_VERSION,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "raw_root": settings.raw_dir.name,
        "inputs": loads,
        "run_fingerprint": run_fingerprint(settings, loads),
        "source_database": _source_database(settings),
        "code_version": code_version(),
        "formula_versions": formula_versions,
        "quality": quality_section(settings, quality),
        "row_counts": counts,
        "previous_release": latest,
        "bieu06_running": bieu06_running,
        "bieu06_breaks": bieu06_breaks,
        "reconciliation": reconciliation,  # the portal's figures vs ours (None: no portal/ folder)
    }
    # revisions over the rewritten parts against the previous release (publish/latest before the swap), then the
    # SDMX parts (ACTION=I) and sdmx/revisions.csv (ACTION=R/D)
    manifest["revisions"] = _write_revisions_and_sdmx(staging, previous, prev_manifest, manifest, all_parts, counts,
                                                      unit_measures, bieu06_version, bieu06_running, bieu06_breaks)
    manifest["parts_summary"] = parts_summary(all_parts)
    manifest["parts"] = [p.as_manifest() for p in all_parts]
    manifest["row_counts"] = counts
    times.done("revisions and SDMX")

    layout.release_manifest(staging).write_text(json.dumps(manifest, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    # one self-contained scorecard.html per province (by_province/<code>/, and at the root for a one-province
    # release); it reads the release's own files, manifest included, so it comes last and the manifest lists it

    for page in write_scorecards(staging):
        counts[str(page.relative_to(staging))] = 1
    times.done("scorecards")
    # the one-page leadership report of every province (and of the units asked for), printed by headless Chromium;
    # without Chromium the HTML only, said in the manifest and the run summary — never a failed release

    reports = write_leadership_reports(staging, settings.leadership_units)
    for path in reports.written:
        counts[str(path.relative_to(staging))] = 1
    manifest["leadership_reports"] = reports.as_manifest()
    times.done("leadership reports")
    layout.release_manifest(staging).write_text(json.dumps(manifest, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    final = layout.release_dir(publish, release_id)
    os.rename(staging, final)  # the release appears whole or not at all
    _point_latest(publish, release_id)
    # the analysts' read-only database (views over this release's parts, the marts copied), swapped atomically
    # once the release is complete

    publish_warehouse_copy(settings.warehouse_path, settings.out_dir, release_id, release_dir=final)
    times.done("analysts' database")
    if log:
        log(times.line())
    return final


def _derived_files_salt(unit_measures: dict, bieu06_version: str) -> str:
    """A digest of what every part's derived files depend on besides its rows (see ``write_release``)."""

    here = Path(__file__).parent
    code = [sha256_file(here / name) for name in ("parts.py", "formats.py", "sdmx.py", "../lib/safe_cells.py")]
    return hashlib.sha256(json.dumps([sorted(unit_measures.items()), bieu06_version, code], default=str).encode()).hexdigest()[:16]


def _read_manifest(release: Path | None) -> dict:
    if release is None or not layout.release_manifest(release).exists():
        return {}
    return json.loads(layout.release_manifest(release).read_text(encoding="utf-8"))


def _write_revisions_and_sdmx(staging: Path, previous: Path | None, prev_manifest: dict, manifest: dict,
                              parts: list[Part], counts: dict, unit_measures: dict, bieu06_version: str,
                              bieu06_running: dict, bieu06_breaks: list) -> dict:
    """revisions.csv over the parts this release rewrote (a linked part is the previous file: nothing in it can have
    changed), compared with the previous release's parts of the same keys and its parts that no longer exist; the
    SDMX files of the rewritten parts and sdmx/revisions.csv. Returns the manifest's revision summary."""

    valued = ("observations", "bieu06")
    written = [p for p in parts if p.table in valued and p.state == "written"]
    current_keys = {(p.table, p.province, p.period) for p in parts}
    prev = previous_parts(prev_manifest)

    def files(folder: Path, keys, table: str) -> list[Path]:
        return [folder / part_dir(t, pr, pe) / PART_FILE for t, pr, pe in sorted(keys) if t == table]

    with duckdb.connect() as mem:
        limit_memory(mem)
        keys = {(p.table, p.province, p.period) for p in written}
        load_long_parts(mem, "cur", files(staging, keys, "observations"), files(staging, keys, "bieu06"),
                        bieu06_version, bieu06_running, bieu06_breaks)
        missing = []
        if previous is not None and prev:
            old = {k for k in prev if k[0] in valued and (k in keys or k not in current_keys)}
            wanted = files(previous, old, "observations") + files(previous, old, "bieu06")
            missing = [str(f.relative_to(previous)) for f in wanted if not f.exists()]
            load_long_parts(mem, "prev", [f for f in files(previous, old, "observations") if f.exists()],
                            [f for f in files(previous, old, "bieu06") if f.exists()], bieu06_version,
                            prev_manifest.get("bieu06_running") or {}, prev_manifest.get("bieu06_breaks"))
        elif previous is not None and part_files(previous, "observations"):
            # parts the manifest does not describe (another layout version): nothing was linked, compare all of it
            load_long_parts(mem, "prev", part_files(previous, "observations"), part_files(previous, "bieu06"),
                            bieu06_version, prev_manifest.get("bieu06_running") or {},
                            prev_manifest.get("bieu06_breaks"))
        elif previous is not None:  # a release written before layout v2: compare with all of it
            load_long(mem, previous, "prev", bieu06_version)
        else:
            mem.execute("CREATE TABLE prev AS SELECT * FROM cur WHERE false")
        summary = compute_revisions(mem, previous, manifest)
        summary["compared_parts"] = len(keys)
        # a previous part file gone (deleted by hand): its old values cannot be compared, so say so
        summary["previous_parts_missing"] = missing
        counts["revisions.csv"] = write_revisions_csv(mem, staging / "revisions.csv")
        sdmx_files = write_sdmx_parts(mem, staging, unit_measures)
        counts["sdmx/revisions.csv"] = write_sdmx_revisions(mem, staging / "sdmx" / "revisions.csv", unit_measures)
    by_key = {(p.table, p.province, p.period): p for p in written}
    for key, rels in sdmx_files.items():
        if key in by_key:
            add_files(by_key[key], staging, rels)
    return summary


def _source_database(settings: Settings) -> dict | None:
    """The one-stop database the dossiers were also pulled from (URL masked) and its watermarks; None if none."""

    state = read_pull_state(settings.lake_dir)
    if not state.get("source"):
        return None
    last = (state.get("pulls") or [{}])[-1]
    return {"source": state["source"], "last_pull_finished_at": last.get("finished_at"),
            "rows_read_last_pull": last.get("rows_read"), "watermarks": last.get("watermarks")}


def remove_leftovers(publish: Path) -> list[str]:
    """Remove what a run killed while publishing left behind: a half-written ``.staging-<id>`` folder (or a
    ``.pruning-<id>`` one a killed ``cchc releases --prune`` was removing), a
    ``.latest-<id>`` link never renamed over ``latest``, a ``.warehouse_published.duckdb.<pid>.tmp`` copy. None
    of them is ever read (a release becomes visible only by its rename, ``latest`` only by its swap). Returns the
    names removed."""
    removed = []
    if publish.is_dir():
        for p in sorted(publish.iterdir()):
            if p.name.startswith((layout.STAGING_PREFIX, layout.PRUNING_PREFIX)):  # .pruning-<id>: a prune killed mid-way (retention.py)
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p.name)
            elif p.name.startswith(layout.LATEST_SWAP_PREFIX) and p.is_symlink():
                p.unlink()
                removed.append(p.name)

    for p in layout.analyst_copy_leftovers(publish.parent):
        p.unlink()
        removed.append(p.name)
    return removed


def _current_latest(publish: Path) -> str | None:
    latest = layout.latest_link(publish)
    return os.readlink(latest) if latest.is_symlink() else None


def _point_latest(publish: Path, release_id: str) -> None:
    tmp = layout.latest_swap_link(publish, release_id)
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(release_id, tmp)  # relative target: the publish folder can be moved or copied
    os.replace(tmp, layout.latest_link(publish))  # atomic rename over the old pointer
