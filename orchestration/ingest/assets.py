"""Dagster ingestion assets (group ``ingest``): one lake table per asset; dossiers land first
(unpartitioned, every new raw file) and are then written per reception month (monthly partitions)."""


import json
from dataclasses import asdict

import dagster as dg
import duckdb

from orchestration.ingest import changes, lake_build, pull_state, raw_root, workers
from orchestration.ingest.loads import FileLoad, load_totals
from orchestration.ingest.tables import SPECS, TableSpec
from orchestration.lib import lake_schema, layout
from orchestration.lib.partitions import monthly
from orchestration.lib.resources import CchcSettings
from orchestration.quality.assets import lake_check_specs, run_lake_checks

LAKE_PREFIX = "lake"  # dbt's source `lake` maps its tables onto these asset keys


def _summary_table(loads: list[FileLoad]) -> dg.TableMetadataValue:
    return dg.MetadataValue.table(
        records=[dg.TableRecord({"file": ld.file, "status": ld.status, "read": ld.rows_read, "loaded": ld.rows_loaded,
                                 "quarantined": ld.rows_quarantined, "duplicates": ld.duplicates_dropped,
                                 "reasons": json.dumps(ld.quarantine_reasons, ensure_ascii=False)}) for ld in loads],
        schema=dg.TableSchema(columns=[dg.TableColumn(c, t) for c, t in [
            ("file", "string"), ("status", "string"), ("read", "int"), ("loaded", "int"), ("quarantined", "int"),
            ("duplicates", "int"), ("reasons", "string")]]),
    )


def load_summary(table: str, loads: list[FileLoad]) -> str:
    """The load in plain words: what was read, loaded, quarantined (per rule) and dropped."""
    if not loads:
        return f"{table}: no raw file — the table is empty and indicators from this source are published as missing (M)."
    t = load_totals(loads)
    new = sum(1 for ld in loads if ld.status != "unchanged")
    text = (f"{table}: {t.files} file(s) ({new} new, {t.files - new} already landed); {t.rows_read} record(s) read, "
            f"{t.rows_loaded} loaded, {t.rows_quarantined} quarantined, {t.duplicates_dropped} exact duplicate(s) dropped.")
    if t.quarantine_reasons:
        text += " Quarantined because: " + ", ".join(f"{k} ({v})" for k, v in t.reasons_by_count()) + "."
        worst = [f"{ld.file} ({ld.rows_quarantined}/{ld.rows_read})" for ld in sorted(loads, key=lambda x: -x.rows_quarantined)[:3]
                 if ld.rows_quarantined]
        text += " Most quarantined in: " + ", ".join(worst) + "."
    flags: dict[str, int] = {}
    for ld in loads:
        for k, v in (ld.flags or {}).items():
            flags[k] = flags.get(k, 0) + v
    if flags:
        text += " Kept but flagged: " + ", ".join(f"{k} ({v})" for k, v in sorted(flags.items())) + "."
    notes = [n for ld in loads for n in (ld.notes or [])]
    if notes:
        text += " Notes: " + "; ".join(notes[:5]) + ("…" if len(notes) > 5 else "")
    return text


def load_metadata(loads: list[FileLoad], extra: dict | None = None, table: str = "") -> dict:
    t = load_totals(loads)
    meta = {
        "summary": dg.MetadataValue.text(load_summary(table or (loads[0].table if loads else "?"), loads)),
        "files": t.files,
        "rows_read": t.rows_read,
        "rows_loaded": t.rows_loaded,
        "rows_quarantined": t.rows_quarantined,
        "duplicates_dropped": t.duplicates_dropped,
        "loads": _summary_table(loads),
    }
    meta.update(extra or {})
    return meta


def table_asset(spec: TableSpec, deps: list | None = None) -> dg.AssetsDefinition:
    @dg.asset(
        name=spec.table, key_prefix=LAKE_PREFIX, group_name="ingest", deps=deps or [],
        description=f"Lake table `{spec.table}` from raw `{spec.folder}/{spec.pattern}` (typed, NFC, pseudonymised; bad rows quarantined).",
        kinds={"parquet", "duckdb"}, check_specs=lake_check_specs(spec.table),
    )
    def _asset(context: dg.AssetExecutionContext, cchc: CchcSettings):
        settings = cchc.settings()
        files = raw_root.raw_files(settings.raw_dir, spec.folder, spec.pattern)
        # many files (a national year of quarterly survey waves: 136) are landed by worker processes
        loads = workers.land_files(settings, spec.table, files, min_files_for_pool=8)
        loads += pulled_loads(settings, spec.table)  # the source database's snapshot (procedures), after the files
        rows = lake_build.build_table(settings, spec.table, loads)
        lake_build.write_current_quarantine(settings, spec.table, loads)
        # present = at least one file of this table's own pattern (or a source-database snapshot), not merely its
        # folder: a procedures/ folder without publications* publishes 1_1 and 1_2 as missing (M)
        lake_build.write_inventory(settings, spec.table, bool(loads), len(loads), rows)
        for ld in loads:
            context.log.info(f"{ld.file}: {ld.status}, read {ld.rows_read}, loaded {ld.rows_loaded}, "
                             f"quarantined {ld.rows_quarantined} {ld.quarantine_reasons or ''}, duplicates {ld.duplicates_dropped}")
        if not loads:
            context.log.info(f"source folder '{spec.folder}' has no {spec.pattern} file: indicators from it are published as missing (M)")
        yield dg.MaterializeResult(metadata=load_metadata(loads, {"lake_rows": rows, "source_present": bool(loads)}, spec.table))
        yield from run_lake_checks(settings, spec.table, None, context.run.run_id[:8])

    return _asset


PARTITIONED = [t for t, (_, _, part) in lake_schema.TABLES.items() if part]  # dossiers, petitions, ratings
SOURCE_DB_KEY = dg.AssetKey([LAKE_PREFIX, "source_db_pull"])
TABLE_ASSETS = {name: table_asset(spec, deps=[SOURCE_DB_KEY] if name == "procedures" else None)
                for name, spec in SPECS.items() if name not in PARTITIONED}


@dg.asset(
    key=SOURCE_DB_KEY, group_name="ingest", deps=[TABLE_ASSETS["ref_agencies"]], kinds={"sql", "parquet"},
    description="Incremental pull from a one-stop system's database (CCHC_SOURCE_URL or the secrets file named by "
    "CCHC_SOURCE_URL_FILE; docs/source_db.md): dossiers and ratings changed since the watermark, in bounded batches, and "
    "the procedure catalogue, through the same row rules, pseudonymisation and quarantine as delivered files. "
    "Without a configured database it does nothing (file route only).",
)
def source_db_pull(context: dg.AssetExecutionContext, cchc: CchcSettings) -> dg.MaterializeResult:
    # lazy: source_db loads SQLAlchemy (≈0.3 s), which orchestration.definitions otherwise does not; most runs
    # configure no source database
    from orchestration.ingest import source_db

    settings = cchc.settings()
    url = settings.source_url
    if not url:
        return dg.MaterializeResult(metadata={"summary": dg.MetadataValue.text(
            "no source database configured (CCHC_SOURCE_URL / CCHC_SOURCE_URL_FILE): dossiers come from raw files only")})
    report = source_db.pull(settings, url, log=context.log.info)
    meta = {"summary": dg.MetadataValue.text(report.summary()), "source": report.source}
    for t in report.tables.values():
        meta[f"{t.table}_rows_read"] = t.rows_read
        meta[f"{t.table}_rows_loaded"] = t.rows_loaded
        meta[f"{t.table}_rows_quarantined"] = t.rows_quarantined
        if t.cursor_after:  # the watermark (cursor): last NgayCapNhat / rating time and key read
            meta[f"{t.table}_watermark"] = f"{t.cursor_after[0]} / {t.cursor_after[1]}"
    if report.extra_columns:
        meta["extra_columns_ignored"] = dg.MetadataValue.json(report.extra_columns)
    return dg.MaterializeResult(metadata=meta)


def read_file_state(settings, table: str) -> dict:
    """Landed files of a time-based table and the months still to be (re)written."""
    path = layout.file_state_file(settings.lake_dir, table)
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {"loads": [], "pending_months": []}


def pulled_loads(settings, table: str) -> list[FileLoad]:
    """Batches of ``table`` landed from the source database (none without one), in pull order."""
    return [FileLoad(**d) for d in pull_state.pulled_load_dicts(settings.lake_dir, table)]


def current_loads(settings, table: str) -> list[FileLoad]:
    """Everything a time-based lake table is built from: the raw files present (name order), then the batches
    pulled from the source database (pull order). The latest version of a record wins whatever its route."""
    return [FileLoad(**d) for d in read_file_state(settings, table)["loads"]] + pulled_loads(settings, table)


def write_file_state(settings, table: str, state: dict) -> None:
    path = layout.file_state_file(settings.lake_dir, table)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")


def partitioned_table_assets(table: str, landed_name: str, deps: list):
    """Two assets for a time-based table: ``landed_name`` lands every new raw file (unpartitioned: a
    file may hold many months) and ``<table>`` writes the monthly partitions whose files changed."""
    folder = lake_schema.TABLES[table][1]

    @dg.asset(
        name=landed_name, key_prefix=LAKE_PREFIX, group_name="ingest", deps=deps, kinds={"parquet"},
        description=f"Every `{folder}/` file of the raw root landed once (by sha256): parsed, checked against the row "
        "rules, personal data pseudonymised; rejected records quarantined with file, record, field, value and rule.",
    )
    def landed(context: dg.AssetExecutionContext, cchc: CchcSettings) -> dg.MaterializeResult:
        settings = cchc.settings()
        files = raw_root.table_files(settings, table)

        def on_load(i, ld):
            context.log.info(f"[{i}/{len(files)}] {ld.file}: {ld.status}, read {ld.rows_read}, loaded {ld.rows_loaded}, "
                             f"quarantined {ld.rows_quarantined} {ld.quarantine_reasons or ''}, duplicates {ld.duplicates_dropped}")
            if not ld.balanced:
                raise RuntimeError(f"row accounting broken for {ld.file}: {ld}")

        loads = workers.land_files(settings, table, files, on_load)
        # Months to rewrite: those of files new since the last landing and of files gone; kept until written.
        state = read_file_state(settings, table)
        before = {d["sha256"]: d for d in state["loads"]}
        now = {ld.sha256: ld for ld in loads}
        new_loads = [ld for sha, ld in now.items() if sha not in before]
        changed = {m for ld in new_loads for m in ld.months}
        changed |= lake_build.months_holding(settings, table, new_loads)  # months of the versions they replace
        changed |= {m for sha, d in before.items() if sha not in now for m in d["months"]}
        pending = sorted(set(state.get("pending_months", [])) | changed)
        write_file_state(settings, table, {"loads": [asdict(ld) for ld in loads], "pending_months": pending})
        lake_build.write_current_quarantine(settings, table, loads)
        months = sorted({m for ld in loads for m in ld.months})
        return dg.MaterializeResult(metadata=load_metadata(loads, {
            "months": ", ".join(months), "pending_months": ", ".join(pending),
            "first_month": months[0] if months else "", "last_month": months[-1] if months else "",
        }, table))

    @dg.asset(
        name=table, key_prefix=LAKE_PREFIX, group_name="ingest", deps=[landed, SOURCE_DB_KEY],
        partitions_def=monthly, backfill_policy=dg.BackfillPolicy.single_run(), kinds={"parquet"},
        check_specs=lake_check_specs(table),
        description=f"Lake table `{table}` by month ({lake_schema.TABLES[table][2]}): one row per record, the latest "
        "version winning. Only months of the run whose files changed (or that were never written) are rewritten.",
    )
    def partitions(context: dg.AssetExecutionContext, cchc: CchcSettings):
        settings = cchc.settings()
        state = read_file_state(settings, table)
        loads = current_loads(settings, table)
        in_run = {k[:7] for k in context.partition_keys}
        base = layout.lake_table_dir(settings.lake_dir, table)
        part = lake_schema.TABLES[table][2]
        present = {m for ld in loads for m in ld.months}
        pending = set(state.get("pending_months", [])) | pull_state.pulled_pending_months(settings.lake_dir, table)
        missing = {m for m in present if not layout.partition_dir(settings.lake_dir, table, part, m).exists()}
        months = sorted(in_run & (pending | missing))
        change = None
        # the warehouse's incremental build needs what changed: the months rewritten (every month held, when the
        # table is emptied) and the change frontier
        rewritten = months if loads else sorted(
            m for m in map(layout.partition_month, base.glob(layout.partition_pattern(part))) if m != layout.EMPTY_PARTITION)
        if table == "dossiers" and rewritten:
            change, before = changes.begin(settings, rewritten, context.run.run_id)
        written = lake_build.build_partitions(settings, table, loads, months) if months and loads else {}
        if not loads:  # no file (or no source folder): an empty table, so readers never meet a missing file
            lake_build.build_partitions(settings, table, loads)
        if change is not None:
            change = changes.finish(settings, change, before)
            context.log.info(f"dossier changes: frontier {change['frontier']} ({change['new_dossiers']} new, "
                             f"{change['changed_dossiers']} changed, {change['gone_dossiers']} gone dossiers "
                             f"in {len(rewritten)} month(s))")
        state["pending_months"] = sorted(set(state.get("pending_months", [])) - set(months))
        write_file_state(settings, table, state)
        pull_state.clear_pulled_pending(settings.lake_dir, table, months)
        context.log.info(f"partitions rewritten: {written or 'none (no change in the months of this run)'}")
        summary = (f"{table}: {sum(written.values())} row(s) written in {len(written)} monthly partition(s) "
                   + (", ".join(f"{m} ({n})" for m, n in sorted(written.items())) if written else "")
                   + f"; {len(in_run) - len(written)} month(s) of the run unchanged. "
                   + f"Checks run on the partitions written: expectations/lake_{table}.json, "
                     "volume vs previous month / same month last year.")
        meta = {"summary": dg.MetadataValue.text(summary), "partitions_written": json.dumps(written), "months_in_run": len(in_run)}
        if change is not None:
            meta["change_frontier"] = change["frontier"] or "none"
        yield dg.MaterializeResult(metadata=meta)
        yield from run_lake_checks(settings, table, sorted(written), context.run.run_id[:8])

    return landed, partitions


landed_dossier_files, lake_dossiers = partitioned_table_assets(
    "dossiers", "landed_dossier_files", deps=[TABLE_ASSETS["ref_agencies"]])
landed_petition_files, lake_petitions = partitioned_table_assets("petitions", "landed_petition_files", deps=[])
landed_rating_files, lake_ratings = partitioned_table_assets("ratings", "landed_rating_files", deps=[])
PARTITIONED_ASSETS = [landed_dossier_files, lake_dossiers, landed_petition_files, lake_petitions,
                      landed_rating_files, lake_ratings]


@dg.asset(
    key_prefix=LAKE_PREFIX, group_name="ingest", deps=[lake_dossiers, lake_petitions, lake_ratings, *TABLE_ASSETS.values()],
    kinds={"parquet"},
    description="One row per source: did the raw root hold any file of it (or the source database a snapshot), "
    "how many files and rows it gave. "
    "Indicators of an absent source are published as missing (obs_status M).",
)
def source_inventory(cchc: CchcSettings) -> dg.MaterializeResult:
    settings = cchc.settings()
    for table in PARTITIONED:
        loads = current_loads(settings, table)
        rows = duckdb.sql(f"SELECT count(*) FROM read_parquet('{lake_schema.lake_path(settings.lake_dir, table)}')").fetchall()[0][0]
        lake_build.write_inventory(settings, table, bool(loads) or bool(pulled_loads(settings, table)), len(loads), rows)
    inventory = duckdb.sql(f"SELECT * FROM read_parquet('{layout.inventory_files(settings.lake_dir)}') ORDER BY 1").fetchall()
    return dg.MaterializeResult(metadata={name: f"present={p}, files={f}, rows={r}" for name, p, f, r in inventory})


ASSETS = [*TABLE_ASSETS.values(), source_db_pull, *PARTITIONED_ASSETS, source_inventory]
