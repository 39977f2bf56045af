"""The analysts' read-only copy of the warehouse: ``<out>/warehouse_published.duckdb``.

After a release is complete (renamed into place and ``latest`` moved), the pipeline's warehouse is copied to a
hidden temporary file beside the published copy, checked by opening it read-only, then swapped in with
``os.replace`` (atomic on POSIX). Analysts open ``warehouse_published.duckdb`` with
``duckdb.connect(path, read_only=True)``: they never touch ``warehouse.duckdb``, so they never meet the
pipeline's write lock, and a connection opened before the swap keeps reading the previous copy (its file stays
alive until closed). See docs/analyst_queries.md.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from orchestration.lib.settings import duckdb_storage_version

PUBLISHED_NAME = "warehouse_published.duckdb"


def publish_warehouse_copy(warehouse: Path, out_dir: Path, release_id: str | None = None) -> Path:
    """Copy ``warehouse`` (not open for writing at this point: the release step reads it read-only) and swap it in."""
    target = out_dir / PUBLISHED_NAME
    tmp = out_dir / f".{PUBLISHED_NAME}.{os.getpid()}.tmp"
    wal = Path(str(warehouse) + ".wal")
    try:
        # a checkpointed copy: go through DuckDB when a WAL is pending, else a plain file copy is exact
        if wal.exists():
            with duckdb.connect() as con:
                con.execute(f"ATTACH '{warehouse}' AS src (READ_ONLY)")
                con.execute(f"ATTACH '{tmp}' AS dst (STORAGE_VERSION '{duckdb_storage_version()}')")
                con.execute("COPY FROM DATABASE src TO dst")
        else:
            shutil.copyfile(warehouse, tmp)
        with duckdb.connect(str(tmp)) as con:
            con.execute("CREATE SCHEMA IF NOT EXISTS _published")
            con.execute("CREATE OR REPLACE TABLE _published.release AS SELECT ? AS release_id, now() AS published_at",
                        [release_id])
            con.execute("CHECKPOINT")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
        tmp_wal = Path(str(tmp) + ".wal")
        if tmp_wal.exists():
            tmp_wal.unlink()
    return target
