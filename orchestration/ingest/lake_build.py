"""The lake tables, built from the landed files of the raw files present: an unpartitioned table in one file
(``build_table``), a time-based one by month (``build_partitions``, only the months that changed), the current
quarantine and the source inventory. Where each lives: orchestration.lib.layout."""

from __future__ import annotations

import shutil

from orchestration.ingest import sql
from orchestration.ingest.duckdb_io import connect, copy_parquet
from orchestration.ingest.loads import FileLoad
from orchestration.ingest.tables import SPECS
from orchestration.lib import lake_schema, layout
from orchestration.lib.layout import LakeFiles
from orchestration.lib.settings import Settings, limit_memory

QUARANTINE_COLUMNS = lake_schema.QUARANTINE


def months_holding(settings: Settings, table: str, loads: list[FileLoad]) -> set[str]:
    """Months of the lake partitions that currently hold a record whose key appears in the landed files of
    ``loads``: a new version received in another month than the old one (submitted 31 January, received
    1 February) must also rewrite the old version's month, or the dossier would be counted twice."""
    lake = LakeFiles(settings.lake_dir)
    schema, _, part = lake_schema.TABLES[table]
    key = ["ma_ho_so"] if table == "dossiers" else SPECS[table].key
    files = [str(lake.landed(table, ld.sha256)) for ld in loads if lake.landed(table, ld.sha256).exists()]
    base = lake.table_dir(table)
    if not files or not part or not any(base.glob(f"{layout.partition_pattern(part)}/*.parquet")):
        return set()
    con = connect()
    cols = ", ".join(key)
    rows = con.execute(f"""SELECT DISTINCT p.{part} FROM read_parquet($parts, hive_partitioning=true) p
        WHERE ({cols}) IN (SELECT ({cols}) FROM read_parquet({sql.literal_list(files)}))""",
                       {"parts": str(base / layout.partition_pattern(part) / "*.parquet")}).fetchall()
    con.close()
    return {r[0] for r in rows if r[0] and r[0] != layout.EMPTY_PARTITION}


def _present_landed(lake: LakeFiles, table: str, loads: list[FileLoad]) -> list[str]:
    return [str(lake.landed(table, ld.sha256)) for ld in loads]


def build_table(settings: Settings, table: str, loads: list[FileLoad]) -> int:
    """Rebuild lake/<table>/part-0.parquet from the landed files of the raw files present; one row per key,
    the latest file (name order) winning. Returns the row count."""
    lake = LakeFiles(settings.lake_dir)
    con = connect()
    schema = lake_schema.TABLES[table][0]
    files = _present_landed(lake, table, loads)
    out = layout.lake_table_file(settings.lake_dir, table)
    if not files:
        lake_schema.write_empty_table(con, settings.lake_dir, table)
        return 0
    spec = SPECS[table]
    order = {ld.sha256: i for i, ld in enumerate(loads)}
    con.execute("CREATE TEMP TABLE file_order (sha VARCHAR, ord INTEGER)")
    con.executemany("INSERT INTO file_order VALUES (?, ?)", list(order.items()))
    cols = ", ".join(schema)
    copy_parquet(con, f"""SELECT {cols} FROM read_parquet({sql.literal_list(files)}, union_by_name=true) l JOIN file_order f ON f.sha = l._source_sha256
                  QUALIFY row_number() OVER (PARTITION BY {', '.join(spec.key)} ORDER BY f.ord DESC, l._source_record DESC) = 1
                  ORDER BY {', '.join(spec.key)}""", out)  # noqa: E501
    n = con.execute("SELECT count(*) FROM read_parquet($out)", {"out": str(out)}).fetchone()[0]
    con.close()
    return n


def build_partitions(settings: Settings, table: str, loads: list[FileLoad], months: list[str] | None = None) -> dict[str, int]:
    """Rewrite the monthly partitions of a time-based lake table for ``months`` (all when None) from the
    landed files of the raw files present: one row per key, the preferred version winning
    (lake_schema.VERSION_ORDER, then the latest file in name order). Returns rows per partition written."""
    lake = LakeFiles(settings.lake_dir)
    con = connect()
    # DuckDB's default limit is 80 % of the machine: a 20 M year's rewrite took 18.5 GB. Landing a file keeps the
    # default (its JSON reader reserves a buffer as large as the largest object allowed, 2 GB). Beyond the limit the
    # year's ranking spills here, not into the working directory (DuckDB's default for an in-memory database).
    limit_memory(con)
    con.execute(f"SET temp_directory = {sql.literal(str(layout.duckdb_temp_dir(settings.out_dir)))}")
    schema, _, part = lake_schema.TABLES[table]
    key = ["ma_ho_so"] if table == "dossiers" else SPECS[table].key
    base = lake.table_dir(table)
    files = _present_landed(lake, table, loads)
    if not files:
        shutil.rmtree(base, ignore_errors=True)
        lake_schema.write_empty_table(con, settings.lake_dir, table)
        return {}
    con.execute("CREATE TEMP TABLE file_order (sha VARCHAR, ord INTEGER)")
    con.executemany("INSERT INTO file_order VALUES (?, ?)", [(ld.sha256, i) for i, ld in enumerate(loads)])
    keys = ", ".join(key)
    order = ", ".join(filter(None, [lake_schema.VERSION_ORDER.get(table), "f.ord DESC", "l._source_record DESC"]))
    month_expr = f"strftime({lake_schema.PARTITION_MONTH_OF[table]}, '%Y-%m')"
    scope = ""
    if months is not None:
        # Only the records whose key has a version in a month to write (every version of a record sits in its
        # partition month's files; a version that moved month marks both months, see months_holding): the cost
        # of a run grows with the months it rewrites, not with history.
        wanted = set(months)
        wanted_files = _present_landed(lake, table, [ld for ld in loads if wanted & set(ld.months)])
        if not wanted_files:
            con.execute("CREATE TEMP TABLE wanted_keys AS SELECT * FROM (SELECT NULL) WHERE false")
            scope = "WHERE false"
        else:
            con.execute(f"CREATE TEMP TABLE wanted_keys AS SELECT DISTINCT {keys} FROM read_parquet({sql.literal_list(wanted_files)})")
            scope = f"WHERE ({keys}) IN (SELECT ({keys}) FROM wanted_keys)"
    # Narrow pass: which version of each key wins (only the key, version and position columns are read; the file is
    # kept as its position, not its 64-character hash: 23 M winners of a national year fit in a few hundred MB) …
    con.execute(f"""CREATE TEMP TABLE winners AS
        SELECT f.ord, l._source_record AS rec, {month_expr} AS month
        FROM read_parquet({sql.literal_list(files)}) l JOIN file_order f ON f.sha = l._source_sha256 {scope}
        QUALIFY row_number() OVER (PARTITION BY {', '.join('l.' + k for k in key)} ORDER BY {order}) = 1""")
    if months is not None:
        con.execute("DELETE FROM winners WHERE month IS NULL OR NOT list_contains($m, month)", {"m": sorted(set(months))})
    # … wide pass, one month at a time: the winning rows, read only from the landed files that hold one. Never the
    # whole year's wide rows at once (a 20 M year held them in memory: 18.5 GB).
    present = [r[0] for r in con.execute("SELECT DISTINCT month FROM winners WHERE month IS NOT NULL ORDER BY 1").fetchall()]
    written = {}
    for month in present if months is None else months:
        folder = layout.partition_dir(settings.lake_dir, table, part, month)
        shas = [r[0] for r in con.execute(
            "SELECT DISTINCT f.sha FROM winners w JOIN file_order f ON f.ord = w.ord WHERE w.month = ? ORDER BY 1",
            [month]).fetchall()]
        if not shas:
            shutil.rmtree(folder, ignore_errors=True)
            continue
        month_files = [str(lake.landed(table, sha)) for sha in shas]
        copy_parquet(con, f"""SELECT {', '.join('l.' + c for c in schema)}
                       FROM read_parquet({sql.literal_list(month_files)}, union_by_name=true) l
                       JOIN file_order f ON f.sha = l._source_sha256
                       JOIN winners w ON w.ord = f.ord AND w.rec = l._source_record AND w.month = $month
                       ORDER BY {', '.join('l.' + k for k in key)}""", folder / layout.TABLE_FILE, {"month": month})
        written[month] = con.execute("SELECT count(*) FROM winners WHERE month = ?", [month]).fetchone()[0]
    if months is None:  # a full rebuild also removes partitions whose records are gone
        for folder in base.glob(layout.partition_pattern(part)):
            if layout.partition_month(folder) not in present:
                shutil.rmtree(folder)
    empty = layout.partition_dir(settings.lake_dir, table, part, layout.EMPTY_PARTITION)  # the empty table's folder
    if not any(base.glob("*/*.parquet")):
        lake_schema.write_empty_table(con, settings.lake_dir, table)
    elif empty.exists():
        shutil.rmtree(empty)
    con.close()
    return written


def build_dossier_partitions(settings: Settings, loads: list[FileLoad], months: list[str] | None = None) -> dict[str, int]:
    return build_partitions(settings, "dossiers", loads, months)


def write_current_quarantine(settings: Settings, table: str, loads: list[FileLoad]) -> int:
    """lake/quarantine/<table>.parquet: the quarantined records of the raw files present now (the warehouse
    reads them as a queryable table). Returns the number of rows."""
    lake = LakeFiles(settings.lake_dir)
    con = connect()
    out = layout.current_quarantine_file(settings.lake_dir, table)
    files = [str(lake.quarantine(table, ld.sha256)) for ld in loads if lake.quarantine(table, ld.sha256).exists()]
    cols = ", ".join(QUARANTINE_COLUMNS)
    if files:
        copy_parquet(con, f"SELECT {cols} FROM read_parquet({sql.literal_list(files)}) ORDER BY _source_file, _source_record, rule", out)
    else:
        copy_parquet(con, "SELECT " + ", ".join(f"CAST(NULL AS {t}) AS {c}" for c, t in QUARANTINE_COLUMNS.items()) + " LIMIT 0", out)
    n = con.execute("SELECT count(*) FROM read_parquet($out)", {"out": str(out)}).fetchone()[0]
    con.close()
    return n


def write_inventory(settings: Settings, table: str, present: bool, files: int, rows: int) -> None:
    """One row of lake/source_inventory: did the raw root hold any file of the table (its own file pattern, not
    merely its folder) or the source database a snapshot, and how much it gave."""
    con = connect()
    copy_parquet(con, "SELECT $table AS source_name, CAST($present AS BOOLEAN) AS present, CAST($files AS INTEGER) AS files,"
                      " CAST($rows AS BIGINT) AS rows_loaded",
                 layout.inventory_file(settings.lake_dir, table),
                 {"table": table, "present": bool(present), "files": int(files), "rows": int(rows)})
    con.close()
