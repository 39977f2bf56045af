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
    gate = settings.reports_dir / "quality_gate.json"
    quality = json.loads(gate.read_text(encoding="utf-8")) if gate.exists() else {}
    folder = write_release(settings, quality)
    context.log.info(f"release written: {folder}")
    return dg.MaterializeResult(metadata={"release_id": folder.name, "path": str(folder)})
