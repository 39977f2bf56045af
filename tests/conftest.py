import os
import time
from pathlib import Path

import pytest

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")

# the PostgreSQL server fixture (module-scoped: each module that asks for it starts its own server)
pytest_plugins = ["tests.pg_server"]


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory):
    """The pipeline run once on the committed sample per test process, shared by the SAMPLE_RUN_MODULES (one unit of
    work under xdist, below). They read its output; a test that changes the warehouse copies it first; the pipeline
    e2e tests also run the pipeline again on it (an unchanged re-run publishes nothing; a crash leaves ``latest``),
    which leaves the published data as it was. Recorded in a persistent Dagster instance, as a CLI run is.
    (settings, failures, warnings, materialised asset keys, start time)"""
    from orchestration.lib.settings import REPO_ROOT, Settings
    from orchestration.runner import run_pipeline

    settings = Settings(raw_dir=REPO_ROOT / "raw" / "sample", out_dir=tmp_path_factory.mktemp("sample_out"))
    started = time.time()
    failures, warnings, done = run_pipeline(settings, persistent=True)
    return settings, failures, warnings, done, started


# `make test` runs `pytest -n 2 --dist loadfile --no-loadscope-reorder`: xdist hands whole modules to the two
# workers in collection order (without --no-loadscope-reorder it would order them by their number of tests, which put
# the longest modules — one or two tests each — last and left one worker alone with them for minutes). The longest
# modules go first (longest-processing-time-first). Order only: measured with `make test --durations`; a module
# missing here keeps its place after these.
SLOW_MODULES_FIRST = [
    "test_pipeline_e2e.py", "test_release_formats.py", "test_incremental_build.py", "test_bench.py",
    "test_bad_inputs.py", "test_reorganisation.py", "test_source_db_e2e.py", "test_scorecard.py", "test_dbt_build.py",
    "test_indicators_release.py", "test_explain_grain.py", "test_portal_rules.py", "test_defects_e2e.py",
]
# The modules that read the session's sample run (fixture sample_run) form one unit of work: one worker runs them all
# and the sample is run once, not once per worker.
SAMPLE_RUN_MODULES = {"test_pipeline_e2e.py", "test_quality_checks.py", "test_sample_golden.py", "test_bench_values.py",
                      "test_improvement_plan.py"}


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(SLOW_MODULES_FIRST)}
    first = rank[min(SAMPLE_RUN_MODULES & set(rank), key=rank.get)]
    items.sort(key=lambda item: first if item.path.name in SAMPLE_RUN_MODULES else rank.get(item.path.name, len(rank)))


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadFileScheduling

    if config.getoption("dist") != "loadfile":
        return None

    class SampleRunTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = super()._split_scope(nodeid)
            return "sample_run modules" if Path(module).name in SAMPLE_RUN_MODULES else module

    return SampleRunTogether(config, log)
