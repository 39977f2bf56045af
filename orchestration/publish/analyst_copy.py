"""The analysts' read-only database: ``<out>/warehouse_published.duckdb`` — without a second full warehouse copy.

After a release is complete (renamed into place and ``latest`` moved), a small DuckDB file is built beside the
warehouse, checked by opening it read-only, then swapped in with ``os.replace`` (atomic on POSIX). Analysts open it
with ``duckdb.connect(path, read_only=True)``: they never touch ``warehouse.duckdb``, so they never meet the
pipeline's write lock, and a connection opened before the swap keeps reading the previous file. It holds the
warehouse's relations under their own names (docs/analyst_queries.md), each in the cheapest faithful way:

* a table the release publishes as Parquet parts (``publish.indicator_observations``, ``publish.report_bieu06``,
  ``indicators.explain_*``) is a **view over the release's parts** (the release is immutable; no byte copied);
* a ``staging`` table (the dossiers as the warehouse keeps them) is left out: analysts query the marts (the staging
  views, which read the lake's Parquet, are kept);
* an ``intermediate`` or ``indicators`` table larger than ``ANALYST_MAX_COPY_ROWS`` (the dossier × period tables,
  the scored values the release publishes as ``publish.indicator_observations``) is left out;
* every other table (marts, reference, small intermediate and indicator tables) is copied;
* every view is re-created from its SQL when what it reads is there.

What was left out is listed in ``_published.omitted`` (relation, rows, why): those are in the pipeline's warehouse.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from orchestration.lib import layout
from orchestration.lib.settings import duckdb_storage_version
from orchestration.publish.names import published_names
from orchestration.publish.parts import part_files, read_parts_sql

ANALYST_MAX_COPY_ROWS = 2_000_000
OMITTED_SCHEMAS = ("staging",)
# the steps between the marts and the published tables: their large tables (dossier × period, the scored values the
# release publishes) stay in the pipeline's warehouse
SIZE_LIMITED_SCHEMAS = ("intermediate", "indicators")


def _released_parts(release_dir: Path | None) -> dict[tuple[str, str], str]:
    """(schema, table) of the warehouse → the release's part set holding the same rows."""
    if release_dir is None:
        return {}
    found = {("publish", "indicator_observations"): "observations", ("publish", "report_bieu06"): "bieu06"}
    for folder in sorted((release_dir / "explain").glob("explain_*")) if (release_dir / "explain").is_dir() else []:
        found[("indicators", folder.name)] = f"explain/{folder.name}"
    return {k: v for k, v in found.items() if part_files(release_dir, v)}


def publish_warehouse_copy(warehouse: Path, out_dir: Path, release_id: str | None = None,
                           release_dir: Path | None = None, max_copy_rows: int = ANALYST_MAX_COPY_ROWS) -> Path:
    """Build the analysts' database from ``warehouse`` (not open for writing at this point) and the release folder
    ``release_dir``, and swap it in. Returns its path."""
    target = layout.analyst_copy_path(out_dir)
    tmp = layout.analyst_copy_tmp(out_dir)
    released = _released_parts(release_dir.resolve() if release_dir else None)
    omitted: list[tuple[str, int | None, str]] = []
    try:
        with duckdb.connect() as con:
            con.execute(f"ATTACH '{warehouse}' AS wh (READ_ONLY)")
            con.execute(f"ATTACH '{tmp}' AS pub (STORAGE_VERSION '{duckdb_storage_version()}')")
            tables = con.execute("SELECT schema_name, table_name, estimated_size FROM duckdb_tables() "
                                 "WHERE database_name = 'wh' ORDER BY 1, 2").fetchall()
            views = con.execute("SELECT schema_name, view_name, sql FROM duckdb_views() WHERE database_name = 'wh' "
                                "AND NOT internal ORDER BY 1, 2").fetchall()
            for schema in sorted({s for s, *_ in tables} | {s for s, *_ in views}):
                con.execute(f'CREATE SCHEMA IF NOT EXISTS pub."{schema}"')
            con.execute("USE pub")
            for schema, name, estimate in tables:
                source = f'wh."{schema}"."{name}"'
                if schema in OMITTED_SCHEMAS:
                    omitted.append((f"{schema}.{name}", estimate, "a staging table: query the marts"))
                    continue
                cols = [r[0] for r in con.execute(f"DESCRIBE {source}").fetchall()]
                if (schema, name) in released:
                    parts = read_parts_sql(f"{release_dir.resolve()}/{released[(schema, name)]}/province=*/period=*/part.parquet")
                    part_cols = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {parts}").fetchall()}
                    # the parts carry the contract's names where the warehouse table has its own (publish/names.py)
                    source_col = {c: published_names().get(c, c) if published_names().get(c) in part_cols else c for c in cols}
                    if set(source_col.values()) <= part_cols:
                        select = ", ".join(f'"{source_col[c]}" AS "{c}"' if source_col[c] != c else f'"{c}"' for c in cols)
                        con.execute(f'CREATE VIEW "{schema}"."{name}" AS SELECT {select} FROM {parts}')
                        continue
                rows = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
                if schema in SIZE_LIMITED_SCHEMAS and rows > max_copy_rows:
                    omitted.append((f"{schema}.{name}", rows, f"{schema} table of more than {max_copy_rows:,} rows"))
                    continue
                con.execute(f'CREATE TABLE "{schema}"."{name}" AS SELECT * FROM {source}')
            # views in dependency order: whatever can be created now, again until nothing more can
            pending = list(views)
            while pending:
                left = []
                for schema, name, sql in pending:
                    try:
                        con.execute(sql)
                    except duckdb.Error as exc:
                        left.append((schema, name, sql, str(exc).splitlines()[0]))
                if len(left) == len(pending):
                    omitted += [(f"{s}.{n}", None, f"a view of what is left out ({why[:200]})") for s, n, _, why in left]
                    break
                pending = [(s, n, sql) for s, n, sql, _ in left]
            con.execute("CREATE SCHEMA IF NOT EXISTS _published")
            con.execute("CREATE TABLE _published.release AS SELECT ? AS release_id, now() AS published_at", [release_id])
            con.execute("CREATE TABLE _published.omitted (relation VARCHAR, rows BIGINT, why VARCHAR)")
            if omitted:
                con.executemany("INSERT INTO _published.omitted VALUES (?, ?, ?)", omitted)
            con.execute("CHECKPOINT pub")
        with duckdb.connect(str(tmp), read_only=True) as check:  # it opens, and says which release it is
            if check.execute("SELECT release_id FROM _published.release").fetchone()[0] != release_id:
                raise RuntimeError(f"{tmp}: the analysts' database does not name release {release_id}")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
        tmp_wal = Path(str(tmp) + ".wal")
        if tmp_wal.exists():
            tmp_wal.unlink()
    return target
