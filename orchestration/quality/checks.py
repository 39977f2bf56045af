"""Quality gates: the GX suites as Dagster asset checks, and the quality-gate asset that stands between the
warehouse and publication (group ``quality``).

Every suite's expectations carry a severity. One suite gives up to two asset checks:

* ``gx_<suite>`` — its **critical** expectations: ``AssetCheckSeverity.ERROR``, ``blocking=True`` (a failure
  stops everything downstream, so nothing is published);
* ``gx_<suite>_warnings`` — its **warning** expectations: ``WARN``, not blocking (reported in the manifest).

Lake tables (``lake/<table>``): the table's suite on every monthly partition written in the run (time-based
tables) or on the whole table (the small ones); for dossiers, PAKN and ratings also ``volume_<suite>`` (rows
per month against the previous month and the same month a year earlier; a drop beyond
``CCHC_VOLUME_DROP_WARN``, default 0.5, is a warning); for dossiers ``completeness_lake_dossiers`` (an agency
with dossiers in the previous month has dossiers this month; warning).

Publish tables (on the ``quality_gate`` asset, upstream of ``release``): ``gx_publish_tables`` (critical
expectations of the indicator_observations, report_bieu06 and target_tracking suites), ``gx_publish_tables_warnings``
and ``publish_consistency`` (Biểu 06 invariants, QĐ766 group = sum of rows, TOTAL = sum of groups and ≤ 100;
critical, blocking).

Every check writes ``<out>/quality/checks/<asset>__<check>.json`` (name, asset, severity, passed, message,
details); the release manifest collects them all. The GX results are rendered into HTML Data Docs at
``<out>/quality/data_docs/index.html``.

Environment: ``CCHC_VOLUME_DROP_WARN`` (share, default 0.5), ``CCHC_DATA_DOCS`` (``0`` skips the HTML Data Docs).
"""


import csv
import datetime as dt
import glob
import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.lib import lake_schema, layout
from orchestration.lib.resources import CchcSettings
from orchestration.lib.settings import SEEDS_DIR, Settings, limit_memory
from orchestration.quality.gx_suites import SuiteResult, build_data_docs, store_gx_results, suite_severities, validate_frame, write_results

VOLUME_ENV = "CCHC_VOLUME_DROP_WARN"
LAKE_SUITES = {t: f"lake_{t}" for t, (_, folder, _) in lake_schema.TABLES.items() if folder}
TIME_BASED = [t for t, (_, _, part) in lake_schema.TABLES.items() if part]  # dossiers, petitions, ratings


# --- check records --------------------------------------------------------------------------------------

@dataclass
class CheckRecord:
    name: str
    asset: str
    severity: str  # critical | warning
    passed: bool
    message: str
    details: list[str] = field(default_factory=list)
    rows: int = 0
    batches: list[str] = field(default_factory=list)
    checked_at: str = ""

    @property
    def blocking(self) -> bool:
        return self.severity == "critical"

    def to_dict(self) -> dict:
        return asdict(self) | {"blocking": self.blocking}

    def to_result(self) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(
            check_name=self.name, asset_key=dg.AssetKey(self.asset.split("/")), passed=self.passed,
            severity=dg.AssetCheckSeverity.ERROR if self.severity == "critical" else dg.AssetCheckSeverity.WARN,
            description=self.message,
            metadata={"message": self.message, "severity": self.severity, "rows_validated": self.rows,
                      "batches": ", ".join(self.batches) or "none",
                      "failures" if self.severity == "critical" else "warnings": "\n".join(self.details) or "none",
                      # kept for readers of the earlier metadata layout (cli._run_outcome)
                      "critical_failures": "; ".join(self.details) if self.severity == "critical" and self.details else "none"},
        )


def record_path(reports_dir: Path, asset: str, name: str) -> Path:
    return layout.check_records_dir(reports_dir) / f"{asset.replace('/', '.')}__{name}.json"


def write_record(reports_dir: Path, rec: CheckRecord) -> None:
    rec.checked_at = rec.checked_at or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    path = record_path(reports_dir, rec.asset, rec.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rec.to_dict(), ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def read_records(reports_dir: Path) -> list[dict]:
    """Every check's latest result under ``<out>/quality/checks/`` (what the manifest lists)."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(layout.check_records_dir(reports_dir).glob("*.json"))]


def suite_records(check_base: str, asset: str, results: list[SuiteResult], severities: set[str]) -> list[CheckRecord]:
    """One record per severity of the suite(s): critical → ``check_base``, warning → ``check_base_warnings``."""
    out = []
    for sev in ("critical", "warning"):
        if sev not in severities:
            continue
        failed = [(r, o) for r in results for o in r.failures(sev)]
        details = [f"{r.suite} [{r.batch}]: {o.describe()}" for r, o in failed]
        checked = sum(1 for r in results for o in r.outcomes if o.severity == sev)
        label = "critical expectations" if sev == "critical" else "warning expectations"
        if not results:
            message = f"nothing to validate in this run ({label})"
        elif failed:
            message = f"{len(failed)} of {checked} {label} failed: " + "; ".join(details[:3]) + (" …" if len(details) > 3 else "")
        else:
            message = f"all {checked} {label} passed on {sum(r.rows for r in results)} rows ({len(results)} batch(es))"
            reused = [r for r in results if r.reused_from]
            if reused:
                message += (f"; {len(reused)} unchanged period batch(es) ({sum(r.rows for r in reused)} rows) keep their result"
                            f" of {min(r.reused_from for r in reused)} or later (same rows, same suite: not re-validated)")
        out.append(CheckRecord(name=check_base + ("" if sev == "critical" else "_warnings"), asset=asset, severity=sev,
                               passed=not failed, message=message, details=details, rows=sum(r.rows for r in results),
                               batches=[r.batch for r in results]))
    return out


def finish(settings: Settings, records: list[CheckRecord], results: list[SuiteResult], run_name: str,
           report_name: str, docs: bool = False) -> list[dg.AssetCheckResult]:
    """Write the records and the GX results (JSON; HTML Data Docs rebuilt when ``docs`` or when a check
    failed, so a blocked run has them too — the quality gate and the CLI rebuild them at the end)."""
    return [rec.to_result() for rec in write_outcome(settings, records, results, run_name, report_name, docs)]


def write_outcome(settings: Settings, records: list[CheckRecord], results: list[SuiteResult], run_name: str,
                  report_name: str, docs: bool = False) -> list[CheckRecord]:
    """``finish`` without the Dagster results: returns the records (plain data, which a worker process can hand back)."""
    reports = settings.reports_dir
    for rec in records:
        write_record(reports, rec)
    if results:
        write_results(results, reports, report_name)
        store_gx_results(reports, results, run_name or "run")
    if settings.data_docs and (docs or any(not r.passed for r in records)):
        build_data_docs(reports)
    return records


# --- lake checks ----------------------------------------------------------------------------------------

def lake_check_specs(table: str) -> list[dg.AssetCheckSpec]:
    suite = LAKE_SUITES[table]
    asset = dg.AssetKey(["lake", table])
    sev = suite_severities(suite)
    specs = []
    if "critical" in sev:
        specs.append(dg.AssetCheckSpec(f"gx_{suite}", asset=asset, blocking=True,
                                       description=f"Critical expectations of expectations/{suite}.json "
                                       "(schema, keys, domains, row rules); a failure blocks everything downstream"))
    if "warning" in sev:
        specs.append(dg.AssetCheckSpec(f"gx_{suite}_warnings", asset=asset, blocking=False,
                                       description=f"Warning expectations of expectations/{suite}.json (reported, not blocking)"))
    if table in TIME_BASED:
        specs.append(dg.AssetCheckSpec(f"volume_{suite}", asset=asset, blocking=False,
                                       description="Rows per month vs the previous month and the same month a year earlier: a drop beyond "
                                       f"{VOLUME_ENV} (default 50 %) flags a possible partial extract (warning: Tết dips are real)"))
    if table == "dossiers":
        specs.append(dg.AssetCheckSpec("completeness_lake_dossiers", asset=asset, blocking=False,
                                       description="Every agency with dossiers in the previous month has dossiers this month (warning)"))
    return specs


def _sql_str(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _frame_and_types(con, query: str):
    """(frame, DuckDB types) of a lake table or partition. Text columns become pandas categoricals straight from
    Arrow (``gx_frame``): a month of a national lake is ≈ 2 M dossiers, and as Python strings its frame and GX's
    per-expectation copies peaked at 3.86 GB for one 1.6 M-row month at 20 M dossiers a year, 2.25 GB as categoricals
    (issue 7, docs/benchmarks.md)."""
    types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {query}").fetchall()}
    return gx_frame(con, query), types


def lake_frames(settings: Settings, table: str, months: list[str] | None):
    """(batch, frame, DuckDB types) of a lake table: one per month written (time-based) or the whole table."""
    _, _, part = lake_schema.TABLES[table]
    con = duckdb.connect()
    try:
        if part:
            for month in months or []:
                folder = layout.partition_dir(settings.lake_dir, table, part, month)
                query = (f"SELECT *, {_sql_str(month)} AS {part} "
                         f"FROM read_parquet({_sql_str(str(folder) + '/*.parquet')}, hive_partitioning = false)")
                yield month, *_frame_and_types(con, query)
        else:
            query = f"SELECT * FROM read_parquet({_sql_str(lake_schema.lake_path(settings.lake_dir, table))})"
            yield "all", *_frame_and_types(con, query)
    finally:
        con.close()


def monthly_counts(settings: Settings, table: str) -> dict[str, int]:
    part = lake_schema.TABLES[table][2]
    base = layout.lake_table_dir(settings.lake_dir, table)
    if not any(base.glob(f"{layout.partition_pattern(part)}/*.parquet")):
        return {}
    rows = duckdb.sql(f"SELECT {part}, count(*) FROM read_parquet({_sql_str(str(base) + '/*/*.parquet')}, hive_partitioning=true) "
                      f"WHERE {part} <> '{layout.EMPTY_PARTITION}' GROUP BY 1").fetchall()
    return {str(m): int(n) for m, n in rows}


def _shift(month: str, months: int) -> str:
    y, m = int(month[:4]), int(month[5:7])
    total = y * 12 + (m - 1) + months
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def as_of_month(settings: Settings) -> str | None:
    """Month of the as-of time (CCHC_AS_OF, else the latest NgayCapNhat loaded): that month and later ones are
    still in progress and not judged by the volume/completeness checks."""
    if settings.as_of:
        return settings.as_of[:7]
    path = lake_schema.lake_path(settings.lake_dir, "dossiers")
    try:
        latest = duckdb.sql(f"SELECT max(ngay_cap_nhat) FROM read_parquet({_sql_str(path)})").fetchall()[0][0]
    except duckdb.Error:
        return None
    return latest.strftime("%Y-%m") if latest else None


def volume_frame(counts: dict[str, int], months: list[str] | None = None, current_month: str | None = None):
    """One row per judged month: rows, rows of the previous month and of the same month a year earlier, the
    drops (1 − rows/earlier; None when there is nothing to compare with), and whether the month is complete."""
    import pandas as pd

    judged = sorted(months if months is not None else counts)
    records = []
    for m in judged:
        rows = counts.get(m, 0)
        prev, last_year = counts.get(_shift(m, -1)), counts.get(_shift(m, -12))
        records.append({
            "month": m, "rows": rows, "previous_month_rows": prev, "same_month_last_year_rows": last_year,
            "drop_vs_previous_month": round(1 - rows / prev, 4) if prev else None,
            "drop_vs_same_month_last_year": round(1 - rows / last_year, 4) if last_year else None,
            "complete": current_month is None or m < current_month,
        })
    frame = pd.DataFrame.from_records(records, columns=["month", "rows", "previous_month_rows", "same_month_last_year_rows",
                                                        "drop_vs_previous_month", "drop_vs_same_month_last_year", "complete"])
    for c in ("drop_vs_previous_month", "drop_vs_same_month_last_year"):
        frame[c] = frame[c].astype("float64")
    return frame


def check_volume(settings: Settings, table: str, months: list[str] | None, counts: dict[str, int] | None = None,
                 current_month: str | None = "auto") -> tuple[CheckRecord, SuiteResult]:
    counts = monthly_counts(settings, table) if counts is None else counts
    current = as_of_month(settings) if current_month == "auto" else current_month
    frame = volume_frame(counts, months, current)
    threshold = settings.volume_drop_warn
    result = validate_frame("lake_volume", frame, f"{table}", parameters={"max_drop": threshold})
    failed = result.warnings + result.critical_failures
    details = []
    for o in failed:
        for ex in o.examples[:12]:
            details.append(f"{o.description}: {ex} (drop beyond {threshold:.0%}: possible partial extract — or a Tết dip)")
    judged = [m for m, c in zip(frame["month"], frame["complete"]) if c]
    if failed:
        message = f"{len(details)} month(s) of {table} dropped by more than {threshold:.0%}: " + "; ".join(details[:3])
    elif not judged:
        message = f"no complete month of {table} to judge in this run (the month in progress is not judged)"
    else:
        message = f"{table}: no drop beyond {threshold:.0%} in {', '.join(judged)} vs the previous month / same month a year earlier"
    rec = CheckRecord(name=f"volume_lake_{table}", asset=f"lake/{table}", severity="warning", passed=not failed,
                      message=message, details=details, rows=len(frame), batches=list(frame["month"]))
    return rec, result


def completeness_frame(settings: Settings, months: list[str] | None, current_month: str | None):
    """Per agency and judged month: dossiers this month and in the previous month (agencies present before only)."""
    import pandas as pd

    path = layout.lake_table_dir(settings.lake_dir, "dossiers")
    cols = ["agency", "month", "rows", "previous_month_rows"]
    if not any(path.glob("*/*.parquet")):
        return pd.DataFrame(columns=cols)
    counts = duckdb.sql(f"SELECT ma_don_vi_xu_ly, thang_tiep_nhan, count(*) FROM read_parquet({_sql_str(str(path) + '/*/*.parquet')}, "
                        f"hive_partitioning=true) WHERE thang_tiep_nhan <> '{layout.EMPTY_PARTITION}' GROUP BY ALL").fetchall()
    by = {(a, str(m)): n for a, m, n in counts}
    agencies = sorted({a for a, _ in by if a})
    judged = sorted(months if months is not None else {m for _, m in by})
    records = [{"agency": a, "month": m, "rows": by.get((a, m), 0), "previous_month_rows": by.get((a, _shift(m, -1)), 0)}
               for m in judged if current_month is None or m < current_month for a in agencies
               if by.get((a, _shift(m, -1)), 0) > 0]
    return pd.DataFrame.from_records(records, columns=cols)


def check_completeness(settings: Settings, months: list[str] | None) -> tuple[CheckRecord, SuiteResult]:
    frame = completeness_frame(settings, months, as_of_month(settings))
    result = validate_frame("lake_dossiers_completeness", frame, "dossiers")
    failed = result.warnings + result.critical_failures
    details = [f"{o.description}: {ex}" for o in failed for ex in o.examples[:20]]
    n = sum(o.unexpected_count or 0 for o in failed)
    message = (f"{n} agency-month(s) with dossiers in the previous month and none this month: " + "; ".join(details[:3])
               if failed else f"every agency with dossiers in the previous month has dossiers this month ({len(frame)} agency-months)")
    rec = CheckRecord(name="completeness_lake_dossiers", asset="lake/dossiers", severity="warning", passed=not failed,
                      message=message, details=details, rows=len(frame), batches=sorted(set(frame["month"])) if len(frame) else [])
    return rec, result


# Lake rows above which a table's checks run in a worker process: the suites validate pandas frames of the lake
# (GX cannot read DuckDB), and a process keeps much of that memory after the frames are freed — 284 MB of 1 M
# dossiers' checks after gc and malloc_trim, measured (docs/benchmarks.md, run 8) — which the orchestrator then held
# through dbt and the release. A worker returns it all when it exits; small tables stay in-process (a worker costs
# about 2 s of start-up, the committed sample would pay it ten times).
LAKE_CHECK_WORKER_ROWS = 200_000


def lake_rows(settings: Settings, table: str, months: list[str] | None) -> int:
    """Rows the lake checks of ``table`` would read (Parquet metadata only)."""
    _, _, part = lake_schema.TABLES[table]
    if part:
        paths = [str(layout.partition_dir(settings.lake_dir, table, part, m) / "*.parquet") for m in months or []
                 if any(layout.partition_dir(settings.lake_dir, table, part, m).glob("*.parquet"))]
    else:
        path = str(lake_schema.lake_path(settings.lake_dir, table))
        paths = [path] if glob.glob(path) else []
    if not paths:
        return 0
    with duckdb.connect() as con:
        return con.execute(f"SELECT count(*) FROM read_parquet({paths!r}, hive_partitioning = false)").fetchone()[0]


def run_lake_checks(settings: Settings, table: str, months: list[str] | None = None, run_name: str = "") -> list[dg.AssetCheckResult]:
    """Every check of ``lake/<table>``: the suite on each partition written (``months``) or the whole table,
    then volume and completeness for the time-based tables — in a worker process when the table is large
    (``LAKE_CHECK_WORKER_ROWS``), so that the memory of its pandas frames goes back to the system."""
    if lake_rows(settings, table, months) > LAKE_CHECK_WORKER_ROWS:
        records = in_worker(_run_lake_checks, settings, table, months, run_name)
    else:
        records = _run_lake_checks(settings, table, months, run_name)
    return [rec.to_result() for rec in records]


def in_worker(fn, *args):
    """``fn(*args)`` in a fresh worker process (spawn: a clean interpreter — the orchestrator holds DuckDB
    connections and Dagster's threads); its memory goes back to the system when it exits. ``fn`` returns plain
    data (CheckRecords): Dagster's results do not cross processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def _run_lake_checks(settings: Settings, table: str, months: list[str] | None, run_name: str) -> list[CheckRecord]:
    suite = LAKE_SUITES[table]
    started = time.perf_counter()
    results = [validate_frame(suite, frame, batch, types=types) for batch, frame, types in lake_frames(settings, table, months)]
    records = suite_records(f"gx_{suite}", f"lake/{table}", results, suite_severities(suite))
    if table in TIME_BASED:
        rec, res = check_volume(settings, table, months)
        records.append(rec)
        results.append(res)
    if table == "dossiers":
        rec, res = check_completeness(settings, months)
        records.append(rec)
        results.append(res)
    if lake_schema.TABLES[table][2]:
        records = [carry_forward(settings, table, rec, months or []) for rec in records]
    out = write_outcome(settings, records, results, run_name, f"gx_lake_{table}")
    _note_overhead(settings, f"lake/{table}", time.perf_counter() - started)
    return out


def carry_forward(settings: Settings, table: str, rec: CheckRecord, evaluated: list[str]) -> CheckRecord:
    """A finding stays in force until its month's data changes (issue 22): the checks of a monthly lake table judge
    only the months the run rewrote, so the findings of the other months present — kept per month in
    ``<out>/quality/lake_months/<asset>__<check>.json`` — are added to the record, marked with when they were found.
    A month rewritten replaces its findings; a month gone from the lake drops them."""
    part = lake_schema.TABLES[table][2]
    path = settings.reports_dir / "lake_months" / f"{rec.asset.replace('/', '.')}__{rec.name}.json"
    store = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    for month in evaluated:
        # GX details name their batch "[2023-02]", the volume and completeness ones "month=2023-02"
        store[month] = {"checked_at": now, "details": [d for d in rec.details if f"[{month}]" in d or f"month={month}" in d]}
    present = {layout.partition_month(p) for p in layout.lake_table_dir(settings.lake_dir, table).glob(layout.partition_pattern(part))}
    store = {m: e for m, e in sorted(store.items()) if m in present}
    kept = [(m, e) for m, e in store.items() if m not in evaluated and e["details"]]
    if kept:
        old = [f"{d} (found {e['checked_at']}; month unchanged since)" for m, e in kept for d in e["details"]]
        note = (f"{len(old)} finding(s) of {len(kept)} unchanged month(s) still in force "
                f"({', '.join(m for m, _ in kept)})")
        rec = CheckRecord(**{**asdict(rec), "passed": False, "details": rec.details + old,
                             "message": note + ": " + "; ".join(old[:3]) if rec.passed else f"{rec.message}; {note}",
                             "batches": sorted(set(rec.batches) | {m for m, _ in kept})})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(store, ensure_ascii=False, indent=1), encoding="utf-8")
    return rec


def check_lake_dossiers(settings: Settings, months: list[str]) -> list[dg.AssetCheckResult]:
    return run_lake_checks(settings, "dossiers", months)


def _note_overhead(settings: Settings, what: str, seconds: float) -> None:
    """Seconds spent in the quality checks of this output folder (GX overhead, reported by the CLI)."""
    path = layout.overhead_file(settings.reports_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except ValueError:
        data = {}
    data[what] = round(seconds, 3)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


# --- publish checks -------------------------------------------------------------------------------------

PUBLISH_TABLES = {"indicator_observations": "publish_indicator_observations", "report_bieu06": "publish_report_bieu06",
                  "target_tracking": "publish_target_tracking"}
TOLERANCE = 0.01  # points: group sums are rounded


def find_relation(con, name: str) -> str:
    row = con.execute(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = ? "
        "ORDER BY table_schema = 'publish' DESC, table_schema LIMIT 1", [name]
    ).fetchone()
    if not row:
        raise RuntimeError(f"table {name} not found in the warehouse: did the dbt build run?")
    return f'"{row[0]}"."{name}"'


def _has_relation(con, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()[0])


def publish_query(con, table: str) -> str:
    rel = find_relation(con, table)
    if table != "indicator_observations":
        return f"SELECT * FROM {rel}"
    defs = find_relation(con, "indicator_definitions")
    # SIPAS criterion (TC) and expectation (MD) rows share the SIPAS definition
    return f"""
        SELECT o.*, d.unit_measure, d.indicator_id IS NOT NULL AS defined
        FROM {rel} o
        LEFT JOIN (SELECT DISTINCT indicator_id, formula_version, unit_measure FROM {defs}) d
          ON d.formula_version = o.formula_version
         AND d.indicator_id = CASE WHEN o.indicator_id LIKE 'SIPAS\\_TC\\_%' ESCAPE '\\'
                                     OR o.indicator_id LIKE 'SIPAS\\_MD\\_%' ESCAPE '\\' THEN 'SIPAS' ELSE o.indicator_id END"""


def bieu06_identities() -> list[tuple[str, str, list[str], str]]:
    """(rule, total column, part columns, description) of each Biểu 06 identity, from the seed
    ``bieu06_identities.csv`` — defined once: dbt's test assert_bieu06_invariants reads the same seed."""
    with open(SEEDS_DIR / "bieu06_identities.csv", encoding="utf-8", newline="") as fh:
        return [(r["rule"], r["total_column"], r["part_columns"].split(";"), r["description"]) for r in csv.DictReader(fh)]


def consistency_query(con, per_period: bool = False) -> str:
    """One row per checked relation; ``violation`` is NULL when it holds, else what is wrong (with the key).
    ``per_period``: only the rows of the period given as the named parameters ``$period_type`` and ``$period``
    (every rule compares rows of one period)."""
    b06 = find_relation(con, "report_bieu06")
    obs = find_relation(con, "indicator_observations")
    defs = find_relation(con, "indicator_definitions")
    key_b = "b.period || ' ' || b.unit_code || coalesce(' ' || b.ma_linh_vuc, '')"
    key_o = ("g.period || ' ' || g.unit_code || coalesce(' agency ' || g.agency_code, '') || coalesce(' field ' || g.ma_linh_vuc, '')"
             " || coalesce(' tthc ' || g.ma_tthc, '')")

    def b06_rule(rule, lhs, rhs, text):
        return (f"SELECT '{rule}' AS rule, CASE WHEN coalesce({lhs}, 0) <> {' + '.join(f'coalesce({c}, 0)' for c in rhs)} "
                f"THEN {key_b} || ': {text} ' || coalesce({lhs}, 0) || ' ≠ ' || ({' + '.join(f'coalesce({c}, 0)' for c in rhs)}) "
                f"END AS violation FROM {b06} b")

    in_period = "period_type = $period_type AND period = $period" if per_period else "true"
    b06 = f"(SELECT * FROM {b06} WHERE {in_period})"
    b06_rules = "\n    UNION ALL ".join(b06_rule(rule, f"b.{total}", [f"b.{c}" for c in parts], f"{text}:")
                                       for rule, total, parts, text in bieu06_identities())
    return f"""
    WITH o AS (SELECT * FROM {obs} WHERE indicator_id LIKE 'QD766%' AND {in_period}),
    members AS (SELECT DISTINCT indicator_id, group_id FROM {defs} WHERE group_id LIKE 'QD766%'),
    sums AS (SELECT m.group_id, o.formula_version, o.period_type, o.period, o.unit_code, o.unit_valid_from, o.agency_code,
                    o.ma_linh_vuc, o.ma_tthc, sum(o.points) AS pts, string_agg(o.indicator_id, '+' ORDER BY o.indicator_id) AS rows
             FROM o JOIN members m USING (indicator_id) GROUP BY ALL),
    groups AS (SELECT g.*, s.pts, s.rows FROM o g
               LEFT JOIN sums s ON s.group_id = g.indicator_id AND s.formula_version = g.formula_version
                AND s.period_type = g.period_type AND s.period = g.period AND s.unit_code = g.unit_code
                AND s.unit_valid_from = g.unit_valid_from AND s.agency_code IS NOT DISTINCT FROM g.agency_code
                AND s.ma_linh_vuc IS NOT DISTINCT FROM g.ma_linh_vuc AND s.ma_tthc IS NOT DISTINCT FROM g.ma_tthc
               WHERE g.indicator_id IN (SELECT group_id FROM members))
    {b06_rules}
    UNION ALL
    SELECT CASE WHEN g.indicator_id = 'QD766_TOTAL' THEN 'qd766_total_eq_sum_of_groups' ELSE 'qd766_group_eq_sum_of_rows' END,
           CASE WHEN abs(coalesce(g.points, 0) - coalesce(g.pts, 0)) > {TOLERANCE}
                THEN g.indicator_id || ' ' || {key_o} || ': points ' || coalesce(round(g.points, 4)::VARCHAR, 'NULL')
                     || ' ≠ ' || coalesce(g.rows, '(no rows)') || ' = ' || coalesce(round(g.pts, 4)::VARCHAR, '0') END
    FROM groups g
    UNION ALL
    SELECT 'qd766_total_le_100', CASE WHEN g.points > 100 + {TOLERANCE} THEN 'QD766_TOTAL ' || {key_o} || ': ' || g.points || ' > 100' END
    FROM o g WHERE g.indicator_id = 'QD766_TOTAL'
    """


def publish_chunk_rows() -> int:
    """A publish table above this many rows is validated period by period (``CCHC_GX_CHUNK_ROWS``, 1,000,000)."""
    return int(os.environ.get("CCHC_GX_CHUNK_ROWS", "1000000"))


class ValidatedPeriods:
    """Results of publish-table periods that passed every expectation, keyed by the period's fingerprint (row count
    and an order-free sum of row hashes), under ``<out>/quality/gx_validated/<table>.json``. Only a result with no
    failure at all is kept, and only for the same suite file and column types: a failing or warned period is
    validated again on every run, so its messages stay current."""

    def __init__(self, reports_dir: Path, table: str, suite: str, types: dict[str, str]):
        from importlib.metadata import version

        from orchestration.quality.gx_suites import load_suite_json

        self.path = reports_dir / "gx_validated" / f"{table}.json"
        # what a stored result depends on besides the rows: the suite file, the column types, the GX version
        self.signature = hashlib.sha256(json.dumps([load_suite_json(suite), types, version("great_expectations")],
                                                   sort_keys=True).encode()).hexdigest()
        stored = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
        self.periods = stored.get("periods", {}) if stored.get("signature") == self.signature else {}
        self.kept: dict[str, dict] = {}

    def reuse(self, batch: str, rows: int, fingerprint: str) -> SuiteResult | None:
        old = self.periods.get(batch)
        if not old or old["fingerprint"] != fingerprint or old["result"]["rows"] != rows:
            return None
        self.kept[batch] = old
        return SuiteResult.from_dict(old["result"], reused_from=old["validated_at"])

    def remember(self, result: SuiteResult, fingerprint: str) -> None:
        if all(o.success for o in result.outcomes):
            self.kept[result.batch] = {"fingerprint": fingerprint,
                                       "validated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                                       "result": result.to_dict()}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"signature": self.signature, "periods": self.kept}, ensure_ascii=False, default=str), encoding="utf-8")
        tmp.replace(self.path)


def gx_frame(con, query: str, params: list | None = None):
    """A table (a lake partition, a publish table or one period of it) as the frame GX validates. Text columns
    become pandas categoricals straight from Arrow: these tables repeat a few codes millions of times, and GX's
    pandas engine copies the frame's rows for every expectation — with Arrow-backed strings that copying and
    DuckDB's conversion were 100 of the gate's 173 s at 1 M dossiers (issue 7 profile)."""
    # a relation (DuckDB 2.0: Arrow from an execute() result is an extra copy), after finishing any result the
    # caller left unread on the connection (2.0 refuses a relation while one is pending)
    con.complete()
    table = con.sql(query, params=params or None).to_arrow_table()
    return table.to_pandas(strings_to_categorical=True)


def publish_results(settings: Settings) -> tuple[list[SuiteResult], SuiteResult]:
    """GX results of the publish suites and of the consistency suite, on a read-only warehouse connection."""
    results = []
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        limit_memory(con)
        for table, suite in PUBLISH_TABLES.items():
            if table == "target_tracking" and not _has_relation(con, table):
                continue
            types = {r[0]: r[1] for r in con.execute(f"DESCRIBE {find_relation(con, table)}").fetchall()}
            query = publish_query(con, table)
            rows = con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
            if rows <= publish_chunk_rows() or "period" not in types:
                results.append(validate_frame(suite, gx_frame(con, query), table, types=types))
                continue
            # A national release holds millions of observations: validated one period at a time (every key of the
            # suites includes the period), so memory follows the largest period, not the table (issue 7: the whole
            # 13M-row table as one pandas frame took 18 GB at 1M dossiers).
            # A period whose rows are exactly those already validated (same fingerprint, same suite and types) keeps
            # its stored result: a new month re-validates the periods it changed, not the whole history.
            store = ValidatedPeriods(settings.reports_dir, table, suite, types)
            for period_type, period, n, fingerprint in con.execute(
                    f"SELECT period_type, period, count(*), CAST(sum(hash(*COLUMNS(*))::HUGEINT) AS VARCHAR) FROM ({query})"
                    " GROUP BY 1, 2 ORDER BY 1, 2").fetchall():
                batch = f"{table} {period_type} {period}"
                reused = store.reuse(batch, n, fingerprint)
                if reused is not None:
                    results.append(reused)
                    continue
                frame = gx_frame(con, f"SELECT * FROM ({query}) WHERE period_type = ? AND period = ?", [period_type, period])
                results.append(validate_frame(suite, frame, batch, types=types))
                del frame
                store.remember(results[-1], fingerprint)
            store.save()
        consistency = consistency_frame(con)
    return results, validate_frame("publish_consistency", consistency, "warehouse")


def consistency_frame(con):
    """The relations of ``consistency_query`` for the whole warehouse, computed one period at a time: at 20 M
    dossiers a year the single query (a group sum and a join over every QĐ766 observation) ran out of DuckDB's 4 GB
    memory limit and blocked the run (issue 7); per period, memory follows the largest period."""
    import pyarrow as pa

    b06, obs = find_relation(con, "report_bieu06"), find_relation(con, "indicator_observations")
    periods = con.execute(f"SELECT period_type, period FROM {obs} UNION SELECT period_type, period FROM {b06} ORDER BY ALL").fetchall()
    if not periods:  # nothing to check: the columns, no rows
        return gx_frame(con, consistency_query(con))
    query = consistency_query(con, per_period=True)
    con.complete()  # see gx_frame
    parts = [con.sql(query, params={"period_type": pt, "period": p}).to_arrow_table() for pt, p in periods]
    return pa.concat_tables(parts).to_pandas(strings_to_categorical=True)


def publish_records(results: list[SuiteResult], consistency: SuiteResult) -> list[CheckRecord]:
    records = suite_records("gx_publish_tables", "quality_gate", results, {"critical", "warning"})
    failed = consistency.critical_failures + consistency.warnings
    details = [f"{o.description}: {o.unexpected_count} violation(s), e.g. {[str(x) for x in o.examples[:5]]}" for o in failed]
    records.append(CheckRecord(
        name="publish_consistency", asset="quality_gate", severity="critical", passed=not failed,
        message=("cross-table consistency broken: " + "; ".join(details[:3])) if failed else
        f"all {len(consistency.outcomes)} consistency rules hold ({consistency.rows} relations checked: Biểu 06 columns, "
        "QĐ766 groups = sum of rows, TOTAL = sum of groups ≤ 100)",
        details=details, rows=consistency.rows, batches=["warehouse"]))
    return records


def source_periods_record(settings: Settings) -> CheckRecord:
    """Warning: survey respondents or ratings dated in no published period (METHODOLOGY §5 — they follow their own
    dates; rows outside every period are landed but count in no value, so the run summary names the source)."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute(
            f"SELECT source_name, counted, records, first_date, last_date, published_from, published_to "
            f"FROM {find_relation(con, 'int_source_rows_outside_periods')} WHERE records > 0 ORDER BY source_name").fetchall()
    details = [f"{src}: {n} {what} dated {first}…{last} fall in no published period ({pf}…{pt}): landed, counted in no value"
               for src, what, n, first, last, pf, pt in rows]
    return CheckRecord(
        name="source_rows_in_published_periods", asset="quality_gate", severity="warning", passed=not rows,
        message="; ".join(details) if rows else "every survey respondent and rating falls in a published period",
        details=details, rows=sum(r[2] for r in rows), batches=["warehouse"])


QUALITY_CHECK_SPECS = [
    dg.AssetCheckSpec("gx_publish_tables", asset="quality_gate", blocking=True,
                      description="Critical expectations of the publish suites (indicator_observations, report_bieu06, "
                      "target_tracking): schema, keys, domains, ranges; a failure blocks publication"),
    dg.AssetCheckSpec("gx_publish_tables_warnings", asset="quality_gate", blocking=False,
                      description="Warning expectations of the publish suites (reported in the release manifest)"),
    dg.AssetCheckSpec("publish_consistency", asset="quality_gate", blocking=True,
                      description="Cross-table consistency: Biểu 06 col3 = col7 + col11 = col4 + col5 + col6, col7 = 8 + 9 + 10, "
                      "col11 = 12 + 13; QĐ766 group = sum of its rows; TOTAL = CKMB + TDGQ + DVTT + MDSH + MDHL and ≤ 100"),
    dg.AssetCheckSpec("source_rows_in_published_periods", asset="quality_gate", blocking=False,
                      description="Survey respondents and ratings dated in no published period are named (warning): "
                      "they follow their own dates, and rows outside every period count in no value"),
]


def gate_summary(records: list[CheckRecord | dict]) -> str:
    recs = [r if isinstance(r, dict) else r.to_dict() for r in records]
    blocked = [r for r in recs if not r["passed"] and r["severity"] == "critical"]
    warned = [r for r in recs if not r["passed"] and r["severity"] != "critical"]
    lines = [f"{len(recs)} checks: {len(recs) - len(blocked) - len(warned)} passed, {len(blocked)} blocking failure(s), "
             f"{len(warned)} warning(s)."]
    for r in blocked:
        lines.append(f"BLOCKED by {r['asset']}:{r['name']} — {r['message']}")
    for r in warned:
        lines.append(f"warning {r['asset']}:{r['name']} — {r['message']}")
    return "\n".join(lines)


def _gate_records(settings: Settings, run_name: str) -> list[CheckRecord]:
    results, consistency = publish_results(settings)
    records = publish_records(results, consistency) + [source_periods_record(settings)]
    return write_outcome(settings, records, [*results, consistency], run_name, "gx_publish_tables", docs=True)


@dg.asset(
    group_name="quality", deps=[dg.AssetKey(["publish", t]) for t in ["indicator_observations", "report_bieu06", "target_tracking"]],
    check_specs=QUALITY_CHECK_SPECS,
    description="Validates the publish tables of the warehouse with Great Expectations (read-only connection) "
    "before anything is published; results under <out>/quality/ (checks/*.json, Data Docs in data_docs/index.html).",
    kinds={"great_expectations"},
)
def quality_gate(context: dg.AssetExecutionContext, cchc: CchcSettings):
    settings = cchc.settings()
    started = time.perf_counter()
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute(f"SELECT count(*) FROM {find_relation(con, 'indicator_observations')}").fetchone()[0]
    # the suites validate pandas frames of the publish tables: a large warehouse's gate runs in a worker process,
    # whose memory goes back to the system before the release is written (LAKE_CHECK_WORKER_ROWS)
    run = (lambda *a: in_worker(_gate_records, *a)) if rows > LAKE_CHECK_WORKER_ROWS else _gate_records
    checks = [rec.to_result() for rec in run(settings, context.run.run_id[:8])]
    _note_overhead(settings, "quality_gate", time.perf_counter() - started)
    all_records = read_records(settings.reports_dir)
    summary = gate_summary(all_records)
    (settings.reports_dir / "quality_gate.json").write_text(json.dumps(
        {"summary": summary, "checks": all_records}, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    context.log.info(summary)
    yield dg.MaterializeResult(metadata={
        "summary": dg.MetadataValue.md(summary.replace("\n", "\n\n")),
        "results": str(settings.reports_dir / "gx_publish_tables.json"),
        "data_docs": str(layout.data_docs_index(settings.reports_dir)),
    })
    yield from checks
