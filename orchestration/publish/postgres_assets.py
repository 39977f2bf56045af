"""Dagster asset ``postgres_publication`` (group ``publish``): the latest release loaded into PostgreSQL.

Runs after ``release``. Without a database configured (``CCHC_PG_URL`` / ``CCHC_PG_URL_FILE``) it records
"skipped: no CCHC_PG_URL" and succeeds: the run is not failed for a publication nobody asked for. With one, a
failed load fails the asset (the files of the release are published regardless). See docs/postgres.md.
"""

import dagster as dg

from orchestration.lib import layout
from orchestration.lib.resources import CchcSettings
from orchestration.publish.postgres import mask_url, publish_release_to_postgres, resolve_pg_url

SKIPPED = "skipped: no CCHC_PG_URL"


@dg.asset(group_name="publish", deps=[dg.AssetKey(["release"])], kinds={"postgres"},
          description="The latest release's tables (indicator_observations, report_bieu06, target_tracking, units) "
          "loaded into PostgreSQL schema cchc with a role per province and row-level security; skipped when "
          "CCHC_PG_URL / CCHC_PG_URL_FILE is not set.")
def postgres_publication(context: dg.AssetExecutionContext, cchc: CchcSettings) -> dg.MaterializeResult:
    url = resolve_pg_url()
    if not url:
        context.log.info("PostgreSQL publication " + SKIPPED)
        return dg.MaterializeResult(metadata={"status": SKIPPED})
    latest = layout.latest_link(cchc.settings().publish_dir)
    if not latest.exists():
        raise dg.Failure(f"no release to load: {latest} does not exist")
    release_dir = latest.resolve()
    context.log.info(f"loading release {release_dir.name} into {mask_url(url)}")
    result = publish_release_to_postgres(release_dir, url)
    context.log.info(f"release {result['release_id']} {result['status']} into {result['target']} in {result['seconds']} s")
    metadata = {
        "status": result["status"],
        "release_id": result["release_id"],
        "target": result["target"],  # masked: postgresql://user:***@host/db
        "schema": result["schema"],
        "seconds": result["seconds"],
        **{f"rows_{t}": dg.MetadataValue.int(int(n)) for t, n in result["row_counts"].items()},
    }
    if result.get("provinces"):
        metadata["provinces"] = ", ".join(result["provinces"])
    return dg.MaterializeResult(metadata=metadata)
