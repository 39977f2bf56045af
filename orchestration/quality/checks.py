"""Blocking quality gates: the GX suites as Dagster asset checks, and the quality-gate asset that stands
between the warehouse and publication (group ``quality``)."""


import json

import dagster as dg
import duckdb

from orchestration.lib import lake_schema
from orchestration.lib.resources import CchcSettings
from orchestration.lib.settings import Settings
from orchestration.quality.gx_suites import SuiteResult, validate_frame, write_results


def _check_result(check_name: str, asset_key: dg.AssetKey, results: list[SuiteResult]) -> dg.AssetCheckResult:
    critical = [(r.batch, o.describe()) for r in results for o in r.critical_failures]
    warnings = [(r.batch, o.describe()) for r in results for o in r.warnings]
    return dg.AssetCheckResult(
        check_name=check_name, asset_key=asset_key, passed=not critical,
        severity=dg.AssetCheckSeverity.ERROR if critical else dg.AssetCheckSeverity.WARN,
        metadata={
            "batches_validated": len(results),
            "rows_validated": sum(r.rows for r in results),
            "critical_failures": "; ".join(f"{b}: {d}" for b, d in critical) or "none",
            "warnings": "; ".join(f"{b}: {d}" for b, d in warnings) or "none",
        },
    )


def check_lake_dossiers(settings: Settings, months: list[str]) -> dg.AssetCheckResult:
    """GX suite lake_dossiers on every partition written in this run."""
    results = []
    con = duckdb.connect()
    for month in months:
        path = settings.lake_dir / "dossiers" / f"{lake_schema.DOSSIER_PARTITION_COLUMN}={month}" / "part-0.parquet"
        frame = con.execute(f"SELECT *, '{month}' AS {lake_schema.DOSSIER_PARTITION_COLUMN} FROM read_parquet('{path}')").df()
        results.append(validate_frame("lake_dossiers", frame, month))
    write_results(results, settings.reports_dir, "gx_lake_dossiers")
    return _check_result("gx_lake_dossiers", dg.AssetKey(["lake", "dossiers"]), results)


PUBLISH_TABLES = {"indicator_observations": "publish_indicator_observations"}


def find_relation(con, name: str) -> str:
    row = con.execute(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = ? ORDER BY table_schema LIMIT 1", [name]
    ).fetchone()
    if not row:
        raise RuntimeError(f"table {name} not found in the warehouse: did the dbt build run?")
    return f'"{row[0]}"."{name}"'


@dg.asset(
    group_name="quality", deps=[dg.AssetKey(["publish", t]) for t in ["indicator_observations", "report_bieu06"]],
    check_specs=[dg.AssetCheckSpec("gx_publish_tables", asset="quality_gate", blocking=True,
                                   description="GX suites on the publish tables; a critical failure blocks publication")],
    description="Validates the publish tables of the warehouse with Great Expectations (read-only connection) "
    "before anything is published; results are kept under <out>/quality/.",
    kinds={"great_expectations"},
)
def quality_gate(context: dg.AssetExecutionContext, cchc: CchcSettings):
    settings = cchc.settings()
    results = []
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        for table, suite in PUBLISH_TABLES.items():
            frame = con.execute(f"SELECT * FROM {find_relation(con, table)}").df()
            results.append(validate_frame(suite, frame, table))
        # Biểu 06 invariant, checked again on the table we are about to publish (also a dbt test)
        bad = con.execute(
            f"SELECT count(*) FROM {find_relation(con, 'report_bieu06')} WHERE received_total <> resolved_total + pending_total"
        ).fetchone()[0]
    path = write_results(results, settings.reports_dir, "gx_publish_tables")
    summary = {r.suite: {"rows": r.rows, "critical": [o.describe() for o in r.critical_failures],
                         "warnings": [o.describe() for o in r.warnings]} for r in results}
    summary["bieu06_invariant_violations"] = bad
    (settings.reports_dir / "quality_gate.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    yield dg.MaterializeResult(metadata={"results": str(path), "bieu06_invariant_violations": bad})
    check = _check_result("gx_publish_tables", dg.AssetKey(["quality_gate"]), results)
    if bad:
        check = dg.AssetCheckResult(check_name="gx_publish_tables", passed=False, severity=dg.AssetCheckSeverity.ERROR,
                                    metadata={**check.metadata, "bieu06_invariant_violations": bad})
    yield check
