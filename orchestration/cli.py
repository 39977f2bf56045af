"""``cchc`` — the command line for unattended runs and tests.

    cchc run --raw DIR --out DIR [--as-of ISO]   ingest, build, validate, publish (the Dagster assets)
    cchc run --source-url URL --out DIR           the same from a one-stop system's database (with --raw: both)
    cchc generate --out DIR [--seed N] …          synthetic extracts (Bạch Thông district, --scale province|national)
    cchc prepare                                   parse the dbt project (manifest for Dagster)
    cchc docs [--out DIR] [--serve]                the warehouse's dbt docs (<out>/docs/dbt/static_index.html)
    cchc reconcile --portal DIR [--out DIR]        the portal's published figures beside ours
    cchc leadership [--release DIR] --unit CODE    one-page leadership report (PDF) of a commune, on request
    cchc compare BEFORE AFTER                      two releases file by file (what a change altered)
    cchc bench [--dossiers N] [--workdir DIR]      the performance benchmark (docs/benchmarks.md)
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path

from orchestration.lib import layout
from orchestration.lib.secrets import mask_url, masked_error, resolve_url
from orchestration.lib.settings import settings_from_env

# telemetry off for the libraries this process loads (their own switches are environment variables)
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")


def cmd_run(args) -> int:
    url = None
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
        raw = layout.pull_only_raw_dir(Path(args.out))
        raw.mkdir(parents=True, exist_ok=True)
    # the environment's settings with the options on top; the CLI pulls only when asked (--source-url), even if
    # CCHC_SOURCE_URL happens to be exported
    settings = settings_from_env(raw, args.out, as_of=args.as_of, full_build=getattr(args, "full_build", False) or None,
                                 national_csv=getattr(args, "national_csv", False) or None,
                                 leadership_units=tuple(getattr(args, "leadership_unit", None) or ()) or None,
                                 ).replace(source_url=url)
    if not settings.raw_dir.is_dir():
        print(f"error: raw root {settings.raw_dir} is not a folder", file=sys.stderr)
        return 2
    print(f"cchc run: raw {settings.raw_dir}{' + source database ' + mask_url(url) if url else ''} → out {settings.out_dir}",
          flush=True)
    # lazy: Dagster and dbt take seconds to load, which `cchc releases` need not wait for
    from orchestration.run_summary import print_summary
    from orchestration.runner import run_pipeline

    started = time.time()
    result = run_pipeline(settings, force=getattr(args, "force", False), verbose=getattr(args, "verbose", False),
                          progress=True, persistent=True)
    failures, warnings, _ = result
    print_summary(settings, failures, warnings, unchanged=result.unchanged, started=started)
    return 1 if failures else 0


def cmd_generate(args) -> int:
    from orchestration.generate import generate  # lazy: numpy, pyarrow, SQLAlchemy: only for this command

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
    from orchestration.bench.runner import cmd_bench  # lazy: Dagster, dbt, pandas (publish.release): only for this command

    return cmd_bench(args)


def _cmd_publish_pg(args) -> int:
    from orchestration.publish.postgres import cmd_publish_pg  # lazy: only for this command (≈10 ms; SQLAlchemy on use)

    return cmd_publish_pg(args)


def cmd_releases(args) -> int:
    from orchestration.publish import retention  # lazy: ≈5 ms that `cchc --help` and the other commands need not pay

    # --out, else CCHC_OUT_DIR, else ./out of the working directory — never the install folder's out/
    publish = layout.publish_dir(Path(args.out or os.environ.get("CCHC_OUT_DIR") or "out").resolve())
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
    from orchestration.transform.dbt_assets import parse_project  # lazy: Dagster and dbt, ≈3 s to import

    return 0 if parse_project() else 1


def cmd_docs(args) -> int:
    """dbt's documentation of an output root's warehouse into <out>/docs/dbt/, then opened as a file or served."""
    from orchestration.transform.dbt_assets import generate_docs  # lazy: Dagster and dbt, ≈3 s to import

    settings = settings_from_env(out_dir=args.out)
    folder = layout.dbt_docs_dir(settings.out_dir)
    try:
        page = generate_docs(settings, folder)
    except (FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"dbt docs of {settings.warehouse_path}: {page} (one file: open it in a browser)")
    if args.serve:
        import http.server  # lazy: ≈30 ms (email, socketserver), only for --serve

        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler) as server:
            print(f"serving http://127.0.0.1:{args.port}/ (Ctrl-C stops)", flush=True)
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                pass
    return 0


def cmd_leadership(args) -> int:
    """The one-page leadership report of units of an existing release (a commune on request), written elsewhere:
    a published release is never changed after the fact."""
    from orchestration.publish.leadership import write_leadership_reports  # lazy: DuckDB, pandas: only for this command

    release = Path(args.release).resolve()
    if not layout.release_manifest(release).exists():
        print(f"error: {release} is not a release folder (no manifest.json)", file=sys.stderr)
        return 2
    result = write_leadership_reports(release, args.unit, to=args.to, provinces=not args.unit)
    for path in result.written:
        print(f"  {path}")
    if result.skipped:
        print(f"  {result.skipped}")
    for message in result.messages:
        print(f"  {message}", file=sys.stderr)
    return 1 if result.messages and not result.written else 0


def cmd_compare(args) -> int:
    """Two releases file by file (orchestration.publish.compare): exit 0 when nothing published differs."""
    from orchestration.publish.compare import compare_releases  # lazy: DuckDB: only for this command

    result = compare_releases(args.before, args.after)
    print(result.summary())
    for label, files in (("differs", result.different), ("only before", result.only_before),
                         ("only after", result.only_after)):
        for name in files:
            print(f"  {label}: {name}")
    return 0 if result.same else 1


def cmd_reconcile(args) -> int:
    """The portal's published figures (DIR) beside the warehouse of an output root: <out>/reconciliation/."""
    from orchestration.publish.reconcile import run_reconciliation  # lazy: DuckDB, Dagster (quality checks): only for this command

    settings = settings_from_env(out_dir=args.out)
    portal = Path(args.portal).resolve()
    if not portal.is_dir():
        print(f"error: --portal {portal} is not a folder", file=sys.stderr)
        return 2
    if not settings.warehouse_path.exists():
        print(f"error: {settings.warehouse_path} does not exist: run `cchc run --out {settings.out_dir}` first",
              file=sys.stderr)
        return 2
    result = run_reconciliation(settings, portal)
    for message in result.messages:
        print(f"  {message}")
    print(result.line())
    print(f"  {layout.reconciliation_dir(settings.out_dir) / layout.RECONCILIATION_CSV}")
    return 0


def quiet_warnings() -> None:
    """No beta, preview or deprecation warning of the libraries reaches a user of the CLI (tests still see them)."""
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
    r.add_argument("--leadership-unit", action="append", default=[], metavar="CODE",
                   help="also print the one-page leadership report of this unit (commune, district; repeatable; every "
                        "province with data gets one): by_province/<province>/bao_cao_lanh_dao_<CODE>.pdf")
    r.add_argument("--force", action="store_true",
                   help="publish a new release even when the inputs, code and settings are those of publish/latest "
                        "(default: nothing changed ⇒ nothing published, exit 0)")
    r.add_argument("--verbose", action="store_true",
                   help="show the full Dagster and dbt log on the terminal (it always goes to <out>/logs/run-*.log)")
    r.set_defaults(func=cmd_run)
    cp = sub.add_parser("compare", help="compare two releases file by file (release ids and timestamps masked)")
    cp.add_argument("before", help="release folder")
    cp.add_argument("after", help="release folder")
    cp.set_defaults(func=cmd_compare)
    ld = sub.add_parser("leadership", help="print the one-page leadership report of units of a release (PDF)")
    ld.add_argument("--release", default="out/publish/latest", help="release folder (default out/publish/latest)")
    ld.add_argument("--unit", action="append", default=[], metavar="CODE",
                    help="unit code (commune, district, province; repeatable); none = every province with data")
    ld.add_argument("--to", default="leadership", help="output folder (default ./leadership): <to>/by_province/<province>/")
    ld.set_defaults(func=cmd_leadership)
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
    d = sub.add_parser("docs", help="the warehouse's documentation (dbt docs: models, columns, lineage) of an output root")
    d.add_argument("--out", default=None, help="output root (default: CCHC_OUT_DIR, else out/ of this checkout)")
    d.add_argument("--serve", action="store_true", help="also serve it on http://127.0.0.1:PORT/ until Ctrl-C")
    d.add_argument("--port", type=int, default=8080)
    d.set_defaults(func=cmd_docs)
    rc = sub.add_parser("reconcile", help="set the national portal's published 766 figures beside ours "
                                          "(reconciliation.csv with the differences and their reasons)")
    rc.add_argument("--portal", required=True, help="folder of the portal's JSON answers and requests.json")
    rc.add_argument("--out", default=None, help="output root whose warehouse is compared (default: CCHC_OUT_DIR, else out/)")
    rc.set_defaults(func=cmd_reconcile)
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
