"""The on-disk layout of an output root: the one module that spells its folder and file names. Every other module
asks here for a path (``Settings`` too: ``settings.lake_dir`` is ``lake_dir(settings.out_dir)``)::

    <out>/                                         Settings.out_dir
      lake/                                        lake_dir(out)
        <table>/part-0.parquet                     lake_table_file(lake, table)        a lake table (lake_schema.TABLES)
        <table>/<column>=<YYYY-MM>/part-0.parquet  partition_file(lake, table, column, month)   a month of a time-based
                                                   table; <column>=__none__ (EMPTY_PARTITION) when it holds no record
        quarantine/<table>.parquet                 current_quarantine_file(lake, table)   records of the files present
        source_inventory/<table>.parquet           inventory_file(lake, table)         did the raw root hold the source
        _landed/<table>/<sha256>.parquet           LakeFiles.landed      one raw file landed (immutable, by content)
        _quarantine/<table>/<sha256>.parquet       LakeFiles.quarantine  its quarantined records
        _manifest/<table>/<sha256>.json            LakeFiles.manifest    its load manifest (ingest.loads.FileLoad)
        _state/<table>_files.json                  file_state_file(lake, table)   time-based table: files, months pending
        _state/source_db.json                      pull_state_file(lake)          the source-database pull (pull_state)
        _state/dossier_changes.jsonl               change_log_file(lake)          the dossiers' change log (changes)
      warehouse.duckdb                             warehouse_path(out)
      warehouse_published.duckdb                   analyst_copy_path(out)   the analysts' read-only copy; built beside it
                                                   as .warehouse_published.duckdb.<pid>.tmp (analyst_copy_tmp)
      quality/                                     reports_dir(out)
        checks/<asset>__<check>.json               check_records_dir(reports)   this run's check results
        gx_results/                                gx_results_dir(reports)      GX validation results (for Data Docs)
        data_docs/index.html                       data_docs_dir / data_docs_index(reports)
        overhead.json                              overhead_file(reports)       seconds spent in the checks
        …                                          the rest is the quality package's own (gx/, gx_*.json,
                                                   gx_validated/, lake_months/, quality_gate.json)
      publish/                                     publish_dir(out)
        <release_id>/manifest.json, …              release_dir(publish, id), release_manifest(release)   a release
                                                   (immutable; what it holds: publish/release.py and publish/parts.py)
        latest -> <release_id>                     latest_link(publish)    relative symbolic link, swapped atomically
        pinned.txt                                 pinned_file(publish)    releases pruning keeps
        .root_id                                   root_id_file(publish)   the output root's id (in every release id)
        .staging-<id>/  .latest-<id>  .pruning-<id>   staging_dir / latest_swap_link / pruning_dir: work in progress,
                                                   removed by the next run when a run was killed (release.remove_leftovers)
      reconciliation/reconciliation.csv, .json     reconciliation_dir(out), RECONCILIATION_CSV/_JSON   the portal's
                                                   figures vs ours (publish/reconcile.py)
      raw/                                         pull_only_raw_dir(out)    the (empty) raw root of a run that only
                                                   pulls from a source database (`cchc run --source-url` without --raw)
      logs/run-<time>.log                          logs_dir(out)
      dagster_home/                                dagster_home_dir(out)     the CLI's Dagster instance
      dbt_target/                                  dbt_target_dir(out)       dbt's target path of the run's builds
      docs/dbt/                                    dbt_docs_dir(out)         `cchc docs`
      .duckdb_tmp/                                 duckdb_temp_dir(out)      DuckDB spill files and scratch Parquet

Plain functions of the folder they describe: they return paths and never create or change anything (two list what
exists: ``analyst_copy_leftovers``, ``LakeFiles.manifests``). Do not change a name here without a migration: every
existing output root on disk has the names above.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# ------------------------------------------------------------------------------------------------ output root


def lake_dir(out_dir: Path) -> Path:
    return Path(out_dir) / "lake"


def warehouse_path(out_dir: Path) -> Path:
    return Path(out_dir) / "warehouse.duckdb"


ANALYST_COPY_NAME = "warehouse_published.duckdb"


def analyst_copy_path(out_dir: Path) -> Path:
    return Path(out_dir) / ANALYST_COPY_NAME


def analyst_copy_tmp(out_dir: Path) -> Path:
    """Where this process builds the analysts' copy before renaming it over ``analyst_copy_path``."""
    return Path(out_dir) / f".{ANALYST_COPY_NAME}.{os.getpid()}.tmp"


def analyst_copy_leftovers(out_dir: Path) -> list[Path]:
    """Copies a killed run left half-built (any process's ``analyst_copy_tmp``, and DuckDB's files beside it)."""
    return sorted(Path(out_dir).glob(f".{ANALYST_COPY_NAME}.*.tmp*"))


def reports_dir(out_dir: Path) -> Path:
    return Path(out_dir) / "quality"


def publish_dir(out_dir: Path) -> Path:
    return Path(out_dir) / "publish"


def reconciliation_dir(out_dir: Path) -> Path:
    return Path(out_dir) / "reconciliation"


RECONCILIATION_CSV, RECONCILIATION_JSON = "reconciliation.csv", "reconciliation.json"  # in reconciliation_dir


def pull_only_raw_dir(out_dir: Path) -> Path:
    return Path(out_dir) / "raw"


def logs_dir(out_dir: Path) -> Path:
    return Path(out_dir) / "logs"


def dagster_home_dir(out_dir: Path) -> Path:
    return Path(out_dir) / "dagster_home"


def dbt_target_dir(out_dir: Path) -> Path:
    return Path(out_dir) / "dbt_target"


def dbt_docs_dir(out_dir: Path) -> Path:
    return Path(out_dir) / "docs" / "dbt"


def duckdb_temp_dir(out_dir: Path) -> Path:
    return Path(out_dir) / ".duckdb_tmp"


# ------------------------------------------------------------------------------------------------ lake

TABLE_FILE = "part-0.parquet"  # the one file of a lake table (or of one of its months)
EMPTY_PARTITION = "__none__"  # the month folder of a time-based table that holds no record


def lake_table_dir(lake: Path, table: str) -> Path:
    return Path(lake) / table


def lake_table_file(lake: Path, table: str) -> Path:
    """The file of an unpartitioned lake table."""
    return lake_table_dir(lake, table) / TABLE_FILE


def partition_dir(lake: Path, table: str, column: str, month: str) -> Path:
    """The folder of one month of a time-based lake table (hive partitioning: ``<column>=<month>``)."""
    return lake_table_dir(lake, table) / f"{column}={month}"


def partition_file(lake: Path, table: str, column: str, month: str) -> Path:
    return partition_dir(lake, table, column, month) / TABLE_FILE


def partition_pattern(column: str) -> str:
    """Glob of a time-based table's month folders, relative to its table folder."""
    return f"{column}=*"


def partition_month(folder: Path) -> str:
    """The month a partition folder holds (``EMPTY_PARTITION`` for the empty table's)."""
    return folder.name.split("=", 1)[1]


def current_quarantine_file(lake: Path, table: str) -> Path:
    """Lake table ``quarantine``: the quarantined records of ``table``'s raw files present now."""
    return lake_table_dir(lake, "quarantine") / f"{table}.parquet"


def inventory_file(lake: Path, table: str) -> Path:
    """Lake table ``source_inventory``: one row per source."""
    return lake_table_dir(lake, "source_inventory") / f"{table}.parquet"


def inventory_files(lake: Path) -> str:
    """Glob of every source's inventory row."""
    return f"{lake_table_dir(lake, 'source_inventory')}/*.parquet"


@dataclass(frozen=True)
class LakeFiles:
    """Where each landed raw file, its quarantined records and its load manifest live (by table and sha256)."""

    lake_dir: Path

    def __post_init__(self):
        object.__setattr__(self, "lake_dir", Path(self.lake_dir))

    def landed(self, table: str, sha: str) -> Path:
        return self.lake_dir / "_landed" / table / f"{sha}.parquet"

    def quarantine(self, table: str, sha: str) -> Path:
        """Quarantined records of one raw file (kept with its landing, by sha256)."""
        return self.lake_dir / "_quarantine" / table / f"{sha}.parquet"

    def manifest(self, table: str, sha: str) -> Path:
        return self.lake_dir / "_manifest" / table / f"{sha}.json"

    def manifests(self) -> list[Path]:
        """Every landing manifest ever written in this lake, by table and sha256."""
        return sorted((self.lake_dir / "_manifest").glob("*/*.json"))

    def table_dir(self, table: str) -> Path:
        return lake_table_dir(self.lake_dir, table)


def _state_dir(lake: Path) -> Path:
    return Path(lake) / "_state"


def file_state_file(lake: Path, table: str) -> Path:
    """A time-based table's landed files and the months still to be (re)written (ingest.assets)."""
    return _state_dir(lake) / f"{table}_files.json"


def pull_state_file(lake: Path) -> Path:
    return _state_dir(lake) / "source_db.json"


def change_log_file(lake: Path) -> Path:
    return _state_dir(lake) / "dossier_changes.jsonl"


# ------------------------------------------------------------------------------------------------ quality reports


def check_records_dir(reports: Path) -> Path:
    return Path(reports) / "checks"


def gx_results_dir(reports: Path) -> Path:
    return Path(reports) / "gx_results"


def data_docs_dir(reports: Path) -> Path:
    return Path(reports) / "data_docs"


def data_docs_index(reports: Path) -> Path:
    return data_docs_dir(reports) / "index.html"


def overhead_file(reports: Path) -> Path:
    return Path(reports) / "overhead.json"


# ------------------------------------------------------------------------------------------------ releases

LATEST = "latest"
RELEASE_MANIFEST = "manifest.json"  # a release folder is complete when it holds its manifest (written last)
PINNED_FILE = "pinned.txt"
ROOT_ID_FILE = ".root_id"
STAGING_PREFIX, LATEST_SWAP_PREFIX, PRUNING_PREFIX = ".staging-", ".latest-", ".pruning-"


def latest_link(publish: Path) -> Path:
    return Path(publish) / LATEST


def release_dir(publish: Path, release_id: str) -> Path:
    return Path(publish) / release_id


def release_manifest(release: Path) -> Path:
    return Path(release) / RELEASE_MANIFEST


def pinned_file(publish: Path) -> Path:
    return Path(publish) / PINNED_FILE


def root_id_file(publish: Path) -> Path:
    return Path(publish) / ROOT_ID_FILE


def staging_dir(publish: Path, release_id: str) -> Path:
    """A release being written; renamed to ``release_dir`` when complete."""
    return Path(publish) / f"{STAGING_PREFIX}{release_id}"


def latest_swap_link(publish: Path, release_id: str) -> Path:
    """The new ``latest`` link, made beside the old one and renamed over it."""
    return Path(publish) / f"{LATEST_SWAP_PREFIX}{release_id}"


def pruning_dir(publish: Path, release_id: str) -> Path:
    """A pruned release, renamed out of its name before it is removed."""
    return Path(publish) / f"{PRUNING_PREFIX}{release_id}"
