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
