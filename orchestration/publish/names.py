"""One name per concept: the warehouse's English column names and the contract's Vietnamese names they are published
under. The map is the dbt variable ``published_names`` (dbt_project.yml) — dbt renames with it
(macros/published_copy.sql), the data dictionary and the analysts' database read the same map from here."""

from functools import cache

import yaml

from orchestration.lib.settings import DBT_PROJECT_DIR


@cache
def published_names() -> dict[str, str]:
    """warehouse column → published column (e.g. field_code → ma_linh_vuc)."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return dict(project["vars"]["published_names"])

