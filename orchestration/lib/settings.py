"""Run settings: where the raw root, lake, warehouse and releases live, and the tunable limits.

One typed object (``Settings``) describes a run; the runner and the Dagster resource (``CchcSettings``) are handed
it — nothing is passed between them through ``os.environ``. The environment is read in one place,
``settings_from_env``, at the boundary (the CLI, ``dagster dev``'s definitions); the CLI's options override it:

- ``CCHC_RAW_DIR``  raw root (landing zone) — default ``raw/sample`` of this checkout
- ``CCHC_OUT_DIR``  output root: ``lake/``, ``warehouse.duckdb``, ``publish/`` — default ``out/``
- ``CCHC_PSEUDONYM_KEY`` secret key of the keyed hash replacing personal data (a development default is
  used when unset; set a real secret in production, and keep it stable so pseudonyms stay comparable)
- ``CCHC_MAX_QUARANTINE_SHARE`` largest share of a file's records that may be quarantined before the run
  stops (default 0.05)
- ``CCHC_MAX_QUARANTINE_MIN_RECORDS`` the share limit only stops the run when at least this many records of
  the file are quarantined (default 5): two bad rows of a 19-row PAKN file are quarantined and reported, not a
  reason to block a release
- ``CCHC_MAX_TEXT_LENGTH`` longest accepted text cell, in characters (default 2000): a longer value quarantines
  its record (rule ``text_too_long``) instead of carrying megabytes of text into the warehouse
- ``CCHC_AS_OF`` explicit as-of time (ISO) instead of the latest NgayCapNhat
- ``CCHC_NATIONAL_CSV`` ``1``: also write the single national ``indicator_observations.csv`` and
  ``report_bieu06.csv`` at the release root (off by default: a release is its parts, DATA_CONTRACT §2.2)
- ``CCHC_FULL_BUILD`` ``1``: rebuild the warehouse's incremental models from scratch
- ``CCHC_SOURCE_URL`` (or the file named by ``CCHC_SOURCE_URL_FILE``) one-stop database to pull from — read by
  the pull asset only when the settings carry no URL (``dagster dev``); ``cchc run`` pulls only with --source-url
- ``CCHC_VOLUME_DROP_WARN`` drop of a month's rows vs the previous month / a year earlier that warns (default 0.5)
- ``CCHC_DATA_DOCS`` ``0``: no HTML Data Docs (the validation results are still written)
- ``CCHC_LEADERSHIP_UNITS`` comma-separated unit codes (communes, districts) that also get the one-page leadership
  report (every province with data gets one): ``by_province/<province>/bao_cao_lanh_dao_<unit>.pdf``

Process tuning (how fast, never what is published) stays in the environment, read where it is used:
``CCHC_INGEST_WORKERS``, ``CCHC_LANDING_ATTEMPTS``, ``CCHC_GX_CHUNK_ROWS``, ``CCHC_SOURCE_RETRIES``,
``CCHC_SOURCE_RETRY_SECONDS``, ``CCHC_DUCKDB_MEMORY``, ``CCHC_DUCKDB_THREADS``, ``CCHC_DBT_THREADS``,
``CCHC_DUCKDB_STORAGE_VERSION``.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from orchestration.lib import layout

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
LOCAL_TZ = "Asia/Ho_Chi_Minh"

# Documented development default: pseudonyms made with it are NOT protected. Production sets the variable.
DEVELOPMENT_PSEUDONYM_KEY = "cchc-development-key-not-a-secret"


@dataclass(frozen=True)
class Settings:
    raw_dir: Path
    out_dir: Path
    pseudonym_key: str = DEVELOPMENT_PSEUDONYM_KEY
    max_quarantine_share: float = 0.05
    max_quarantine_min_records: int = 5
    max_text_length: int = 2000
    as_of: str | None = None
    national_csv: bool = False
    full_build: bool = False  # rebuild every incremental model from scratch
    # a secret (a password in the URL): never printed (repr) and never in a fingerprint
    source_url: str | None = field(default=None, repr=False)
    volume_drop_warn: float = 0.5
    data_docs: bool = True
    # units (beyond the provinces) whose one-page leadership report each release prints
    leadership_units: tuple[str, ...] = ()

    def __post_init__(self):
        if not 0 < self.volume_drop_warn <= 1:
            raise ValueError(f"volume_drop_warn (CCHC_VOLUME_DROP_WARN) = {self.volume_drop_warn!r} must be a share "
                             "in (0, 1]")

    def replace(self, **changes) -> "Settings":
        return replace(self, **changes)

    # the output root's folders (orchestration.lib.layout draws the whole tree)
    @property
    def lake_dir(self) -> Path:
        return layout.lake_dir(self.out_dir)

    @property
    def warehouse_path(self) -> Path:
        return layout.warehouse_path(self.out_dir)

    @property
    def publish_dir(self) -> Path:
        return layout.publish_dir(self.out_dir)

    @property
    def reports_dir(self) -> Path:
        """Per-run quality output (validation results, Data Docs)."""
        return layout.reports_dir(self.out_dir)

    def dbt_env(self) -> dict[str, str]:
        """Environment the dbt profile and sources read (profiles.yml only reads environment variables)."""
        return {
            "CCHC_LAKE_DIR": str(self.lake_dir),
            "CCHC_WAREHOUSE": str(self.warehouse_path),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }

    @contextlib.contextmanager
    def dbt_environment(self):
        """dbt's environment set for the dbt subprocess a step starts (dagster-dbt hands it a copy of os.environ),
        restored afterwards: dbt reads its profile only from environment variables."""
        saved = {k: os.environ.get(k) for k in self.dbt_env()}
        os.environ.update(self.dbt_env())
        try:
            yield self
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def _share(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        return float(raw) if raw.strip() else default
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number (a share such as 0.5)") from None


def settings_from_env(raw_dir: str | os.PathLike | None = None, out_dir: str | os.PathLike | None = None,
                      **overrides) -> Settings:
    """The settings of the environment (the module docstring), with ``overrides`` (the CLI's options) on top."""
    raw = Path(raw_dir or os.environ.get("CCHC_RAW_DIR") or REPO_ROOT / "raw" / "sample").resolve()
    out = Path(out_dir or os.environ.get("CCHC_OUT_DIR") or REPO_ROOT / "out").resolve()
    values = dict(
        raw_dir=raw,
        out_dir=out,
        pseudonym_key=os.environ.get("CCHC_PSEUDONYM_KEY") or DEVELOPMENT_PSEUDONYM_KEY,
        max_quarantine_share=float(os.environ.get("CCHC_MAX_QUARANTINE_SHARE", "0.05")),
        max_quarantine_min_records=int(os.environ.get("CCHC_MAX_QUARANTINE_MIN_RECORDS", "5")),
        max_text_length=int(os.environ.get("CCHC_MAX_TEXT_LENGTH", "2000")),
        as_of=os.environ.get("CCHC_AS_OF") or None,
        national_csv=_flag("CCHC_NATIONAL_CSV"),
        full_build=_flag("CCHC_FULL_BUILD"),
        volume_drop_warn=_share("CCHC_VOLUME_DROP_WARN", 0.5),
        data_docs=os.environ.get("CCHC_DATA_DOCS", "1") != "0",
        leadership_units=tuple(u.strip() for u in os.environ.get("CCHC_LEADERSHIP_UNITS", "").split(",") if u.strip()),
    )
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)


def duckdb_memory_limit() -> str:
    """DuckDB's memory_limit for every connection of a run (``CCHC_DUCKDB_MEMORY``, default 4GB, as the dbt
    profile): above it DuckDB spills or streams instead of caching a national warehouse in memory."""
    return os.environ.get("CCHC_DUCKDB_MEMORY", "4GB")


def limit_memory(con) -> None:
    con.execute(f"SET memory_limit = '{duckdb_memory_limit()}'")


def duckdb_storage_version() -> str:
    """Storage format of the DuckDB files the run creates (``CCHC_DUCKDB_STORAGE_VERSION``, default ``v1.5.0``, as
    the dbt profile): DuckDB 2.0 writes its own format by default, which DuckDB 1.x clients cannot open, and the
    analysts' copy of the warehouse is meant for whatever client an analyst has."""
    return os.environ.get("CCHC_DUCKDB_STORAGE_VERSION", "v1.5.0")
