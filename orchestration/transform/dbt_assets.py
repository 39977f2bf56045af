"""The dbt project as Dagster assets (one group per layer: ``dbt_staging`` … ``dbt_publish``); dbt tests appear as asset checks.

The manifest is prepared once (``cchc prepare`` / ``make setup`` run ``dbt parse``); definitions never parse
dbt on import in production. Only one step writes the warehouse at a time (DuckDB has one writer per file):
the dbt step runs in the ``warehouse_writer`` pool, the others read through read-only connections.
"""


import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.ingest import changes
from orchestration.lib import layout, run_output
from orchestration.lib.resources import CchcSettings
from orchestration.lib.settings import DBT_PROJECT_DIR, REPO_ROOT, settings_from_env
from orchestration.transform import incremental
from orchestration.transform.incremental import BuildPlan

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _manifest_is_fresh() -> bool:
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        sources += [p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file()]
    return all(p.stat().st_mtime <= built for p in sources)


def parse_project() -> bool:
    """`dbt parse` (target/manifest.json, which Dagster loads, and target/partial_parse.msgpack). Parsed with the
    profile of the checkout's default output (out/, what `make run` writes): dbt reuses a partial parse only when
    the profile (the warehouse path) and the --vars are the same, so a first full run on out/ skips the ≈ 4 s parse."""
    from dbt.cli.main import dbtRunner  # lazy: ≈0.4 s beyond what Dagster's dbt integration loads; only for a parse

    with settings_from_env(out_dir=REPO_ROOT / "out").dbt_environment():
        res = dbtRunner().invoke(["parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                                  "--quiet"])
    return bool(res.success)


def generate_docs(settings, folder: Path) -> Path:
    """dbt's documentation of the warehouse of ``settings`` (every model and column, the lineage graph, the catalog of
    its tables) into ``folder``; returns ``static_index.html``, one self-contained file a browser opens from disk.
    dbt runs in its own process, as in a run: in-process, dbt-duckdb would keep the warehouse open in the caller."""
    if not settings.warehouse_path.exists():
        raise FileNotFoundError(f"{settings.warehouse_path} does not exist: run `cchc run --out {settings.out_dir}` first")
    dbt = Path(sys.executable).with_name("dbt")
    proc = subprocess.run([str(dbt), "docs", "generate", "--static", "--no-use-colors", "--quiet",
                           "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                           "--target-path", str(folder)],
                          env={**os.environ, **settings.dbt_env()}, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"dbt docs generate failed: {(proc.stdout + proc.stderr).strip()[-2000:]}")
    return folder / "static_index.html"


def ensure_manifest() -> None:
    """Write target/manifest.json with `dbt parse` when it is missing or older than the project's files."""
    if not _manifest_is_fresh() and not parse_project():
        raise RuntimeError("dbt parse failed (run `cchc prepare` to see why)")


ensure_manifest()



class CchcDbtTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """One group per dbt layer, as the project's folders are (dbt_staging, dbt_intermediate, dbt_marts,
        dbt_indicators, dbt_publish; the seeds dbt_seeds): the asset graph shows the layers. The CLI shows them as
        one stage, the warehouse (orchestration.lib.run_output.stage_of)."""
        return dbt_group(dbt_resource_props)


def dbt_group(dbt_resource_props: Mapping[str, Any]) -> str:
    fqn = dbt_resource_props.get("fqn") or []
    if dbt_resource_props.get("resource_type") == "seed" or len(fqn) < 3:
        return "dbt_seeds"
    return f"dbt_{fqn[1]}"


def dbt_build_args(as_of: str | None, plan: BuildPlan | None = None) -> list[str]:
    """The dbt command of a run (pure, unit-tested): build every model, seed and data test, with the as-of time when
    given; a full plan rebuilds the incremental models from scratch, an incremental one passes its scope as a
    variable. dbt's unit tests (given/expect on mocked inputs) are left out: they test the code, not the data, so
    they run in the test suite (tests/test_dbt_build.py's plain ``dbt build``) and not in every production run, as
    dbt advises (they took about a fifth of the sample run's dbt step)."""
    # no colour codes: dbt's lines go to log files and pipes as often as to a terminal
    args = ["build", "--no-use-colors", "--exclude", "resource_type:unit_test"]
    dbt_vars = {"as_of": as_of} if as_of else {}
    if plan is not None:
        dbt_vars.update(plan.dbt_vars())
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    if plan is not None and plan.full:
        args.append("--full-refresh")
    return args


@dbt_assets(manifest=dbt_project.manifest_path, dagster_dbt_translator=CchcDbtTranslator(), pool="warehouse_writer")
def cchc_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, cchc: CchcSettings):
    settings = cchc.settings()
    settings.out_dir.mkdir(parents=True, exist_ok=True)
    warehouse = settings.warehouse_path
    recovered = incremental.recover_wal(warehouse)  # a run killed while writing the warehouse left its log
    if recovered:
        context.log.info(recovered)
    fingerprint = incremental.fingerprint(settings)
    plan = incremental.plan_build(incremental.read_state(warehouse), fingerprint, changes.read_changes(settings.lake_dir),
                                  full_requested=settings.full_build,
                                  interrupted=incremental.read_interrupted(warehouse))
    context.log.info(plan.describe())
    incremental.begin_build(warehouse, plan, fingerprint)
    # dbt's artifacts of the run (run_results.json, logs) beside the warehouse they describe, replaced by the next
    # run: dagster-dbt's default is a new target/<step>-<id>/ folder in the repo per run (≈ 21 MB each, never pruned)
    try:
        # a quiet CLI run: dbt's lines to the run log, not the terminal
        with run_output.dbt_output(), settings.dbt_environment():
            yield from dbt.cli(dbt_build_args(settings.as_of, plan), context=context,
                               target_path=layout.dbt_target_dir(settings.out_dir)).stream()
    except BaseException:
        incremental.clear_state(warehouse)  # a failed build (a dbt error, a failed test) is followed by a full one
        raise
    incremental.write_state(warehouse, plan, fingerprint)
    rescored = incremental.rescored_periods(warehouse)
    if rescored:
        context.log.info(rescored)


class CchcDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource without the dbt adapter it opens in this process before every dbt command: that
    adapter only serves the row-count and column-metadata fetchers of the event stream (``fetch_row_counts``,
    ``fetch_column_metadata``), which this project does not use — and it cost ≈ 2 s of every run (profiled: the
    adapter's registration and macro loading, between the build plan and the dbt subprocess)."""

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_resource() -> DbtCliResource:
    # the dbt of this virtual environment, whether or not the venv is on PATH
    return CchcDbtCliResource(project_dir=dbt_project, dbt_executable=str(Path(sys.executable).with_name("dbt")))
