"""Dagster definitions: ingest → transform (dbt) → quality → publish, a monthly schedule and a sensor on raw/.

``dagster dev`` loads ``defs`` (pyproject [tool.dagster]); ``cchc run`` builds the same assets with the
resources of its --raw/--out arguments.
"""


import dagster as dg

from orchestration.ingest.assets import ASSETS as INGEST_ASSETS
from orchestration.lib.resources import CchcSettings
from orchestration.lib.sensors import raw_files_sensor
from orchestration.publish.assets import release
from orchestration.quality.checks import quality_gate
from orchestration.transform.dbt_assets import cchc_dbt_models, dbt_resource

ALL_ASSETS = [*INGEST_ASSETS, cchc_dbt_models, quality_gate, release]

refresh_job = dg.define_asset_job(
    "cchc_refresh", selection=dg.AssetSelection.all(),
    description="Land new raw files, rewrite the changed monthly partitions, rebuild the warehouse, validate, publish.",
)
monthly_schedule = dg.build_schedule_from_partitioned_job(
    refresh_job, name="cchc_monthly", hour_of_day=2, minute_of_hour=0,
    description="Early each month: the month just ended, after the one-stop systems' monthly extracts land.",
)


def build_definitions(raw_dir: str = "", out_dir: str = "", as_of: str = "") -> dg.Definitions:
    return dg.Definitions(
        assets=ALL_ASSETS,
        jobs=[refresh_job],
        schedules=[monthly_schedule],
        sensors=[raw_files_sensor],
        resources={"cchc": CchcSettings(raw_dir=raw_dir, out_dir=out_dir, as_of=as_of), "dbt": dbt_resource()},
    )


defs = build_definitions()
