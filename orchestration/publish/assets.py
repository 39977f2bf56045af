"""Publication (group ``publish``): runs only after every blocking check upstream passed."""


import json

import dagster as dg

from orchestration.lib import layout
from orchestration.lib.resources import CchcSettings
from orchestration.publish.reconcile import run_reconciliation
from orchestration.publish.release import write_release
from orchestration.quality.assets import quality_gate


@dg.asset(group_name="publish", deps=[quality_gate], kinds={"csv"},
          description="The national portal's published Decision 766 figures (raw portal/, DATA_CONTRACT §1.7) set beside "
          "ours, department by department: portal and our numerator, denominator, ratio and points, the difference and "
          "the dossier-level reasons we can name (<out>/reconciliation/; the release carries reconciliation.csv). Without "
          "a portal/ folder it does nothing; a malformed or unknown portal file is reported, never blocking.")
def portal_reconciliation(context: dg.AssetExecutionContext, cchc: CchcSettings) -> dg.MaterializeResult:
    result = run_reconciliation(cchc.settings())
    if result is None:
        return dg.MaterializeResult(metadata={"summary": "no portal/ folder in the raw root: nothing to reconcile"})
    for message in result.messages:
        context.log.warning(message)
    summary = result.summary()
    return dg.MaterializeResult(metadata={"summary": result.line(), "figures": summary["figures"],
                                          "compared": summary["compared"], "differing": summary["differing"],
                                          "messages": "\n".join(result.messages) or "none"})


@dg.asset(group_name="publish", deps=[quality_gate, portal_reconciliation], kinds={"csv"},
          description="An immutable release publish/<release_id>/ (layout v2: observations/, bieu06/, explain/ and sdmx/ "
          "parts, by_province/<code>/<period>/ CSV and XLSX, manifest.json); a part unchanged since the previous release is "
          "hard-linked, not rewritten; publish/latest moves to it only once it is complete.")
def release(context: dg.AssetExecutionContext, cchc: CchcSettings) -> dg.MaterializeResult:
    settings = cchc.settings()
    folder = write_release(settings, log=context.log.info)
    context.log.info(f"release written: {folder}")
    manifest = json.loads(layout.release_manifest(folder).read_text(encoding="utf-8"))
    counts = manifest.get("row_counts", {})
    parts = manifest.get("parts_summary", {})
    written = sum(p["written"] for p in parts.values())
    summary = (f"Release {folder.name} published ({counts.get('observations', 0)} observations, "
               f"{counts.get('bieu06', 0)} Biểu 06 rows; {written} of {sum(p['parts'] for p in parts.values())} parts "
               f"written, the others hard-linked); publish/latest points to it.\n"
               + manifest["quality"]["summary"])
    return dg.MaterializeResult(metadata={"release_id": folder.name, "path": str(folder), "parts_written": written,
                                          "parts_linked": sum(p["linked"] for p in parts.values()),
                                          "summary": dg.MetadataValue.md(summary.replace("\n", "\n\n"))})
