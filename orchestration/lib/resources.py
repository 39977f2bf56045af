"""The one Dagster resource every asset uses: where the raw root and the outputs are."""


import os

import dagster as dg

from orchestration.lib.settings import Settings, settings_from_env


class CchcSettings(dg.ConfigurableResource):
    """Raw root and output root of a run (defaults: CCHC_RAW_DIR / CCHC_OUT_DIR, else raw/sample and out/)."""

    raw_dir: str = ""
    out_dir: str = ""
    as_of: str = ""
    full_build: bool = False  # rebuild every incremental model from scratch (also: CCHC_FULL_BUILD=1)

    def full_build_requested(self) -> bool:
        return self.full_build or os.environ.get("CCHC_FULL_BUILD", "") == "1"

    def settings(self) -> Settings:
        s = settings_from_env(self.raw_dir or None, self.out_dir or None)
        if self.as_of:
            s = Settings(**{**s.__dict__, "as_of": self.as_of})
        return s

    def export_env(self) -> Settings:
        """Settings, with the environment dbt's profile reads set for this process."""
        s = self.settings()
        os.environ.update(s.dbt_env())
        return s
