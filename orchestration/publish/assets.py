"""Publication (group ``publish``): runs only after every blocking check upstream passed."""


import json

import dagster as dg

from orchestration.lib.resources import CchcSettings
from orchestration.publish.release import write_release
from orchestration.quality.checks import quality_gate


@dg.asset(group_name="publish", deps=[quality_gate], kinds={"csv"},
          description="An immutable release publish/<release_id>/ (indicator_observations.csv, report_bieu06.csv, manifest.json); "
          "publish/latest moves to it only once it is complete.")
def release(context: dg.AssetExecutionContext, cchc: CchcSettings) -> dg.MaterializeResult:
    settings = cchc.settings()
    folder = write_release(settings, log=context.log.info)
    context.log.info(f"release written: {folder}")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    counts = manifest.get("row_counts", {})
    summary = (f"Release {folder.name} published ({counts.get('indicator_observations.csv', 0)} observations, "
               f"{counts.get('report_bieu06.csv', 0)} Biểu 06 rows); publish/latest points to it.\n"
               + manifest["quality"]["summary"])
    return dg.MaterializeResult(metadata={"release_id": folder.name, "path": str(folder),
                                          "summary": dg.MetadataValue.md(summary.replace("\n", "\n\n"))})
