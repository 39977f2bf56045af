import os
import time

import pytest

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")

# the PostgreSQL server fixture (module-scoped: each module that asks for it starts its own server)
pytest_plugins = ["tests.pg_server"]


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory):
    """The pipeline run once on the committed sample per test process (xdist worker), shared by the modules that
    only read its output (a test that changes the warehouse copies it first). Recorded in a persistent Dagster
    instance, as a CLI run is. (settings, failures, warnings, materialised asset keys, start time)."""
    from orchestration.lib.settings import REPO_ROOT, Settings
    from orchestration.runner import run_pipeline

    settings = Settings(raw_dir=REPO_ROOT / "raw" / "sample", out_dir=tmp_path_factory.mktemp("sample_out"))
    started = time.time()
    failures, warnings, done = run_pipeline(settings, persistent=True)
    return settings, failures, warnings, done, started


# `make test` runs `pytest -n 2 --dist loadfile`: xdist hands whole modules to the two workers in collection order, so
# the longest modules go first (longest-processing-time-first) and neither worker is left alone with a long module at
# the end. Order only — measured with `make test` (--durations); a module missing here keeps its place after these.
SLOW_MODULES_FIRST = [
    "test_pipeline_e2e.py", "test_incremental_build.py", "test_release_formats.py", "test_bench.py",
    "test_reorganisation.py", "test_source_db_e2e.py", "test_bad_inputs.py", "test_scorecard.py", "test_dbt_build.py",
    "test_indicators_release.py", "test_explain_grain.py", "test_portal_rules.py", "test_quality_checks.py",
    "test_defects_e2e.py", "test_improvement_plan.py",
]


def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(SLOW_MODULES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a module's own order is kept
