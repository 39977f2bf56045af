"""The Dagster instance a CLI run records itself in (runs, materialisations, partitions, check results), so that
`dagster dev` (`make dev`) on the same output shows the history.

``<out>/dagster_home`` by default, or the user's ``$DAGSTER_HOME``. The instance we create stores its event log with
``PooledSqliteEventLogStorage``: Dagster's SQLite event log opens a new engine and connection for every event (and
up to three more for an asset or check event), which cost a sample run ≈ 10 s of its 42 (py-spy, 2 cores); keeping
one connection per thread and database file does the same writes in about a quarter of the time
(``docs/benchmarks.md``, "fixed overhead").
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from sqlalchemy.pool import SingletonThreadPool

from orchestration.lib import layout
from orchestration.lib.settings import REPO_ROOT, Settings

CLI_JOBS = ("cchc_landing", "cchc_build", "cchc_postgres")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's per-run SQLite event log, with one engine per database file kept for the life of the instance and
    one connection per thread (SQLite connections may not cross threads; the webserver's and the daemon's threads
    each get their own). Same files, same schema: an instance can switch between this and the stock class."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: dict[str, sa.Engine] = {}
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str):
        with self._db_lock:
            engine = self._engines.get(shard)
            if engine is None:
                engine = sa.create_engine(self.conn_string_for_shard(shard), poolclass=SingletonThreadPool,
                                          connect_args={"timeout": 15})  # Dagster's SQLITE_BUSY_TIMEOUT_SECONDS
                if shard not in self._initialized_dbs:
                    self._initdb(engine)
                    self._initialized_dbs.add(shard)
                self._engines[shard] = engine
            with engine.connect() as conn, conn.begin():
                yield conn

    def _dispose_engines(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._dispose_engines()  # the files are deleted: no connection may keep them open
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()


def instance_yaml(home: Path) -> str:
    """dagster.yaml of an instance we create: the repository's settings (telemetry off, one warehouse writer at a
    time) and the pooled event log in Dagster's default place (history/runs)."""
    base = (REPO_ROOT / "dagster.yaml").read_text(encoding="utf-8")
    runs = home.resolve() / "history" / "runs"
    return (f"{base.rstrip()}\n\n# written by cchc run (orchestration/lib/dagster_instance.py)\nevent_log_storage:\n"
            f"  module: orchestration.lib.dagster_instance\n  class: PooledSqliteEventLogStorage\n"
            f"  config:\n    base_dir: {str(runs)!r}\n")


def dagster_home(settings: Settings) -> Path:
    """$DAGSTER_HOME when set (the user's instance, their dagster.yaml untouched), else <out>/dagster_home — what
    `make dev` (dagster dev on the same output) reads. Our dagster.yaml is rewritten when it differs (an output
    folder that was moved keeps its event log beside it)."""
    if os.environ.get("DAGSTER_HOME"):
        return Path(os.environ["DAGSTER_HOME"])
    home = layout.dagster_home_dir(settings.out_dir)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    text = instance_yaml(home)
    if not config.exists() or config.read_text(encoding="utf-8") != text:
        config.write_text(text, encoding="utf-8")
    return home


def open_instance(settings: Settings, persistent: bool) -> dg.DagsterInstance:
    """The instance of a run: persistent (the CLI) records into dagster_home; otherwise an ephemeral one
    (in-process callers such as tests, which read results from the run itself)."""
    if not persistent:
        return dg.DagsterInstance.ephemeral()
    instance = dg.DagsterInstance.from_config(str(dagster_home(settings)))
    close_interrupted_runs(instance)
    return instance


def close_interrupted_runs(instance: dg.DagsterInstance) -> None:
    """A CLI run killed mid-way (SIGKILL, power cut) stays "started" in the instance and keeps its slot of the pool
    warehouse_writer (dagster.yaml: one writer): the next CLI run on this output would wait for it forever. CLI runs
    never overlap on one output (the warehouse has one writer), so an unfinished CLI run found at start is dead: it is
    marked failed and its slots are freed."""
    alive = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING,
             dg.DagsterRunStatus.STARTED]
    for job in CLI_JOBS:
        for run in instance.get_runs(filters=dg.RunsFilter(job_name=job, statuses=alive)):
            instance.report_run_failed(run, message="interrupted: the process ended without finishing this run")
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


if __name__ == "__main__":  # `make dev`: the instance of an output folder, created as `cchc run` creates it
    import sys

    from orchestration.lib.settings import settings_from_env

    print(dagster_home(settings_from_env(out_dir=sys.argv[1] if len(sys.argv) > 1 else None)))
