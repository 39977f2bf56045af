"""Rewriting a time-based lake table's monthly partitions — with the dossiers' change log around the rewrite — in a
worker process when the rewrite is large.

Why a worker: the rewrite ranks every version of the months' records in DuckDB (memory-capped, but the heap it
leaves behind stays with the process). In the orchestrator that heap stayed through dbt, which runs in the same
process next: at 20 M dossiers the pipeline peaked at 9.3 GB, 8.2 GB of it reached while the partitions were being
written (docs/benchmarks.md, run 11). A spawned worker returns it to the system when it exits."""

from __future__ import annotations

from orchestration.ingest import changes, landing
from orchestration.lib.settings import Settings
from orchestration.lib.workers import in_worker

# Landed records of the files a rewrite reads above which it runs in a worker process (a spawned interpreter costs
# ≈ 1–2 s, which a small run such as the committed sample should not pay).
WORKER_RECORDS = 500_000


def rewrite_partitions(settings: Settings, table: str, loads: list, months: list[str], rewritten: list[str],
                       run_id: str) -> tuple[dict[str, int], dict | None]:
    """Write the partitions of ``months`` (an empty table when there is no file) and, for the dossiers, open and
    complete the change-log entry of the ``rewritten`` months around it. Returns (rows per partition written, the
    completed change entry or None)."""
    wanted = set(months)
    records = sum(ld.rows_loaded for ld in loads if wanted & set(ld.months))
    if records > WORKER_RECORDS:
        return in_worker(_rewrite, settings, table, loads, months, rewritten, run_id)
    return _rewrite(settings, table, loads, months, rewritten, run_id)


def _rewrite(settings: Settings, table: str, loads: list, months: list[str], rewritten: list[str],
             run_id: str) -> tuple[dict[str, int], dict | None]:
    change = before = None
    if table == "dossiers" and rewritten:
        change, before = changes.begin(settings, rewritten, run_id)
    written = landing.build_partitions(settings, table, loads, months) if months and loads else {}
    if not loads:  # no file (or no source folder): an empty table, so readers never meet a missing file
        landing.build_partitions(settings, table, loads)
    if change is not None:
        change = changes.finish(settings, change, before)
    return written, change
