"""The DuckDB connections of the ingestion and its atomic Parquet writes, shared by landing a file
(``landing``) and building the lake tables from the landed files (``lake_build``)."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import duckdb


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


@contextlib.contextmanager
def replacing(path: Path):
    """Write ``path`` atomically: the caller writes the yielded private name beside it, which then replaces it. A
    worker killed mid-write (the pool replaces dead workers and kills the others) leaves the old file or none,
    never a truncated one that a retry would trip on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def copy_parquet(con, query: str, path: Path, params: dict | None = None) -> None:
    """COPY a query to Parquet atomically. The target path and every value are bound parameters: no file or folder
    name is ever part of the SQL text."""
    with replacing(path) as tmp:
        con.execute(f"COPY ({query}) TO $copy_target (FORMAT parquet)", {**used_params(query, params or {}), "copy_target": str(tmp)})


def used_params(query: str, values: dict) -> dict:
    """The named parameters a statement uses (DuckDB rejects unused ones)."""
    return {k: v for k, v in values.items() if f"${k}" in query}
