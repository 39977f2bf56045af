"""Dagster ingestion assets (group ``ingest``): one lake table per asset; dossiers land first
(unpartitioned, every new raw file) and are then written per reception month (monthly partitions)."""


import json
from dataclasses import asdict

import dagster as dg
import duckdb

from orchestration.ingest import landing
from orchestration.ingest.tables import SPECS, TableSpec
from orchestration.lib import lake_schema
from orchestration.lib.partitions import monthly
from orchestration.lib.resources import CchcSettings

LAKE_PREFIX = "lake"  # dbt's source `lake` maps its tables onto these asset keys


def _summary_table(loads: list[landing.FileLoad]) -> dg.TableMetadataValue:
    return dg.MetadataValue.table(
        records=[dg.TableRecord({"file": ld.file, "status": ld.status, "read": ld.rows_read, "loaded": ld.rows_loaded,
                                 "quarantined": ld.rows_quarantined, "duplicates": ld.duplicates_dropped,
                                 "reasons": json.dumps(ld.quarantine_reasons, ensure_ascii=False)}) for ld in loads],
        schema=dg.TableSchema(columns=[dg.TableColumn(c, t) for c, t in [
            ("file", "string"), ("status", "string"), ("read", "int"), ("loaded", "int"), ("quarantined", "int"),
            ("duplicates", "int"), ("reasons", "string")]]),
    )


def load_metadata(loads: list[landing.FileLoad], extra: dict | None = None) -> dict:
    meta = {
        "files": len(loads),
        "rows_read": sum(ld.rows_read for ld in loads),
        "rows_loaded": sum(ld.rows_loaded for ld in loads),
        "rows_quarantined": sum(ld.rows_quarantined for ld in loads),
        "duplicates_dropped": sum(ld.duplicates_dropped for ld in loads),
        "loads": _summary_table(loads),
    }
    meta.update(extra or {})
    return meta


def table_asset(spec: TableSpec, deps: list | None = None) -> dg.AssetsDefinition:
    @dg.asset(
        name=spec.table, key_prefix=LAKE_PREFIX, group_name="ingest", deps=deps or [],
        description=f"Lake table `{spec.table}` from raw `{spec.folder}/{spec.pattern}` (typed, NFC, pseudonymised; bad rows quarantined).",
        kinds={"parquet", "duckdb"},
    )
    def _asset(context: dg.AssetExecutionContext, cchc: CchcSettings) -> dg.MaterializeResult:
        settings = cchc.settings()
        files = landing.raw_files(settings.raw_dir, spec.folder, spec.pattern)
        loads = [landing.land_table_file(settings, spec, p) for p in files]
        rows = landing.build_table(settings, spec.table, loads)
        landing.write_inventory(settings, spec.table, (settings.raw_dir / spec.folder).is_dir(), len(loads), rows)
        for ld in loads:
            context.log.info(f"{ld.file}: {ld.status}, read {ld.rows_read}, loaded {ld.rows_loaded}, "
                             f"quarantined {ld.rows_quarantined} {ld.quarantine_reasons or ''}, duplicates {ld.duplicates_dropped}")
        if not files:
            context.log.info(f"source folder '{spec.folder}' has no {spec.pattern} file: indicators from it are published as missing (M)")
        return dg.MaterializeResult(metadata=load_metadata(loads, {"lake_rows": rows, "source_present": bool(files)}))

    return _asset


TABLE_ASSETS = {name: table_asset(spec) for name, spec in SPECS.items()}


def _state_path(settings):
    return settings.lake_dir / "_state" / "dossier_files.json"


def read_dossier_state(settings) -> dict:
    path = _state_path(settings)
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {"loads": [], "pending_months": []}


def write_dossier_state(settings, state: dict) -> None:
    path = _state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")


@dg.asset(
    key_prefix=LAKE_PREFIX, group_name="ingest", deps=[TABLE_ASSETS["ref_agencies"]], kinds={"parquet"},
    description="Every dossier file of the raw root landed once (by sha256): parsed (JSON sync payload or flat export), "
    "checked against the row rules, applicant pseudonymised; rejected records quarantined with file, record, field, value and rule.",
)
def landed_dossier_files(context: dg.AssetExecutionContext, cchc: CchcSettings) -> dg.MaterializeResult:
    settings = cchc.settings()
    files = landing.raw_files(settings.raw_dir, "dossiers")
    loads = []
    for i, path in enumerate(files, 1):
        ld = landing.land_dossier_file(settings, path)
        loads.append(ld)
        context.log.info(f"[{i}/{len(files)}] {ld.file}: {ld.status}, read {ld.rows_read}, loaded {ld.rows_loaded}, "
                         f"quarantined {ld.rows_quarantined} {ld.quarantine_reasons or ''}, duplicates {ld.duplicates_dropped}")
        assert ld.balanced, f"row accounting broken for {ld.file}"
    # Months whose partition must be rewritten: those of files new since the last landing and of files gone.
    state = read_dossier_state(settings)
    before = {d["sha256"]: d for d in state["loads"]}
    now = {ld.sha256: ld for ld in loads}
    changed = {m for sha, ld in now.items() if sha not in before for m in ld.months}
    changed |= {m for sha, d in before.items() if sha not in now for m in d["months"]}
    pending = sorted(set(state.get("pending_months", [])) | changed)
    write_dossier_state(settings, {"loads": [asdict(ld) for ld in loads], "pending_months": pending})
    months = sorted({m for ld in loads for m in ld.months})
    return dg.MaterializeResult(metadata=load_metadata(loads, {
        "months": ", ".join(months), "pending_months": ", ".join(pending),
        "first_month": months[0] if months else "", "last_month": months[-1] if months else "",
    }))


@dg.asset(
    key_prefix=LAKE_PREFIX, name="dossiers", group_name="ingest", deps=[landed_dossier_files],
    partitions_def=monthly, backfill_policy=dg.BackfillPolicy.single_run(), kinds={"parquet"},
    check_specs=[dg.AssetCheckSpec("gx_lake_dossiers", asset=dg.AssetKey([LAKE_PREFIX, "dossiers"]), blocking=True,
                                   description="Great Expectations suite expectations/lake_dossiers.json on every partition written")],
    description="Dossiers by reception month (thang_tiep_nhan): the latest version (NgayCapNhat) of each dossier. "
    "Only months with new or removed files are rewritten.",
)
def lake_dossiers(context: dg.AssetExecutionContext, cchc: CchcSettings):
    from orchestration.quality.checks import check_lake_dossiers

    settings = cchc.settings()
    state = read_dossier_state(settings)
    loads = [landing.FileLoad(**d) for d in state["loads"]]
    in_run = {k[:7] for k in context.partition_keys}
    base = settings.lake_dir / "dossiers"
    present = {m for ld in loads for m in ld.months}
    pending = set(state.get("pending_months", []))
    missing = {m for m in present if not (base / f"{lake_schema.DOSSIER_PARTITION_COLUMN}={m}").exists()}
    months = sorted(in_run & (pending | missing))
    written = landing.build_dossier_partitions(settings, loads, months) if months else {}
    if not loads:
        landing.build_dossier_partitions(settings, loads)
    state["pending_months"] = sorted(pending - set(months))
    write_dossier_state(settings, state)
    context.log.info(f"partitions rewritten: {written or 'none (no change in the months of this run)'}")
    yield dg.MaterializeResult(metadata={"partitions_written": json.dumps(written), "months_in_run": len(in_run)})
    yield check_lake_dossiers(settings, sorted(written))


@dg.asset(
    key_prefix=LAKE_PREFIX, group_name="ingest", deps=[lake_dossiers, *TABLE_ASSETS.values()], kinds={"parquet"},
    description="One row per source: was its folder present in the raw root, how many files and rows it gave. "
    "Indicators of an absent source are published as missing (obs_status M).",
)
def source_inventory(cchc: CchcSettings) -> dg.MaterializeResult:
    settings = cchc.settings()
    state = read_dossier_state(settings)
    rows = duckdb.sql(f"SELECT count(*) FROM read_parquet('{settings.lake_dir}/dossiers/*/*.parquet')").fetchone()[0]
    landing.write_inventory(settings, "dossiers", (settings.raw_dir / "dossiers").is_dir(), len(state["loads"]), rows)
    inventory = duckdb.sql(f"SELECT * FROM read_parquet('{settings.lake_dir}/source_inventory/*.parquet') ORDER BY 1").fetchall()
    return dg.MaterializeResult(metadata={name: f"present={p}, files={f}, rows={r}" for name, p, f, r in inventory})


ASSETS = [*TABLE_ASSETS.values(), landed_dossier_files, lake_dossiers, source_inventory]
