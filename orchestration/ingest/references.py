"""The reference data a landed record is checked against, as DuckDB temp tables of the landing's connection:
agencies (``agencies_ref``), admin units (``known_units``) and the procedure catalogue (``known_procedures``) — the
committed seeds overridden or extended by the raw root's reference files, which are themselves landed first."""

from __future__ import annotations

from orchestration.ingest import pull_state, sql
from orchestration.ingest.errors import FileRejected, QuarantineLimitExceeded
from orchestration.ingest.raw_root import check_inside_raw_root, raw_files
from orchestration.ingest.readers import read_tabular
from orchestration.ingest.tables import SPECS
from orchestration.lib.layout import LakeFiles
from orchestration.lib.settings import SEEDS_DIR, Settings


def landed_reference(settings: Settings, table: str) -> list[str]:
    """Landed Parquet files of the raw root's reference/ files of ``table`` (landing them when new: landing is
    idempotent, so it does not matter which asset lands a reference file first)."""
    # lazy: import cycle — orchestration.ingest.landing imports this module (landing a file checks it against these
    # references, and a reference file is itself landed)
    from orchestration.ingest.landing import land_table_file

    spec = SPECS[table]
    lake = LakeFiles(settings.lake_dir)
    files = []
    for path in raw_files(settings.raw_dir, spec.folder, spec.pattern):
        load = land_table_file(settings, spec, path)
        files.append(str(lake.landed(table, load.sha256)))
    return files


def agencies_reference(con, settings: Settings) -> None:
    """Temp table agencies_ref: the committed seed overridden/extended, key by key (agency_code, valid_from),
    by the raw root's reference/agencies*.csv (a later file in name order wins)."""
    seed = SEEDS_DIR / "agencies.csv"
    con.execute("""CREATE OR REPLACE TEMP TABLE agencies_ref AS
        SELECT agency_code, unit_code, CAST(valid_from AS DATE) AS valid_from, CAST(valid_to AS DATE) AS valid_to
        FROM read_csv($seed, all_varchar=true, header=true)""", {"seed": str(seed)})
    landed = landed_reference(settings, "ref_agencies")
    if landed:
        files = sql.literal_list(landed)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE agencies_raw AS
            SELECT agency_code, unit_code, valid_from, valid_to FROM read_parquet({files}, filename=true)
            QUALIFY row_number() OVER (PARTITION BY agency_code, valid_from
                                       ORDER BY list_position({files}, filename) DESC, _source_record DESC) = 1""")
        con.execute("""CREATE OR REPLACE TEMP TABLE agencies_ref AS
            SELECT * FROM agencies_raw
            UNION ALL
            SELECT * FROM agencies_ref s WHERE NOT EXISTS (
                SELECT 1 FROM agencies_raw r WHERE r.agency_code = s.agency_code AND r.valid_from = s.valid_from)""")


def units_reference(con, settings: Settings, with_agencies: bool = True) -> None:
    """Temp table known_units(unit_code): the admin units of the seed, of the raw root's
    reference/admin_units*.csv when present, and (``with_agencies``) the units of the agencies reference."""
    con.execute("""CREATE OR REPLACE TEMP TABLE known_units AS
        SELECT DISTINCT trim(unit_code) AS unit_code FROM read_csv($seed, all_varchar=true, header=true)""",
                {"seed": str(SEEDS_DIR / "admin_units.csv")})
    for i, path in enumerate(raw_files(settings.raw_dir, "reference", "admin_units*")):
        check_inside_raw_root(settings.raw_dir, path)
        try:
            read_tabular(con, path, f"ref_units_{i}", ["unit_code"])
        except FileRejected as exc:
            raise FileRejected(str(path.relative_to(settings.raw_dir)), exc.rule, exc.detail) from None
        con.execute(f"INSERT INTO known_units SELECT DISTINCT trim(unit_code) FROM ref_units_{i} WHERE trim(unit_code) <> ''")
    if with_agencies:
        agencies_reference(con, settings)
        con.execute("INSERT INTO known_units SELECT DISTINCT unit_code FROM agencies_ref WHERE unit_code IS NOT NULL")


def procedures_reference(con, settings: Settings) -> str | None:
    """Temp table known_procedures(ma_tthc) from the raw root's catalogue (procedures/procedures*) and the source
    database's snapshot. Returns None, or why procedure codes cannot be checked (no catalogue, or one that cannot be
    read: the procedures asset reports that file)."""
    try:
        landed = landed_reference(settings, "procedures")
    except (FileRejected, QuarantineLimitExceeded) as exc:
        return f"the procedure catalogue could not be read ({exc}): procedure codes not checked"
    lake = LakeFiles(settings.lake_dir)  # the source database's catalogue snapshot, when one was pulled
    landed += [str(lake.landed("procedures", d["sha256"])) for d in pull_state.pulled_load_dicts(settings.lake_dir, "procedures")]
    if not landed:
        return "no procedure catalogue in the raw root: procedure codes not checked"
    con.execute(f"CREATE OR REPLACE TEMP TABLE known_procedures AS SELECT DISTINCT ma_tthc FROM read_parquet({sql.literal_list(landed)})")
    return None
