"""The quality checks as Dagster sees them: the asset checks of the lake tables (run by the ingest assets) and the
``quality_gate`` asset (group ``quality``) that stands between the warehouse and publication.

Every suite's expectations carry a severity. One suite gives up to two asset checks:

* ``gx_<suite>`` — its **critical** expectations: ``AssetCheckSeverity.ERROR``, ``blocking=True`` (a failure
  stops everything downstream, so nothing is published);
* ``gx_<suite>_warnings`` — its **warning** expectations: ``WARN``, not blocking (reported in the manifest).

What each check judges: ``quality/lake_checks.py`` (lake tables: suites, volume, completeness) and
``quality/publish_checks.py`` (publish tables, on the gate: suites, cross-table consistency, source periods). Every
check writes ``<out>/quality/checks/<asset>__<check>.json`` (``quality/records.py``); the release manifest collects
them all. The GX results are rendered into HTML Data Docs at ``<out>/quality/data_docs/index.html``.

Environment: ``CCHC_VOLUME_DROP_WARN`` (share, default 0.5), ``CCHC_DATA_DOCS`` (``0`` skips the HTML Data Docs).
"""


import json
import time

import dagster as dg
import duckdb

from orchestration.lib import layout
from orchestration.lib.resources import CchcSettings
from orchestration.lib.settings import Settings
from orchestration.quality.gx_suites import suite_severities
from orchestration.quality.lake_checks import (
    LAKE_CHECK_WORKER_ROWS,
    LAKE_SUITES,
    TIME_BASED,
    VOLUME_ENV,
    in_worker,
    lake_check_records,
    lake_rows,
)
from orchestration.quality.publish_checks import find_relation, gate_records
from orchestration.quality.records import CheckRecord, gate_summary, note_overhead, read_records


def check_result(rec: CheckRecord) -> dg.AssetCheckResult:
    """The Dagster asset-check result of a check record."""
    return dg.AssetCheckResult(
        check_name=rec.name, asset_key=dg.AssetKey(rec.asset.split("/")), passed=rec.passed,
        severity=dg.AssetCheckSeverity.ERROR if rec.severity == "critical" else dg.AssetCheckSeverity.WARN,
        description=rec.message,
        metadata={"message": rec.message, "severity": rec.severity, "rows_validated": rec.rows,
                  "batches": ", ".join(rec.batches) or "none",
                  "failures" if rec.severity == "critical" else "warnings": "\n".join(rec.details) or "none",
                  # kept for readers of the earlier metadata layout (cli._run_outcome)
                  "critical_failures": "; ".join(rec.details) if rec.severity == "critical" and rec.details else "none"},
    )


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


def run_lake_checks(settings: Settings, table: str, months: list[str] | None = None, run_name: str = "") -> list[dg.AssetCheckResult]:
    """Every check of ``lake/<table>``: the suite on each partition written (``months``) or the whole table,
    then volume and completeness for the time-based tables — in a worker process when the table is large
    (``LAKE_CHECK_WORKER_ROWS``), so that the memory of its pandas frames goes back to the system."""
    if lake_rows(settings, table, months) > LAKE_CHECK_WORKER_ROWS:
        records = in_worker(lake_check_records, settings, table, months, run_name)
    else:
        records = lake_check_records(settings, table, months, run_name)
    return [check_result(rec) for rec in records]


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
    run = (lambda *a: in_worker(gate_records, *a)) if rows > LAKE_CHECK_WORKER_ROWS else gate_records
    checks = [check_result(rec) for rec in run(settings, context.run.run_id[:8])]
    note_overhead(settings, "quality_gate", time.perf_counter() - started)
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
