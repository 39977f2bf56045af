"""Lake checks (``lake/<table>``): the table's GX suite on every monthly partition written in the run (time-based
tables) or on the whole table (the small ones); for dossiers, PAKN and ratings also ``volume_<suite>`` (rows per month
against the previous month and the same month a year earlier; a drop beyond ``CCHC_VOLUME_DROP_WARN``, default 0.5,
is a warning); for dossiers ``completeness_lake_dossiers`` (an agency with dossiers in the previous month has
dossiers this month; warning). A finding on a month the run did not rewrite stays in force (``carry_forward``).

Plain functions that return CheckRecords (a large table's checks run in a worker process, ``in_worker``); the
Dagster check specs and results are in ``quality/assets.py``.
"""


import datetime as dt
import glob
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict

import duckdb
import pandas as pd

from orchestration.lib import lake_schema, layout
from orchestration.lib.settings import Settings
from orchestration.quality.gx_suites import SuiteResult, gx_frame, suite_severities, validate_frame
from orchestration.quality.records import CheckRecord, note_overhead, suite_records, write_outcome

VOLUME_ENV = "CCHC_VOLUME_DROP_WARN"
LAKE_SUITES = {t: f"lake_{t}" for t, (_, folder, _) in lake_schema.TABLES.items() if folder}
TIME_BASED = [t for t, (_, _, part) in lake_schema.TABLES.items() if part]  # dossiers, petitions, ratings


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
# about 2 s of start-up, the committed sample would pay it ten times). The quality gate applies the same threshold to
# the warehouse's observations (quality/assets.py).
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


def in_worker(fn, *args):
    """``fn(*args)`` in a fresh worker process (spawn: a clean interpreter — the orchestrator holds DuckDB
    connections and Dagster's threads); its memory goes back to the system when it exits. ``fn`` returns plain
    data (CheckRecords): Dagster's results do not cross processes."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def lake_check_records(settings: Settings, table: str, months: list[str] | None, run_name: str) -> list[CheckRecord]:
    """Every check of ``lake/<table>`` as written records (the suite, volume and completeness, findings of unchanged
    months carried forward): plain data, so that it can run in a worker process."""
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
    note_overhead(settings, f"lake/{table}", time.perf_counter() - started)
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
