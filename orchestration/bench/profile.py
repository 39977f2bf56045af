"""Where a pipeline run's time goes, read from its own log (``cchc run`` prints Dagster's step events and dbt's
per-model lines): the stage profile the bench prints after each measured pipeline run, so a missed target names
its stage without a separate profiling session.

Pure functions over the log text (unit-tested on log excerpts); nothing here re-runs anything.
"""

from __future__ import annotations

import re

# Dagster: 'STEP_SUCCESS - Finished execution of step "lake__dossiers" in 22.24s.' (also 368ms, 2m17s, 1h2m3s)
_STEP_RX = re.compile(r'STEP_SUCCESS - Finished execution of step "([^"]+)" in ([0-9hms.]+?)\.?(?:\s|$)')
# dbt: '12 of 293 OK created sql table model intermediate.int_qd766_procedure_items .... [OK in 37.52s]'
_DBT_RX = re.compile(r"OK created sql (?:table|view|incremental) model ([\w.]+) .*?in ([0-9.]+)s\]")
_ANSI_RX = re.compile(r"\x1b\[[0-9;]*m")
# landing: '[1/418] dossiers/dongbo_202507_01_001.json: landed, read 8933, loaded 8933, …' (the worker pool) and
# ' - lake__petitions - petitions/petitions.csv: landed, read 12, …' (a table asset): the raw folder and the records
_LANDED_RX = re.compile(r"\] dossiers/\S+: landed, read (\d+)")
_LANDED_ANY_RX = re.compile(r"(?:\] | - )(dossiers|procedures|petitions|ratings|surveys|reference)/[^\s:]+: landed, read (\d+)")
# which Dagster steps land each raw folder's files (their time is the folder's landing time)
FOLDER_STEPS = {
    "dossiers": ["lake__landed_dossier_files"],
    "petitions": ["lake__landed_petition_files"],
    "ratings": ["lake__landed_rating_files"],
    "procedures": ["lake__procedures", "lake__publications", "lake__reviews", "lake__applicability"],
    "surveys": ["lake__survey_answers"],
    "reference": ["lake__ref_agencies", "lake__ref_admin_units", "lake__ref_unit_lineage",
                  "lake__ref_targets"],
}
# publication: 'release parts: observations parts 40.2 s, …' (orchestration/publish/release.py PartTimes)
_RELEASE_RX = re.compile(r"release parts: (.*)")

# The pipeline's stages as the notes and docs/benchmarks.md name them, by Dagster step.
STAGES = {
    "lake__landed_dossier_files": "dossier landing (JSON → checked, pseudonymised Parquet)",
    "lake__dossiers": "dossier partitions (latest version per dossier, monthly)",
    "cchc_dbt_models": "dbt build (models + tests)",
    "quality_gate": "quality gate (GX + checks)",
    "release": "release (formats, workbooks, SDMX, revisions, scorecards)",
}
OTHER_SOURCES = "other sources (catalogue, ratings, PAKN, surveys, reference)"


def parse_duration(text: str) -> float:
    """Seconds of a Dagster duration: '368ms', '58.93s', '2m17s', '1h2m3s'."""
    text = text.strip()
    if text.endswith("ms"):
        return float(text[:-2]) / 1000
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:([\d.]+)s)?", text)
    if not m or not any(m.groups()):
        raise ValueError(f"not a Dagster duration: {text!r}")
    h, mi, s = m.groups()
    return int(h or 0) * 3600 + int(mi or 0) * 60 + float(s or 0)


def run_profile(log_text: str) -> dict:
    """{"steps": {step: seconds}, "stages": {stage: seconds}, "dbt_models": [[model, seconds], …] slowest first,
    "landed_records": dossier records read by landing, "landing_by_source": {folder: {"records", "seconds"}},
    "release_parts": {part: seconds},
    "dbt_plan": the dbt step's full / incremental decision (None when the log has none),
    "dbt_rescored": how many periods the digest-scoped models rebuilt (None when the log has none)}."""
    text = _ANSI_RX.sub("", log_text)
    steps: dict[str, float] = {}
    for name, dur in _STEP_RX.findall(text):
        steps[name] = steps.get(name, 0.0) + parse_duration(dur)
    stages: dict[str, float] = {}
    for step, seconds in steps.items():
        stage = STAGES.get(step, OTHER_SOURCES if step.startswith("lake__") else step)
        stages[stage] = round(stages.get(stage, 0.0) + seconds, 2)
    models = sorted(((m, float(s)) for m, s in _DBT_RX.findall(text)), key=lambda x: -x[1])
    release_parts: dict[str, float] = {}
    for found in _RELEASE_RX.findall(text)[-1:]:
        for name, secs in re.findall(r"(.+?) ([\d.]+) s(?:, |\s*$)", found):
            release_parts[name] = float(secs)
    plans = re.findall(r"cchc_dbt_models - ((?:full|incremental) build: [^\n]*)", text)
    rescored = re.findall(r"cchc_dbt_models - (periods rebuilt by digest: [^\n]*)", text)
    by_source: dict[str, dict] = {}
    for folder, n in _LANDED_ANY_RX.findall(text):
        entry = by_source.setdefault(folder, {"records": 0, "seconds": round(sum(steps.get(s, 0.0) for s in FOLDER_STEPS[folder]), 3)})
        entry["records"] += int(n)
    return {"steps": steps, "stages": stages, "dbt_models": [[m, s] for m, s in models],
            "landed_records": sum(int(n) for n in _LANDED_RX.findall(text)), "release_parts": release_parts,
            "landing_by_source": by_source,
            "dbt_plan": plans[-1].strip() if plans else None,
            "dbt_rescored": rescored[-1].strip() if rescored else None}


def profile_lines(profile: dict, wall_seconds: float, top_models: int = 8) -> list[str]:
    """The profile as the bench prints it: stages by time with their share of the wall time, then dbt's slowest
    models (their sum is more than dbt's step when dbt runs models on two threads)."""
    lines = []
    for stage, seconds in sorted(profile["stages"].items(), key=lambda kv: -kv[1]):
        share = 100 * seconds / wall_seconds if wall_seconds else 0.0
        lines.append(f"  {seconds:>9,.1f} s {share:>5.1f} %  {stage}")
    landing = profile["stages"].get(STAGES["lake__landed_dossier_files"])
    if landing and profile.get("landed_records"):
        lines.append(f"  dossier landing: {profile['landed_records']:,} records in {landing:,.1f} s = "
                     f"{profile['landed_records'] / landing:,.0f} records/s")
    rates = [f"{folder} {e['records']:,} in {e['seconds']:,.1f} s = {e['records'] / e['seconds']:,.0f}/s"
             for folder, e in sorted((profile.get("landing_by_source") or {}).items()) if e["seconds"] > 0]
    if rates:
        lines.append("  landing records/s by source: " + "; ".join(rates))
    if profile.get("release_parts"):
        lines.append("  release parts: " + ", ".join(f"{k} {v:,.1f} s" for k, v in profile["release_parts"].items()))
    rest = wall_seconds - sum(profile["stages"].values())
    lines.append(f"  {rest:>9,.1f} s {100 * rest / wall_seconds if wall_seconds else 0:>5.1f} %  "
                 "outside the steps (process start, Dagster, definitions)")
    if profile.get("dbt_plan"):
        lines.append(f"  dbt: {profile['dbt_plan']}")
    if profile.get("dbt_rescored"):
        lines.append(f"  dbt: {profile['dbt_rescored']}")
    if profile["dbt_models"]:
        slow = ", ".join(f"{m.split('.')[-1]} {s:,.1f} s" for m, s in profile["dbt_models"][:top_models])
        lines.append(f"  dbt's slowest models: {slow}")
    return lines
