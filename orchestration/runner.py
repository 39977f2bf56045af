"""Runs the pipeline: the Dagster assets of ``orchestration.definitions`` for one Settings object, as two jobs.

``cchc run`` (the CLI only parses arguments and prints), the tests and the bench call ``run_pipeline``; the jobs it
runs (``cchc_landing``, ``cchc_build``, ``cchc_postgres``) are the ones ``dagster dev`` shows
(orchestration.definitions), so a CLI run recorded in the instance reads as any other run there.

Run 1 lands every source (it tells which reception months the dossiers cover); run 2 writes those monthly
partitions and everything downstream (dbt, quality gate, release). Between the two, unless ``force``: when the
inputs (by sha256), the code and the settings are those of ``publish/latest`` and its publication finished, run 2
is not started — only the PostgreSQL publication of ``latest`` is completed if it is missing.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import dagster as dg

from orchestration.definitions import BUILD_JOB, LANDING_JOB, LANDING_KEYS, POSTGRES_JOB, build_definitions
from orchestration.ingest.assets import PARTITIONED, current_loads
from orchestration.lib import layout, run_output
from orchestration.lib.dagster_instance import open_instance
from orchestration.lib.partitions import range_tags
from orchestration.lib.settings import Settings
from orchestration.publish.fingerprint import unchanged_since_latest
from orchestration.publish.release import remove_leftovers
from orchestration.quality.gx_suites import build_data_docs


class RunResult(tuple):
    """(failures, warnings, materialised keys); ``unchanged`` is set when nothing changed since ``publish/latest``
    and nothing was published (orchestration.publish.fingerprint.Unchanged)."""

    unchanged = None

    def __new__(cls, failures, warnings, done, unchanged=None):
        result = super().__new__(cls, (failures, warnings, done))
        result.unchanged = unchanged
        return result


def run_pipeline(settings: Settings, force: bool = False, verbose: bool = True, progress: bool = False,
                 persistent: bool = False) -> RunResult:
    """Materialise every asset for ``settings``. verbose: the Dagster/dbt log on the terminal too (it always goes to
    <out>/logs/); progress: one line per stage (a live bar on a terminal); persistent: record the run in the Dagster
    instance of ``dagster_home`` (the CLI does; in-process callers — tests, scripts — get an ephemeral instance
    unless they ask: an event log on disk costs time per run)."""
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    _clear_check_records(settings)
    defs = build_definitions(settings)
    log_path = _log_path(settings)
    run_config = {"loggers": run_output.logger_config(log_path, verbose)}
    instance = open_instance(settings, persistent)
    try:
        return _materialize_all(settings, defs, instance, run_config, log_path, force, progress, verbose)
    finally:
        run_output.watch(None)
        instance.dispose()


def _materialize_all(settings: Settings, defs: dg.Definitions, instance, run_config: dict, log_path: Path,
                     force: bool, progress: bool, verbose: bool) -> RunResult:
    graph = defs.resolve_asset_graph()
    quiet_dbt = None if verbose else log_path
    landing = LANDING_KEYS
    stages = run_output.stage_progress(graph, landing, 1, progress)
    run_output.watch(stages, quiet_dbt)
    r1 = _execute(defs, LANDING_JOB, instance, run_config)
    if stages:
        stages.close()
    failures, warnings = run_outcome(r1)
    done = {e.asset_key.to_user_string() for e in r1.get_asset_materialization_events()}
    if r1.success:
        # the run covers every month of every time-based source (dossiers, PAKN, ratings)
        months = sorted({m for t in PARTITIONED for ld in current_loads(settings, t) for m in ld.months})
        if not any(ld.rows_loaded for ld in current_loads(settings, "dossiers")):
            failures.append("no dossier was loaded: the raw root needs a dossiers/ folder (or a source database) "
                            "with at least one valid record")
        else:
            same = unchanged_since_latest(settings)
            if same.unchanged and not force:
                remove_leftovers(settings.publish_dir)
                # a run killed during the PostgreSQL publication left latest unloaded: load it (a no-op when loaded)
                f3, w3 = run_outcome(_execute(defs, POSTGRES_JOB, instance, run_config))
                _build_data_docs(settings)
                return RunResult(failures + f3, warnings + w3, done, unchanged=same)
            print(f"cchc run: {'--force: ' if force and same.unchanged else ''}{same.line()}", flush=True)
            rest = [k for k in graph.get_all_asset_keys() if graph.get(k).is_executable and k not in landing]
            stages = run_output.stage_progress(graph, rest, len(months), progress,
                                               labels={"ingest": "lake partitions"})
            run_output.watch(stages, quiet_dbt)
            r2 = _execute(defs, BUILD_JOB, instance, run_config, tags=range_tags(months[0], months[-1]))
            if stages:
                stages.close()
            f2, w2 = run_outcome(r2)
            failures += f2
            warnings += w2
            done |= {e.asset_key.to_user_string() for e in r2.get_asset_materialization_events()}
            if not r2.success and not f2:
                failures.append(f"the run did not succeed (see the log {log_path})")
    _build_data_docs(settings)
    return RunResult(failures, warnings, done)


def _execute(defs: dg.Definitions, job: str, instance, run_config: dict, tags: dict | None = None):
    return defs.resolve_job_def(job).execute_in_process(run_config=run_config, instance=instance,
                                                        raise_on_error=False, tags=tags)


def run_outcome(result) -> tuple[list[str], list[str]]:
    """Readable failures and warnings of a Dagster run result."""
    failures, warnings = [], []
    for ev in result.all_events:
        if ev.event_type_value == "STEP_FAILURE":
            err = ev.event_specific_data.error
            msg = err.message.strip() if err else ev.message
            if err and err.cause:
                msg = err.cause.message.strip()
            failures.append(f"step {ev.step_key} failed: {msg}")
        elif ev.event_type_value == "ASSET_CHECK_EVALUATION":
            data = ev.event_specific_data
            if not data.passed:
                meta = {k: getattr(v, "value", v) for k, v in data.metadata.items()}
                detail = meta.get("message") or meta.get("critical_failures") or meta
                line = f"check {data.check_name} on {data.asset_key.to_user_string()}: {detail}"
                (failures if data.severity.value == "ERROR" else warnings).append(line)
    return failures, warnings


def _log_path(settings: Settings) -> Path:
    """<out>/logs/run-<UTC time>.log; the 20 newest are kept."""
    folder = layout.logs_dir(settings.out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("run-*.log"))[:-19]:
        old.unlink(missing_ok=True)
    return folder / time.strftime("run-%Y%m%d-%H%M%S.log", time.gmtime())


def _build_data_docs(settings: Settings) -> None:
    """Data Docs of every validation of the run, whatever stopped it (<out>/quality/data_docs/index.html)."""
    if settings.data_docs and layout.gx_results_dir(settings.reports_dir).is_dir():
        started = time.perf_counter()
        build_data_docs(settings.reports_dir)
        overhead = layout.overhead_file(settings.reports_dir)
        data = json.loads(overhead.read_text(encoding="utf-8")) if overhead.exists() else {}
        data["data_docs"] = round(time.perf_counter() - started, 3)
        overhead.write_text(json.dumps(data, indent=1), encoding="utf-8")


def _clear_check_records(settings: Settings) -> None:
    """A run starts from no check record, so the summary and the manifest show this run's checks only
    (the GX results history and Data Docs are kept)."""
    shutil.rmtree(layout.check_records_dir(settings.reports_dir), ignore_errors=True)
    overhead = layout.overhead_file(settings.reports_dir)
    if overhead.exists():
        overhead.unlink()
