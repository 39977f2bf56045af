"""The one Dagster resource every asset uses: the run's settings (orchestration.lib.settings.Settings)."""

from __future__ import annotations

import dagster as dg

from orchestration.lib.secrets import resolve_url
from orchestration.lib.settings import DEVELOPMENT_PSEUDONYM_KEY, Settings, settings_from_env


class CchcSettings(dg.ConfigurableResource):
    """The run's Settings as Dagster resource config. Built from a Settings object (``from_settings``: the runner,
    tests) or from the environment (``from_env``: ``dagster dev``). Secrets are left empty by ``from_env`` — the
    webserver shows resource config — and are then read from the environment when a step needs them."""

    raw_dir: str = ""
    out_dir: str = ""
    as_of: str = ""
    national_csv: bool = False
    full_build: bool = False
    max_quarantine_share: float = 0.05
    max_quarantine_min_records: int = 5
    max_text_length: int = 2000
    volume_drop_warn: float = 0.5
    data_docs: bool = True
    leadership_units: list[str] = []
    pseudonym_key: str = ""  # secret: "" = CCHC_PSEUDONYM_KEY, else the development key
    source_url: str = ""  # secret
    # dagster dev: no URL in the config, the pull reads CCHC_SOURCE_URL / CCHC_SOURCE_URL_FILE. cchc run pulls only
    # from its --source-url, even when the variable happens to be exported.
    source_url_from_env: bool = False

    @classmethod
    def from_settings(cls, s: Settings, source_url_from_env: bool = False) -> "CchcSettings":
        return cls(raw_dir=str(s.raw_dir), out_dir=str(s.out_dir), as_of=s.as_of or "", national_csv=s.national_csv,
                   full_build=s.full_build, max_quarantine_share=s.max_quarantine_share,
                   max_quarantine_min_records=s.max_quarantine_min_records, max_text_length=s.max_text_length,
                   volume_drop_warn=s.volume_drop_warn, data_docs=s.data_docs,
                   leadership_units=list(s.leadership_units),
                   pseudonym_key=s.pseudonym_key if s.pseudonym_key != DEVELOPMENT_PSEUDONYM_KEY else "",
                   source_url=s.source_url or "", source_url_from_env=source_url_from_env)

    @classmethod
    def from_env(cls) -> "CchcSettings":
        return cls.from_settings(settings_from_env().replace(pseudonym_key=DEVELOPMENT_PSEUDONYM_KEY, source_url=None),
                                 source_url_from_env=True)

    def settings(self) -> Settings:
        base = settings_from_env(self.raw_dir or None, self.out_dir or None)  # only the secrets are taken from it
        return base.replace(as_of=self.as_of or None, national_csv=self.national_csv, full_build=self.full_build,
                            max_quarantine_share=self.max_quarantine_share,
                            max_quarantine_min_records=self.max_quarantine_min_records,
                            max_text_length=self.max_text_length, volume_drop_warn=self.volume_drop_warn,
                            data_docs=self.data_docs, leadership_units=tuple(self.leadership_units),
                            pseudonym_key=self.pseudonym_key or base.pseudonym_key,
                            source_url=self.source_url or (resolve_url(None, "CCHC_SOURCE_URL")
                                                           if self.source_url_from_env else None))
