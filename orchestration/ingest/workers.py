"""The pool of worker processes that lands many raw files side by side (``land_files``), and what it does when a
worker dies: the files not yet landed go to new workers, a few times, then the run stops naming the file."""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from orchestration.ingest.duckdb_io import connect
from orchestration.ingest.errors import FileRejected, LandingWorkersCrashed, QuarantineLimitExceeded
from orchestration.ingest.landing import ingest_workers, land_file
from orchestration.ingest.loads import FileLoad
from orchestration.ingest.references import landed_reference, procedures_reference
from orchestration.lib.settings import Settings

log = logging.getLogger(__name__)


def land_one(args) -> FileLoad:
    """A worker's job: land one file (``args`` = settings, table, path; one tuple, for ProcessPoolExecutor.map)."""
    settings, table, path = args
    return land_file(settings, table, path)


def landing_attempts() -> int:
    """How many times files are given to new worker processes after workers died (``CCHC_LANDING_ATTEMPTS``, 3)."""
    return max(1, int(os.environ.get("CCHC_LANDING_ATTEMPTS", "3")))


def land_files(settings: Settings, table: str, paths: list[Path], on_load=None, min_files_for_pool: int = 2,
               worker=land_one) -> list[FileLoad]:
    """Land ``paths`` (in their order), new files in worker processes; ``on_load(i, load)`` as each finishes in
    order. ``worker``: what a worker process runs per file (a module-level function, picklable; the tests pass one
    that dies as DuckDB's crash did). Files already landed (same sha256) cost one hash. The reference files every
    landing reads (agencies, catalogue) are landed once first, so the workers never race to land them. Fewer than ``min_files_for_pool``
    files are landed in this process (starting workers costs a second or two)."""
    workers = ingest_workers()
    if workers <= 1 or len(paths) < max(2, min_files_for_pool):
        loads = []
        for i, p in enumerate(paths, 1):
            loads.append(land_file(settings, table, p))
            if on_load:
                on_load(i, loads[-1])
        return loads
    landed_reference(settings, "ref_agencies")
    if table == "dossiers":
        con = connect()
        procedures_reference(con, settings)
        con.close()
    loads: list[FileLoad] = []
    # A worker can die with no Python error: DuckDB 1.5.6 segfaulted now and then in the checking statement (issue 7:
    # 4 of 5 processes landing the 12 PAKN files of the 2 M bench dataset twice over crashed; bisected to no single
    # expression, rarer with fewer columns; not seen on 2.0.1, pinned since). Landing is idempotent (a landed file is
    # found again by its sha256), so the files not yet returned are given to new workers — never landed in this
    # process, whose crash would end the run — up to CCHC_LANDING_ATTEMPTS times; then the run stops naming the file.
    attempts = landing_attempts()
    for attempt in range(1, attempts + 1):
        # spawn: a clean interpreter per worker (the parent may hold threads and DuckDB handles; fork would copy them)
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        todo = paths[len(loads):]
        try:
            for ld in pool.map(worker, [(settings, table, p) for p in todo]):
                loads.append(ld)
                if on_load:
                    on_load(len(loads), ld)
        except BrokenProcessPool:
            pool.shutdown(wait=True, cancel_futures=True)
            if attempt == attempts:
                failed = paths[len(loads)]
                rel = failed.relative_to(settings.raw_dir) if failed.is_relative_to(settings.raw_dir) else failed
                raise LandingWorkersCrashed(table, str(rel), attempts) from None
            log.warning("a landing worker died (attempt %d of %d); the remaining %d %s file(s) go to new workers",
                        attempt, attempts, len(paths) - len(loads), table)
            continue
        except (FileRejected, QuarantineLimitExceeded) as exc:
            pool.shutdown(wait=True, cancel_futures=True)  # a rejected file stops the landing: no more files started
            # without the worker's traceback, which concurrent.futures chains: it would print the message once more
            raise exc from None
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        break
    return loads
