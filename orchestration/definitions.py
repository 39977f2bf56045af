"""Dagster definitions: ingest → transform (dbt) → quality → publish, a monthly schedule and a sensor on raw/.

``dagster dev`` loads ``defs`` (pyproject [tool.dagster]: the settings of the environment); ``cchc run``
(orchestration.runner) builds the same assets and jobs with the Settings of its arguments.
"""

from __future__ import annotations

import dagster as dg

from orchestration.ingest.assets import ASSETS as INGEST_ASSETS
from orchestration.lib.partitions import RANGE_END_TAG, RANGE_START_TAG, monthly
from orchestration.lib.resources import CchcSettings
from orchestration.lib.run_output import LOGGERS
from orchestration.lib.sensors import raw_files_sensor
from orchestration.lib.settings import Settings
from orchestration.publish.assets import portal_reconciliation, release
from orchestration.publish.postgres_assets import postgres_publication
from orchestration.quality.assets import quality_gate
from orchestration.transform.dbt_assets import cchc_dbt_models, dbt_resource

ALL_ASSETS = [*INGEST_ASSETS, cchc_dbt_models, quality_gate, portal_reconciliation, release, postgres_publication]

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


# The jobs of `cchc run` (orchestration.runner): the landing first (it tells which months the run covers), then the
# monthly partitions and everything downstream; the PostgreSQL publication alone when nothing else changed.
LANDING_JOB, BUILD_JOB, POSTGRES_JOB = "cchc_landing", "cchc_build", "cchc_postgres"


# the unpartitioned ingest assets but the source inventory (which reads the partitions)
LANDING_KEYS = [k for a in INGEST_ASSETS if a.partitions_def is None for k in a.keys
                if a.group_names_by_key[k] == "ingest" and k.to_user_string() != "lake/source_inventory"]
_LANDING = dg.AssetSelection.assets(*LANDING_KEYS)
cli_jobs = [
    dg.define_asset_job(LANDING_JOB, selection=_LANDING, description="cchc run, step 1: land every raw file and pull."),
    dg.define_asset_job(BUILD_JOB, selection=dg.AssetSelection.all() - _LANDING,
                        description="cchc run, step 2: the monthly partitions of the run and everything downstream."),
    dg.define_asset_job(POSTGRES_JOB, selection=dg.AssetSelection.assets(postgres_publication),
                        description="cchc run on unchanged inputs: complete the PostgreSQL publication of latest."),
]


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    """The definitions for ``settings`` (None: the environment's, as ``dagster dev`` loads them)."""
    cchc = CchcSettings.from_env() if settings is None else CchcSettings.from_settings(settings)
    return dg.Definitions(
        assets=ALL_ASSETS,
        jobs=[refresh_job, *cli_jobs],
        schedules=[monthly_schedule],
        sensors=[raw_files_sensor],
        resources={"cchc": cchc, "dbt": dbt_resource()},
        loggers=LOGGERS,
    )


defs = build_definitions()
