"""Run settings: where the raw root, lake, warehouse and releases live, and the tunable limits.

Everything comes from the command line or from environment variables, never from code edits:

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
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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

    @property
    def lake_dir(self) -> Path:
        return self.out_dir / "lake"

    @property
    def warehouse_path(self) -> Path:
        return self.out_dir / "warehouse.duckdb"

    @property
    def publish_dir(self) -> Path:
        return self.out_dir / "publish"

    @property
    def reports_dir(self) -> Path:
        """Per-run quality output (validation results, Data Docs)."""
        return self.out_dir / "quality"

    def dbt_env(self) -> dict[str, str]:
        """Environment the dbt profile reads (profiles.yml only reads environment variables)."""
        env = {
            "CCHC_LAKE_DIR": str(self.lake_dir),
            "CCHC_WAREHOUSE": str(self.warehouse_path),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        if self.as_of:
            env["CCHC_AS_OF"] = self.as_of
        return env


def settings_from_env(raw_dir: str | os.PathLike | None = None, out_dir: str | os.PathLike | None = None) -> Settings:
    raw = Path(raw_dir or os.environ.get("CCHC_RAW_DIR") or REPO_ROOT / "raw" / "sample").resolve()
    out = Path(out_dir or os.environ.get("CCHC_OUT_DIR") or REPO_ROOT / "out").resolve()
    return Settings(
        raw_dir=raw,
        out_dir=out,
        pseudonym_key=os.environ.get("CCHC_PSEUDONYM_KEY") or DEVELOPMENT_PSEUDONYM_KEY,
        max_quarantine_share=float(os.environ.get("CCHC_MAX_QUARANTINE_SHARE", "0.05")),
        max_quarantine_min_records=int(os.environ.get("CCHC_MAX_QUARANTINE_MIN_RECORDS", "5")),
        max_text_length=int(os.environ.get("CCHC_MAX_TEXT_LENGTH", "2000")),
        as_of=os.environ.get("CCHC_AS_OF") or None,
        national_csv=os.environ.get("CCHC_NATIONAL_CSV", "").strip().lower() in ("1", "true", "yes"),
    )


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
