"""The release's data dictionary, generated (never hand-written) from the dbt project's YAML descriptions of
the published models and from the indicator definitions seed (names, scoring, methodology notes)."""

import csv
import json
import re
from pathlib import Path

from orchestration.lib.safe_cells import neutralise
from orchestration.lib.settings import DBT_PROJECT_DIR
from orchestration.publish.reconcile import DICTIONARY

# model → (its schema, the file a province opens)
PUBLISHED_MODELS = {"indicator_observations": ("publish", "indicator_observations.csv"),
                    "report_bieu06": ("publish", "report_bieu06.csv"),
                    "target_tracking": ("publish", "target_tracking.csv"),
                    "improvement_plan": ("publish", "improvement_plan.csv"),
                    "ind_peer_benchmarks": ("indicators", "peer_benchmarks.csv")}


# the release's files that are not tables: what each one is (issue 23 asks the dictionary to describe them too)
PUBLISHED_FILES = {
    "by_province/<code>/scorecard.html": "The province's scorecard: a self-contained page (no network) — totals, groups, "
    "ranks and percentiles, the monthly trend, targets, the reasons points were lost, the planner's top five actions.",
    "by_province/<code>/bao_cao_lanh_dao.pdf": "The one-page (A4) leadership report of a province with data, printed by "
    "headless Chromium: total and grade, rank and percentile, the six groups against their maxima and the peers' "
    "median, the last 12 months, the year's targets, the top five actions (improvement_plan.csv). The .html beside it "
    "is the same page; without Chromium only the .html is written (manifest leadership_reports.skipped says so).",
    "by_province/<code>/bao_cao_lanh_dao_<unit>.pdf": "The same page for a unit asked for (cchc run --leadership-unit, "
    "CCHC_LEADERSHIP_UNITS).",
    "by_province/<code>/diem_theo_nhom_<period>.xlsx": "Per-group workbook of the latest month and year: a sheet per "
    "Decision 766 group, units as rows, each row's numerator, denominator and points (numbers as numbers, frozen "
    "header, printable).",
}


def published_columns(manifest_path: Path | None = None) -> list[dict]:
    """(file, column, type, description) of every published table, from the dbt manifest."""
    manifest = json.loads((manifest_path or DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    rows = []
    # a table published as the warehouse builds it (macros/published_copy.sql) is documented by its source model,
    # under the names its published copy gives the renamed columns
    renamed = {n["config"]["meta"]["published_copy_of"]: n["config"]["meta"]["published_names"]
               for n in manifest["nodes"].values() if n["resource_type"] == "model" and "published_copy_of" in n["config"]["meta"]}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        name = node["name"]
        if name in PUBLISHED_MODELS and node.get("schema") == PUBLISHED_MODELS[name][0] or name.startswith("explain_"):
            # the file a province opens (by_province/<code>/<period>/…); explain tables are Parquet parts only
            file = PUBLISHED_MODELS[name][1] if name in PUBLISHED_MODELS else f"explain/{name}/"
            publish = _renamer(renamed.get(name, {}))
            rows.append({"kind": "table", "file": file, "name": name, "type": "", "description": publish(node["description"])})
            for col in node["columns"].values():
                rows.append({"kind": "column", "file": file, "name": publish(col["name"]), "type": col.get("data_type") or "",
                             "description": publish(col.get("description") or "")})
    # reconciliation.csv is written by Python (orchestration.publish.reconcile), not by a dbt model
    rows.append({"kind": "table", "file": "reconciliation.csv", "name": "reconciliation", "type": "",
                 "description": DICTIONARY["reconciliation"]})
    rows += [{"kind": "column", "file": "reconciliation.csv", "name": c, "type": "", "description": DICTIONARY[c]}
             for c in DICTIONARY if c != "reconciliation"]
    rows += [{"kind": "file", "file": f, "name": f.rsplit("/", 1)[-1], "type": "", "description": d}
             for f, d in PUBLISHED_FILES.items()]
    rows.sort(key=lambda r: (r["kind"] == "file", r["file"], r["kind"] != "table"))
    return rows


def _renamer(names: dict[str, str]):
    """Text with its whitespace collapsed and the warehouse names of ``names`` replaced by their published names."""
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b") if names else None
    return lambda text: " ".join((pattern.sub(lambda m: names[m.group(1)], text) if pattern else text).split())


def write_dictionary(con, folder: Path, definitions_relation: str) -> tuple[Path, Path]:
    """data_dictionary.csv (columns and indicators, one row each) and data_dictionary.md (the same, readable)."""
    cols = published_columns()
    indicators = con.execute(f"""
        SELECT indicator_id, name_vi, name_en, group_id, max_points, scoring_rule, threshold, empty_rule,
               formula_version, valid_from, valid_to, confidence, unit_measure, methodology_note
        FROM {definitions_relation} ORDER BY indicator_id, formula_version""").fetchall()
    fields = ["kind", "file", "name", "type", "description", "name_vi", "group_id", "max_points", "scoring_rule",
              "threshold", "empty_rule", "formula_version", "valid_from", "valid_to", "confidence", "unit_measure"]
    csv_path = folder / "data_dictionary.csv"
    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        for r in cols:
            w.writerow({k: neutralise(v) for k, v in r.items()})
        for (iid, vi, en, grp, pmax, rule, thr, empty, ver, vf, vt, conf, unit, note) in indicators:
            w.writerow({k: neutralise(v) for k, v in {"kind": "indicator", "file": "indicator_observations.csv", "name": iid, "type": "",
                        "description": f"{en}. {note or ''}".strip(), "name_vi": vi, "group_id": grp,
                        "max_points": pmax, "scoring_rule": rule, "threshold": thr, "empty_rule": empty,
                        "formula_version": ver, "valid_from": vf or "", "valid_to": vt or "", "confidence": conf,
                        "unit_measure": unit}.items()})
    md = ["# Data dictionary", "", "Generated from the dbt project's descriptions and the indicator definitions seed.", ""]
    current = None
    for r in cols:
        if r["kind"] == "file":
            continue
        if r["file"] != current:
            current = r["file"]
            md += ["", f"## `{current}`", ""]
            if r["kind"] == "table":
                md += [r["description"], "", "| column | type | description |", "|---|---|---|"]
                continue
        md.append(f"| `{r['name']}` | {r['type']} | {r['description'].replace('|', '/')} |")
    md += ["", "## Other files", "", "| file | what it is |", "|---|---|"]
    md += [f"| `{r['file']}` | {r['description'].replace('|', '/')} |" for r in cols if r["kind"] == "file"]
    md += ["", "## Indicators", "", "| id | name | version | Pmax | scoring | empty rule | confidence | unit | methodology |",
           "|---|---|---|---|---|---|---|---|---|"]
    for (iid, vi, en, _grp, pmax, rule, thr, empty, ver, _vf, _vt, conf, unit, note) in indicators:
        scoring = f"{rule} {thr:g}" if thr is not None else rule
        pmax_text = "" if pmax is None else f"{pmax:g}"
        md.append(f"| `{iid}` | {vi} — {en} | {ver} | {pmax_text} | {scoring} | {empty} | {conf} | {unit} "
                  f"| {(note or '').replace('|', '/')} |")
    md_path = folder / "data_dictionary.md"
    md_path.write_text("\n".join(md) + "\n", encoding="utf-8")
    return csv_path, md_path
