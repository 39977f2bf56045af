"""Running a memory-heavy step in a worker process, so that its memory goes back to the system when it ends.

The orchestrator is one long-lived process: memory a DuckDB connection or a pandas frame used in it stays with it
(glibc does not give freed heap back), and dbt, which runs in the same process next, adds its own 4 GB on top. At
20 M dossiers the lake partitions left ≈ 5 GB behind that way (docs/benchmarks.md, run 11)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor


def in_worker(fn, *args):
    """``fn(*args)`` in a fresh worker process (spawn: a clean interpreter — the orchestrator holds DuckDB
    connections and Dagster's threads); its memory goes back to the system when it exits. ``fn`` must be a
    module-level function returning plain, picklable data: Dagster's results do not cross processes."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()
