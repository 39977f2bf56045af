"""``cchc`` — the command line for unattended runs and tests.

    cchc run --raw DIR --out DIR [--as-of ISO]   ingest, build, validate, publish (the Dagster assets)
    cchc run --source-url URL --out DIR           the same from a one-stop system's database (with --raw: both)
    cchc generate --out DIR [--seed N] …          synthetic extracts (Bạch Thông district, --scale province|national)
    cchc prepare                                   parse the dbt project (manifest for Dagster)
    cchc bench [--dossiers N] [--workdir DIR]      the performance benchmark (docs/benchmarks.md)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")


def _run_outcome(result) -> tuple[list[str], list[str]]:
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


class RunResult(tuple):
    """(failures, warnings, materialised keys), as before; ``unchanged`` is set when nothing changed since
    ``publish/latest`` and nothing was published (orchestration.publish.fingerprint.Unchanged)."""

    unchanged = None

    def __new__(cls, failures, warnings, done, unchanged=None):
        result = super().__new__(cls, (failures, warnings, done))
        result.unchanged = unchanged
        return result


def run_pipeline(settings, as_of: str | None = None, force: bool = False, verbose: bool = True,
                 progress: bool = False, persistent: bool = False) -> RunResult:
    """See _run_pipeline; the environment variables the run sets for its assets are restored afterwards, so an
    in-process caller (tests, the bench's parent) never hands this run's raw root or as-of to the next run.
    verbose: the Dagster/dbt log on the terminal too (it always goes to <out>/logs/); progress: one line per stage
    (a live bar on a terminal); persistent: record the run in the Dagster instance of ``dagster_home`` (the CLI does;
    in-process callers — tests, scripts — get an ephemeral instance unless they ask: writing every event to SQLite
    costs seconds per run)."""
    saved = {k: os.environ.get(k) for k in ("CCHC_RAW_DIR", "CCHC_OUT_DIR", "CCHC_AS_OF")}
    try:
        return _run_pipeline(settings, as_of, force, verbose, progress, persistent)
    finally:
        for k, v in saved.items():
            _restore_env(k, v)


def dagster_home(settings) -> Path:
    """The Dagster instance a CLI run records itself in: $DAGSTER_HOME when set (the user's), else
    <out>/dagster_home — what `make dev` (dagster dev on the same output) reads."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    home = settings.out_dir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():  # the repository's instance settings (telemetry off, one warehouse writer at a time)
        from orchestration.lib.settings import REPO_ROOT

        shutil.copyfile(REPO_ROOT / "dagster.yaml", config)
    return home


CLI_JOBS = ("cchc_landing", "cchc_build", "cchc_postgres")


def _close_interrupted_runs(instance) -> None:
    """A CLI run killed mid-way (SIGKILL, power cut) stays "started" in the instance and keeps its slot of the pool
    warehouse_writer (dagster.yaml: one writer): the next CLI run on this output would wait for it forever. CLI runs
    never overlap on one output (the warehouse has one writer), so an unfinished CLI run found at start is dead: it is
    marked failed and its slots are freed."""
    import dagster as dg

    alive = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED]
    for job in CLI_JOBS:
        for run in instance.get_runs(filters=dg.RunsFilter(job_name=job, statuses=alive)):
            instance.report_run_failed(run, message="interrupted: the process ended without finishing this run")
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


def _log_path(settings) -> Path:
    """<out>/logs/run-<UTC time>.log; the 20 newest are kept."""
    folder = settings.out_dir / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("run-*.log"))[:-19]:
        old.unlink(missing_ok=True)
    return folder / time.strftime("run-%Y%m%d-%H%M%S.log", time.gmtime())


def _materialize(assets, selection, resources, instance, name: str, run_config: dict, tags=None):
    """dg.materialize with the CLI's loggers (run_output.LOGGERS) and a named job, so the run reads well in
    `dagster dev` ("cchc_landing", "cchc_build")."""
    import dagster as dg

    from orchestration.lib.run_output import LOGGERS

    defs = dg.Definitions(jobs=[dg.define_asset_job(name=name, selection=selection)], assets=assets,
                          resources=resources, loggers=LOGGERS)
    return defs.resolve_job_def(name).execute_in_process(run_config=run_config, instance=instance,
                                                         raise_on_error=False, tags=tags)


def _stage_progress(graph, keys, months: int, enabled: bool, labels: dict | None = None):
    """A StageProgress over the assets ``keys`` (a partitioned asset counts once per month) and their checks."""
    from orchestration.lib import run_output

    if not enabled:
        return None
    groups, totals = {}, {}
    for k in keys:
        node = graph.get(k)
        groups[k.to_user_string()] = node.group_name
        totals[node.group_name] = totals.get(node.group_name, 0) + (months if node.is_partitioned else 1)
    for check in graph.asset_check_keys:
        if check.asset_key in keys:
            group = graph.get(check.asset_key).group_name
            totals[group] = totals.get(group, 0) + 1
    order = ["ingest", "transform", "quality", "publish"]
    return run_output.StageProgress(groups, {g: totals[g] for g in sorted(totals, key=lambda g: order.index(g) if g in order else 9)},
                                    labels=labels)


def _run_pipeline(settings, as_of: str | None = None, force: bool = False, verbose: bool = True,
                  progress: bool = False, persistent: bool = False) -> RunResult:
    """Materialise every asset of the Dagster definitions for one raw root: run 1 lands every source
    (it tells which reception months the dossiers cover), run 2 writes those monthly partitions and
    everything downstream (dbt, quality gate, release). Between the two, unless ``force``: when the inputs (by
    sha256), the code and the settings are those of ``publish/latest`` and its publication finished, run 2 is not
    started — only the PostgreSQL publication of ``latest`` is completed if it is missing. Returns (failures,
    warnings, materialised keys)."""
    import dagster as dg

    from orchestration.lib import run_output

    os.environ["CCHC_RAW_DIR"], os.environ["CCHC_OUT_DIR"] = str(settings.raw_dir), str(settings.out_dir)
    if as_of:
        os.environ["CCHC_AS_OF"] = as_of
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    _clear_check_records(settings)
    from orchestration.definitions import build_definitions

    defs = build_definitions(str(settings.raw_dir), str(settings.out_dir), as_of or "")
    graph = defs.resolve_asset_graph()
    assets = list(defs.assets)
    executable = [k for k in graph.get_all_asset_keys() if graph.get(k).is_executable]
    landing_keys = [k for k in executable if graph.get(k).group_name == "ingest" and not graph.get(k).is_partitioned
                    and k.to_user_string() != "lake/source_inventory"]
    log_path = _log_path(settings)
    run_config = {"loggers": run_output.logger_config(log_path, verbose)}
    # a persistent instance: `dagster dev` on the same output shows these runs, materialisations and checks
    instance = (dg.DagsterInstance.from_config(str(dagster_home(settings))) if persistent
                else dg.DagsterInstance.ephemeral())
    try:
        _close_interrupted_runs(instance)
        return _materialize_all(settings, defs, graph, assets, executable, landing_keys, instance, run_config,
                                log_path, force, progress)
    finally:
        run_output.watch(None)
        instance.dispose()


def _materialize_all(settings, defs, graph, assets, executable, landing_keys, instance, run_config, log_path, force,
                     progress) -> RunResult:
    from orchestration.ingest.assets import PARTITIONED, current_loads
    from orchestration.lib import run_output
    from orchestration.lib.partitions import range_tags

    quiet_dbt = None if run_config["loggers"]["console"]["config"]["log_level"] == "DEBUG" else log_path
    stages = _stage_progress(graph, landing_keys, 1, progress)
    run_output.watch(stages, quiet_dbt)
    r1 = _materialize(assets, landing_keys, defs.resources, instance, "cchc_landing", run_config)
    if stages:
        stages.close()
    failures, warnings = _run_outcome(r1)
    done = {e.asset_key.to_user_string() for e in r1.get_asset_materialization_events()}
    if r1.success:
        # the run covers every month of every time-based source (dossiers, PAKN, ratings)
        months = sorted({m for t in PARTITIONED for ld in current_loads(settings, t) for m in ld.months})
        if not any(ld.rows_loaded for ld in current_loads(settings, "dossiers")):
            failures.append("no dossier was loaded: the raw root needs a dossiers/ folder (or a source database) "
                            "with at least one valid record")
        else:
            from orchestration.publish.fingerprint import unchanged_since_latest
            from orchestration.publish.release import remove_leftovers

            same = unchanged_since_latest(defs.resources["cchc"].settings())
            if same.unchanged and not force:
                remove_leftovers(settings.publish_dir)
                # a run killed during the PostgreSQL publication left latest unloaded: load it (a no-op when loaded)
                pg = [k for k in executable if k.to_user_string() == "postgres_publication"]
                r3 = _materialize(assets, pg, defs.resources, instance, "cchc_postgres", run_config)
                f3, w3 = _run_outcome(r3)
                _build_data_docs(settings)
                return RunResult(failures + f3, warnings + w3, done, unchanged=same)
            print(f"cchc run: {'--force: ' if force and same.unchanged else ''}{same.line()}", flush=True)
            rest = [k for k in executable if k not in landing_keys]
            stages = _stage_progress(graph, rest, len(months), progress, labels={"ingest": "lake partitions"})
            run_output.watch(stages, quiet_dbt)
            r2 = _materialize(assets, rest, defs.resources, instance, "cchc_build", run_config,
                              tags=range_tags(months[0], months[-1]))
            if stages:
                stages.close()
            f2, w2 = _run_outcome(r2)
            failures += f2
            warnings += w2
            done |= {e.asset_key.to_user_string() for e in r2.get_asset_materialization_events()}
            if not r2.success and not f2:
                failures.append(f"the run did not succeed (see the log {log_path})")
    _build_data_docs(settings)
    return RunResult(failures, warnings, done)


def _build_data_docs(settings) -> None:
    """Data Docs of every validation of the run, whatever stopped it (<out>/quality/data_docs/index.html)."""
    from orchestration.quality.checks import data_docs_enabled
    from orchestration.quality.gx_suites import build_data_docs

    if data_docs_enabled() and (settings.reports_dir / "gx_results").is_dir():
        import time

        started = time.perf_counter()
        build_data_docs(settings.reports_dir)
        overhead = settings.reports_dir / "overhead.json"
        data = json.loads(overhead.read_text(encoding="utf-8")) if overhead.exists() else {}
        data["data_docs"] = round(time.perf_counter() - started, 3)
        overhead.write_text(json.dumps(data, indent=1), encoding="utf-8")


def _clear_check_records(settings) -> None:
    """A CLI run starts from no check record, so the summary and the manifest show this run's checks only
    (the GX results history and Data Docs are kept)."""
    import shutil

    shutil.rmtree(settings.reports_dir / "checks", ignore_errors=True)
    overhead = settings.reports_dir / "overhead.json"
    if overhead.exists():
        overhead.unlink()


def cmd_run(args) -> int:
    from orchestration.lib.settings import settings_from_env

    from orchestration.lib.secrets import mask_url, resolve_url

    url = None
    before = os.environ.get("CCHC_SOURCE_URL")  # restored after the run (in-process callers, tests)
    if args.source_url:
        url = resolve_url(None if args.source_url == "env" else args.source_url, "CCHC_SOURCE_URL")
        if not url:
            print("error: --source-url env: neither CCHC_SOURCE_URL nor CCHC_SOURCE_URL_FILE is set", file=sys.stderr)
            return 2
    raw = args.raw
    if raw is None:
        if not url:
            print("error: give --raw DIR, --source-url URL, or both", file=sys.stderr)
            return 2
        raw = Path(args.out) / "raw"
        raw.mkdir(parents=True, exist_ok=True)
    settings = settings_from_env(raw, args.out)
    if not settings.raw_dir.is_dir():
        print(f"error: raw root {settings.raw_dir} is not a folder", file=sys.stderr)
        return 2
    print(f"cchc run: raw {settings.raw_dir}{' + source database ' + mask_url(url) if url else ''} → out {settings.out_dir}",
          flush=True)
    # The pull asset reads the URL from the environment, never from run config. The CLI pulls only when asked
    # (--source-url), even if CCHC_SOURCE_URL happens to be exported.
    if url:
        os.environ["CCHC_SOURCE_URL"] = url
    else:
        os.environ.pop("CCHC_SOURCE_URL", None)
    full_before = os.environ.get("CCHC_FULL_BUILD")
    if getattr(args, "full_build", False):  # callers building their own namespace may leave it out
        os.environ["CCHC_FULL_BUILD"] = "1"
    national_before = os.environ.get("CCHC_NATIONAL_CSV")
    if getattr(args, "national_csv", False):
        os.environ["CCHC_NATIONAL_CSV"] = "1"
    started = time.time()
    try:
        result = run_pipeline(settings, args.as_of, force=getattr(args, "force", False),
                              verbose=getattr(args, "verbose", False), progress=True, persistent=True)
    finally:  # an in-process caller (tests) must not inherit this run's source database or full build
        _restore_env("CCHC_SOURCE_URL", before)
        _restore_env("CCHC_FULL_BUILD", full_before)
        _restore_env("CCHC_NATIONAL_CSV", national_before)
    failures, warnings, _ = result
    print_summary(settings, failures, warnings, unchanged=result.unchanged, started=started)
    return 1 if failures else 0


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def print_summary(settings, failures: list[str], warnings: list[str], unchanged=None, started: float | None = None) -> None:
    manifests = sorted((settings.lake_dir / "_manifest").glob("*/*.json"))
    rows = [json.loads(p.read_text(encoding="utf-8")) for p in manifests]
    print("\nLoads (rows read = loaded + quarantined + duplicates dropped):")
    print(f"  {'table':<16}{'files':>6}{'read':>9}{'loaded':>9}{'quarant.':>9}{'dupl.':>7}  reasons")
    by_table: dict[str, dict] = {}
    for r in rows:
        t = by_table.setdefault(r["table"], {"files": 0, "read": 0, "loaded": 0, "q": 0, "d": 0, "reasons": {}})
        t["files"] += 1
        t["read"] += r["rows_read"]
        t["loaded"] += r["rows_loaded"]
        t["q"] += r["rows_quarantined"]
        t["d"] += r["duplicates_dropped"]
        for k, v in r["quarantine_reasons"].items():
            t["reasons"][k] = t["reasons"].get(k, 0) + v
    for name, t in sorted(by_table.items()):
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(t["reasons"].items(), key=lambda kv: -kv[1])) or "-"
        print(f"  {name:<16}{t['files']:>6}{t['read']:>9}{t['loaded']:>9}{t['q']:>9}{t['d']:>7}  {reasons}")
    if any(t["q"] for t in by_table.values()):
        print(f"  quarantined records: {settings.lake_dir / 'quarantine'} (file, record, field, value, rule)")
    print("\nIn plain words:")
    for line in plain_words(by_table):
        print(f"  {line}")
    latest = settings.publish_dir / "latest"
    if unchanged is not None and not failures:  # its checks and warnings are those of the release: see its manifest
        print(f"\nnothing changed since release {unchanged.release_id} (raw files by sha256, code, seeds and settings): "
              f"nothing new published; publish/latest is still {latest.resolve()} (cchc run --force publishes anyway).")
        return
    _print_quality(settings, warnings)
    _print_build(settings, started)
    if failures:
        print("\nPUBLICATION BLOCKED — nothing was published:")
        for f in failures:
            print(f"  - {f}")
        for rec in _check_records(settings):
            if not rec["passed"] and rec["severity"] == "critical":
                for d in (rec.get("details") or [])[:5]:
                    print(f"      {rec['name']}: {d}")
        if latest.is_symlink():
            print(f"The previous release is unchanged: {latest.resolve()}")
        return
    folder = latest.resolve()
    print(f"\nRelease {folder.name}: {folder}")
    import duckdb

    from orchestration.publish.parts import table_sql

    obs = table_sql(folder, "observations", text=True)
    summary = [] if obs is None else duckdb.sql(f"""
        WITH o AS (SELECT * REPLACE (TRY_CAST(ratio AS DOUBLE) AS ratio, TRY_CAST(points AS DOUBLE) AS points)
                   FROM {obs}
                   WHERE period_type IN ('M', 'Q') AND agency_code IS NULL AND ma_linh_vuc IS NULL AND ma_tthc IS NULL
                     AND unit_level IN ('huyen', 'tinh'))
        SELECT t.period, t.unit_code, t.unit_name, round(r.ratio, 2), round(t.points, 2), t.grade,
               t.rank || '/' || t.rank_of, t.obs_status
        FROM o t JOIN o r USING (period, unit_code, unit_valid_from)
        WHERE t.indicator_id = 'QD766_TOTAL' AND r.indicator_id = 'QD766_2_1' AND r.obs_status <> 'M'
        ORDER BY t.unit_code, t.period""").fetchall()
    if summary:
        print("Decision 766 index by month and quarter, district and province (P = running period):")
        print(f"  {'period':<9}{'unit':<6}{'name':<22}{'2_1 %':>8}{'total':>8}  {'grade':<11}{'rank':<7}status")
        for p, u, n, r, pts, grade, rank, st in summary:
            print(f"  {p:<9}{u:<6}{(n or '')[:21]:<22}{'' if r is None else r:>8}{'' if pts is None else pts:>8}  "
                  f"{grade or '':<11}{rank or '':<7}{st}")
    parts = json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("parts_summary", {})
    if parts:
        print("  parts: " + "; ".join(f"{t} {p['written']} written, {p['linked']} linked" for t, p in sorted(parts.items())))
    for name in ("by_province", "target_tracking.csv", "explain", "data_dictionary.md"):
        if (folder / name).exists():
            print(f"  {name}: {folder / name}")


def _print_build(settings, started: float | None) -> None:
    """How this run built the warehouse, and why a full build when it was one (main.cchc_build_state)."""
    from orchestration.transform.incremental import last_build

    build = last_build(settings.warehouse_path)
    if build and started is not None and build["built_at"] >= started:
        print(f"\nWarehouse: {build['kind']} build — {build['reason']}")


def plain_words(by_table: dict) -> list[str]:
    """One sentence per lake table: loaded, quarantined and why, duplicates dropped."""
    lines = []
    for name, t in sorted(by_table.items()):
        line = f"{name}: {t['loaded']} of {t['read']} record(s) from {t['files']} file(s) loaded"
        if t["q"]:
            why = ", ".join(f"{v} {k}" for k, v in sorted(t["reasons"].items(), key=lambda kv: -kv[1]))
            line += f"; {t['q']} quarantined ({why})"
        if t["d"]:
            line += f"; {t['d']} exact duplicate(s) dropped"
        lines.append(line + ".")
    return lines or ["nothing was loaded (no raw file landed)."]


def _check_records(settings) -> list[dict]:
    from orchestration.quality.checks import read_records

    return read_records(settings.reports_dir)


def _print_quality(settings, run_warnings: list[str]) -> None:
    records = _check_records(settings)
    warned = [r for r in records if not r["passed"] and r["severity"] != "critical"]
    blocked = [r for r in records if not r["passed"] and r["severity"] == "critical"]
    passed = len(records) - len(warned) - len(blocked)
    print(f"\nQuality checks (Great Expectations): {len(records)} run, {passed} passed, {len(blocked)} blocking failure(s), "
          f"{len(warned)} warning(s).")
    for r in warned:
        print(f"  warning {r['asset']}:{r['name']}: {r['message']}")
    others = [w for w in run_warnings if not any(f"check {r['name']} on" in w for r in warned)]
    for w in others:
        print(f"  warning: {w}")
    docs = settings.reports_dir / "data_docs" / "index.html"
    if docs.exists():
        print(f"  Data Docs: {docs}")
    overhead = settings.reports_dir / "overhead.json"
    if overhead.exists():
        secs = json.loads(overhead.read_text(encoding="utf-8"))
        print(f"  time spent in the checks: {sum(secs.values()):.1f} s")


def cmd_generate(args) -> int:
    from orchestration.generate import generate
    from orchestration.lib.secrets import mask_url, masked_error, resolve_url

    url = args.source_db
    if url == "env":  # CCHC_SOURCE_URL, or the secrets file named by CCHC_SOURCE_URL_FILE
        url = resolve_url(None, "CCHC_SOURCE_URL")
        if not url:
            print("error: --source-db env: neither CCHC_SOURCE_URL nor CCHC_SOURCE_URL_FILE is set", file=sys.stderr)
            return 2
    if url:
        print(f"cchc generate: dossiers, catalogue and ratings into {mask_url(url)}; other sources into {args.out}",
              flush=True)
    try:
        summary = generate(args.out, seed=args.seed, start=args.start, end=args.end, fmt=args.format,
                           defect_rate=args.defect_rate, scale=args.scale, dossiers_per_year=args.dossiers_per_year,
                           progress=lambda m: print(m, flush=True), source_db=url, workers=args.workers,
                           provinces=args.provinces, compress="gzip" if args.gzip else None,
                           applicability=not args.no_applicability)
    except Exception as exc:
        if not url:
            raise
        # a driver's error may echo its connection string: show it masked, without the traceback
        print(f"error: cchc generate into {mask_url(url)}: {masked_error(exc, url)}", file=sys.stderr)
        return 1
    if args.scale == "national":  # thousands of batch files: list them by folder, not one by one
        by_folder: dict = {}
        for path, rows in summary["files"].items():
            acc = by_folder.setdefault(path.split("/", 1)[0], {"files": 0, "rows": 0})
            acc["files"] += 1
            acc["rows"] += rows
        summary = {**summary, "files": by_folder}
    print(json.dumps(summary, ensure_ascii=False, indent=1, default=str))
    return 0


def _cmd_bench(args) -> int:
    from orchestration.bench.runner import cmd_bench

    return cmd_bench(args)


def _cmd_publish_pg(args) -> int:
    from orchestration.publish.postgres import cmd_publish_pg

    return cmd_publish_pg(args)


def cmd_releases(args) -> int:
    from orchestration.publish import retention

    # --out, else CCHC_OUT_DIR, else ./out of the working directory — never the install folder's out/
    publish = Path(args.out or os.environ.get("CCHC_OUT_DIR") or "out").resolve() / "publish"
    try:
        if args.pin:
            retention.pin(publish, args.pin)
            print(f"pinned {args.pin}")
        if args.unpin:
            retention.pin(publish, args.unpin, on=False)
            print(f"unpinned {args.unpin}")
        if args.prune:
            removed = retention.prune(publish, args.keep, dry_run=args.dry_run)
            verb = "would remove" if args.dry_run else "removed"
            freed = sum(r.own_bytes for r in removed)
            print(f"{verb} {len(removed)} release(s), {retention.format_bytes(freed)} of their own: "
                  + (", ".join(r.release_id for r in removed) or "none"))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    releases = retention.list_releases(publish)
    if not releases:
        print(f"no release under {publish}")
        return 0
    print(f"{'release':<24} {'created (UTC)':<26} {'files':>6} {'own':>10} {'total':>10}  flags")
    for r in releases:
        flags = " ".join(f for f, on in (("latest", r.is_latest), ("pinned", r.pinned)) if on)
        print(f"{r.release_id:<24} {r.created_at:<26} {r.files:>6} {retention.format_bytes(r.own_bytes):>10} "
              f"{retention.format_bytes(r.total_bytes):>10}  {flags}")
    print(f"{len(releases)} release(s), {retention.format_bytes(sum(r.own_bytes for r in releases))} on disk "
          "(own bytes: files no other release shares)")
    return 0


def cmd_prepare(args) -> int:
    from dbt.cli.main import dbtRunner

    from orchestration.lib.settings import DBT_PROJECT_DIR

    res = dbtRunner().invoke(["parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--quiet"])
    return 0 if res.success else 1


def quiet_warnings() -> None:
    """No beta, preview or deprecation warning of the libraries reaches a user of the CLI (tests still see them)."""
    import logging
    import warnings

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", message=r".*(beta|preview|deprecated|superseded).*")
    logging.captureWarnings(True)  # anything left becomes a log record (py.warnings), not a line on the terminal


def main(argv: list[str] | None = None) -> int:
    quiet_warnings()
    p = argparse.ArgumentParser(prog="cchc", description="CCHC indicators: ingest, build, validate, publish.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run the whole pipeline on a raw root and publish a release")
    r.add_argument("--raw", default=None,
                   help="raw root (dossiers/, procedures/, petitions/, ratings/, surveys/, reference/); required unless "
                        "--source-url is given (then <out>/raw/, empty unless you put files there)")
    r.add_argument("--out", required=True, help="output root (lake/, warehouse.duckdb, publish/)")
    r.add_argument("--source-url", default=None, metavar="URL",
                   help="also pull dossiers, ratings and the procedure catalogue from a one-stop database (SQLAlchemy URL; "
                        "'env' = CCHC_SOURCE_URL or the secrets file named by CCHC_SOURCE_URL_FILE — prefer these: a "
                        "password on the command line is visible to other users of the machine)")
    r.add_argument("--as-of", default=None, help="as-of time (ISO); default: the latest NgayCapNhat loaded")
    r.add_argument("--full-build", action="store_true",
                   help="rebuild the warehouse's incremental models from scratch (default: incremental when safe)")
    r.add_argument("--national-csv", action="store_true",
                   help="also write the single national indicator_observations.csv and report_bieu06.csv at the release "
                        "root (a release is its per-province, per-period parts; the national files are optional)")
    r.add_argument("--force", action="store_true",
                   help="publish a new release even when the inputs, code and settings are those of publish/latest "
                        "(default: nothing changed ⇒ nothing published, exit 0)")
    r.add_argument("--verbose", action="store_true",
                   help="show the full Dagster and dbt log on the terminal (it always goes to <out>/logs/run-*.log)")
    r.set_defaults(func=cmd_run)
    g = sub.add_parser("generate", help="write synthetic extracts (Bạch Thông district, or national)")
    g.add_argument("--out", required=True)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--start", default=None, help="first month YYYY-MM (default 2023-01; province: 2025-01; national: 2025-07)")
    g.add_argument("--end", default=None, help="last month YYYY-MM (default 2024-12; province: 2025-12; national: 2026-07)")
    g.add_argument("--format", choices=["json", "csv"], default="json")
    g.add_argument("--defect-rate", type=float, default=0.0)
    g.add_argument("--scale", choices=["district", "province", "national"], default="district")
    g.add_argument("--dossiers-per-year", type=int, default=None,
                   help="yearly volume (default 30,000 district; 240,000 province; 20,000,000 national)")
    g.add_argument("--workers", type=int, default=None, help="national scale: processes (default: the CPUs)")
    g.add_argument("--provinces", type=int, default=None,
                   help="national scale: only the first N of the 34 provinces in code order (default all)")
    g.add_argument("--gzip", action="store_true",
                   help="national scale: dossier files as .json.gz (≈ 5× smaller; ingestion reads .json and .json.gz)")
    g.add_argument("--no-applicability", action="store_true",
                   help="district and province scales: write no procedures/applicability.csv and draw dossiers as "
                        "before the list existed (how the committed raw/sample was generated)")
    g.add_argument("--source-db", default=None, metavar="URL",
                   help="write dossiers, the procedure catalogue and ratings into this one-stop database "
                        "(sqlite:///path or postgresql://…; 'env' = CCHC_SOURCE_URL or the file CCHC_SOURCE_URL_FILE) "
                        "instead of files; the other sources still go to --out (docs/source_db.md)")
    g.set_defaults(func=cmd_generate)
    b = sub.add_parser("bench", help="the performance benchmark: full pipeline vs a hand-written SQL floor vs pandas, "
                                     "and an incremental month (issue 7; docs/benchmarks.md)")
    b.add_argument("--dossiers", type=int, default=20_000_000, help="dossiers per year of the national dataset")
    b.add_argument("--workdir", default="bench_work", help="datasets (cached, generation not timed) and runs")
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("--pandas-max", type=int, default=2_000_000,
                   help="pandas runs at min(dossiers, this) dossiers, the pipeline is also timed at that size")
    b.add_argument("--provinces", type=int, default=None,
                   help="only the first N of the 34 provinces (quick runs and the test suite; default all)")
    b.add_argument("--gzip", action="store_true",
                   help="datasets with gzipped dossier files (.json.gz; a 20 M year is ≈ 33 GB as plain JSON)")
    b.add_argument("--keep-outputs", action="store_true",
                   help="keep the output of the pipeline run at the pandas size (removed once compared by default)")
    b.set_defaults(func=_cmd_bench)
    sub.add_parser("prepare", help="parse the dbt project (writes the manifest Dagster loads)").set_defaults(func=cmd_prepare)
    rl = sub.add_parser("releases", help="list the releases of an output root with their own bytes; pin; prune old ones")
    rl.add_argument("--out", default=None, help="output root (default: CCHC_OUT_DIR, else ./out)")
    rl.add_argument("--pin", metavar="RELEASE_ID", help="keep this release whatever --prune says")
    rl.add_argument("--unpin", metavar="RELEASE_ID")
    rl.add_argument("--prune", action="store_true", help="remove every release but the newest --keep, latest and pinned")
    rl.add_argument("--keep", type=int, default=3, help="releases --prune keeps (default 3; latest always)")
    rl.add_argument("--dry-run", action="store_true", help="with --prune: say what would be removed, remove nothing")
    rl.set_defaults(func=cmd_releases)
    pg = sub.add_parser("publish-pg", help="load a release into PostgreSQL (row-level security per province)")
    pg.add_argument("--release", default=None, help="release folder to load")
    pg.add_argument("--out", default=None, help="output root: load its publish/latest (when --release is not given)")
    pg.add_argument("--url", default=None, help="SQLAlchemy URL (default: CCHC_PG_URL or the file CCHC_PG_URL_FILE)")
    pg.add_argument("--schema", default="cchc")
    pg.add_argument("--replace", action="store_true", help="reload a release already loaded")
    pg.set_defaults(func=_cmd_publish_pg)
    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
