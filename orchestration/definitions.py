"""Dagster definitions: ingest → transform (dbt) → quality → publish, a monthly schedule and a sensor on raw/.

``dagster dev`` loads ``defs`` (pyproject [tool.dagster]); ``cchc run`` builds the same assets with the
resources of its --raw/--out arguments.
"""


import dagster as dg

from orchestration.ingest.assets import ASSETS as INGEST_ASSETS
from orchestration.lib.partitions import RANGE_END_TAG, RANGE_START_TAG, monthly
from orchestration.lib.resources import CchcSettings
from orchestration.lib.sensors import raw_files_sensor
from orchestration.publish.assets import release
from orchestration.publish.postgres_assets import postgres_publication
from orchestration.quality.checks import quality_gate
from orchestration.transform.dbt_assets import cchc_dbt_models, dbt_resource

ALL_ASSETS = [*INGEST_ASSETS, cchc_dbt_models, quality_gate, release, postgres_publication]

refresh_job = dg.define_asset_job(
    "cchc_refresh", selection=dg.AssetSelection.all(),
    description="Land new raw files, rewrite the changed monthly partitions, rebuild the warehouse, validate, publish.",
)


@dg.schedule(cron_schedule="0 2 1 * *", job=refresh_job, execution_timezone="Asia/Ho_Chi_Minh", name="cchc_monthly",
             description="02:00 on the 1st of each month, after the one-stop systems' monthly extracts land: one run over "
             "every monthly partition up to the new month; only months whose files changed are rewritten (late "
             "corrections to older months included), the month just ended is published as final.")
def monthly_schedule(context: dg.ScheduleEvaluationContext):
    keys = monthly.get_partition_keys(current_time=context.scheduled_execution_time)
    return dg.RunRequest(tags={RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]})


def build_definitions(raw_dir: str = "", out_dir: str = "", as_of: str = "") -> dg.Definitions:
    return dg.Definitions(
        assets=ALL_ASSETS,
        jobs=[refresh_job],
        schedules=[monthly_schedule],
        sensors=[raw_files_sensor],
        resources={"cchc": CchcSettings(raw_dir=raw_dir, out_dir=out_dir, as_of=as_of), "dbt": dbt_resource()},
    )


defs = build_definitions()
