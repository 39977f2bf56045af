"""Publish checks, run by the ``quality_gate`` asset before anything is published: the GX suites of the publish tables
(``gx_publish_tables`` and ``gx_publish_tables_warnings``: the critical and warning expectations of the
indicator_observations, report_bieu06 and target_tracking suites; a large table is validated period by period and an
unchanged period keeps its earlier passing result), ``publish_consistency`` (Biểu 06 invariants, QĐ766 group = sum of
rows, TOTAL = sum of groups and ≤ 100; critical) and ``source_rows_in_published_periods`` (warning) — all on a
read-only warehouse connection.

Plain functions that return CheckRecords (``gate_records`` runs in a worker process for a large warehouse); the gate
asset and its check specs are in ``quality/assets.py``.
"""


import csv
import datetime as dt
import hashlib
import json
import os
from importlib.metadata import version
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.lib.settings import SEEDS_DIR, Settings, limit_memory
from orchestration.quality.gx_suites import SuiteResult, gx_frame, load_suite_json, validate_frame
from orchestration.quality.records import CheckRecord, suite_records, write_outcome

PUBLISH_TABLES = {"indicator_observations": "publish_indicator_observations", "report_bieu06": "publish_report_bieu06",
                  "target_tracking": "publish_target_tracking"}
TOLERANCE = 0.01  # points: group sums are rounded


def find_relation(con, name: str) -> str:
    """The quoted relation of a warehouse table: the ``publish`` schema's when there is one."""
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


def gate_records(settings: Settings, run_name: str) -> list[CheckRecord]:
    """Every check of the quality gate as written records (Data Docs rebuilt): plain data, so that it can run in a
    worker process."""
    results, consistency = publish_results(settings)
    records = publish_records(results, consistency) + [source_periods_record(settings)]
    return write_outcome(settings, records, [*results, consistency], run_name, "gx_publish_tables", docs=True)
