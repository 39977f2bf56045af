"""SDMX-CSV 2.0 files ``sdmx/<FAMILY>.csv``, one dataflow per indicator family.

Families: ``QD766`` (QD766_*), ``BIEU06`` (the 11 counts of report_bieu06 as BIEU06_COL03 … BIEU06_COL13),
``SIPAS`` (SIPAS*), ``MONITORING`` (every other indicator: plan monitoring, ratings, reviews).

Columns (one row per observation):

| column | role | content |
|---|---|---|
| STRUCTURE | — | ``dataflow`` |
| STRUCTURE_ID | — | ``VN_CCHC:DF_<FAMILY>(1.0)`` |
| ACTION | — | ``I`` new or unchanged value, ``R`` value revised since the previous release (see revisions.csv), ``D`` value of the previous release withdrawn (no OBS_VALUE) |
| FREQ | dimension | period_type M/Q/H/Y → M/Q/S/A (METHODOLOGY §7) |
| REF_AREA | dimension | unit_code (commune / district / province code) |
| INDICATOR | dimension | indicator_id |
| TIME_PERIOD | dimension | period, ``2024-H1`` → ``2024-S1`` |
| OBS_VALUE | measure | ratio (percent, working days, count…), or points where the indicator has no ratio (QD766 group scores and total); the count for BIEU06 |
| UNIT_MEASURE | attribute | the indicator's unit (PERCENT, POINTS, DOSSIERS, WORKING_DAYS, COUNT) |
| OBS_STATUS | attribute | as published (CL_OBS_STATUS: A, P, B, E, M, Q); BIEU06: P running period, A otherwise |
| REF_AREA_VALID_FROM | dimension | unit_valid_from: a code reused after the 2025 reorganisation is a different unit |
| AGENCY | dimension | agency_code, empty = whole unit |
| FIELD | dimension | ma_linh_vuc, empty = all fields |
| PROCEDURE | dimension | ma_tthc, empty = all procedures |
| FORMULA_VERSION | dimension | formula version of the value |
| OBS_POINTS | measure | points scored (QD766), empty elsewhere |
"""

from __future__ import annotations

from pathlib import Path

from orchestration.lib.safe_cells import neutralised_query

AGENCY_ID = "VN_CCHC"
FAMILIES = ["QD766", "BIEU06", "SIPAS", "MONITORING"]
SDMX_COLUMNS = ["STRUCTURE", "STRUCTURE_ID", "ACTION", "FREQ", "REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE",
                "UNIT_MEASURE", "OBS_STATUS", "REF_AREA_VALID_FROM", "AGENCY", "FIELD", "PROCEDURE",
                "FORMULA_VERSION", "OBS_POINTS"]
FREQ = {"M": "M", "Q": "Q", "H": "S", "Y": "A"}

FAMILY_SQL = """CASE WHEN indicator_id LIKE 'QD766%' THEN 'QD766' WHEN indicator_id LIKE 'BIEU06%' THEN 'BIEU06'
                     WHEN indicator_id LIKE 'SIPAS%' THEN 'SIPAS' ELSE 'MONITORING' END"""


def time_period(period_type: str, period: str) -> str:
    return period.replace("-H", "-S") if period_type == "H" else period


def write_sdmx(mem, folder: Path, unit_measures: dict[str, str], cur: str = "cur", prev: str = "prev") -> dict[str, int]:
    """Write ``folder/sdmx/<FAMILY>.csv`` from the long table ``cur`` (see revisions.load_long), flagging the keys of
    table ``revisions`` R, and listing its withdrawn values (from ``prev``) as D. Returns row counts."""
    from orchestration.publish.revisions import KEY

    folder.mkdir(parents=True, exist_ok=True)
    um_rows = ", ".join(f"('{k}', '{(v or '').upper().replace(' ', '_')}')" for k, v in unit_measures.items()) or "(NULL, NULL)"
    mem.execute(f"CREATE OR REPLACE TEMP TABLE _units_measure AS SELECT * FROM (VALUES {um_rows}) t(indicator_id, um)")
    on = " AND ".join(f"x.{k} = r.{k}" for k in KEY)
    freq = "CASE x.period_type " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in FREQ.items()) + " END"
    body = f"""
        SELECT 'dataflow' AS STRUCTURE, '{AGENCY_ID}:DF_' || {FAMILY_SQL.replace('indicator_id', 'x.indicator_id')} || '(1.0)' AS STRUCTURE_ID,
               {{action}} AS ACTION, {freq} AS FREQ, x.unit_code AS REF_AREA, x.indicator_id AS INDICATOR,
               CASE WHEN x.period_type = 'H' THEN replace(x.period, '-H', '-S') ELSE x.period END AS TIME_PERIOD,
               {{value}} AS OBS_VALUE,
               coalesce(m.um, CASE WHEN x.indicator_id LIKE 'BIEU06%' THEN 'DOSSIERS'
                                   WHEN x.value IS NOT NULL AND x.value = x.points THEN 'POINTS' ELSE 'PERCENT' END) AS UNIT_MEASURE,
               x.obs_status AS OBS_STATUS, x.unit_valid_from AS REF_AREA_VALID_FROM,
               nullif(x.agency_code, '') AS AGENCY, nullif(x.ma_linh_vuc, '') AS FIELD, nullif(x.ma_tthc, '') AS PROCEDURE,
               x.formula_version AS FORMULA_VERSION, {{points}} AS OBS_POINTS,
               {FAMILY_SQL.replace('indicator_id', 'x.indicator_id')} AS _family
        FROM {{source}} x LEFT JOIN _units_measure m ON m.indicator_id = x.indicator_id"""
    current = body.format(action=f"CASE WHEN EXISTS (SELECT 1 FROM revisions r WHERE r.action = 'R' AND {on}) THEN 'R' ELSE 'I' END",
                          value="x.value", points="x.points", source=cur)
    withdrawn = body.format(action="'D'", value="CAST(NULL AS DOUBLE)", points="CAST(NULL AS DOUBLE)",
                            source=f"(SELECT p.* FROM {prev} p SEMI JOIN (SELECT * FROM revisions WHERE action = 'D') r ON "
                                   + " AND ".join(f"p.{k} = r.{k}" for k in KEY) + ")")
    mem.execute(f"CREATE OR REPLACE TEMP TABLE _sdmx AS SELECT * FROM ({current} UNION ALL {withdrawn})")
    counts = {}
    # one count per family up front (an empty family gets no file), not a second sorted pass per file
    sizes = dict(mem.execute("SELECT _family, count(*) FROM _sdmx GROUP BY 1").fetchall())
    for fam in FAMILIES:
        if not sizes.get(fam):
            continue
        cols = ", ".join("CAST(OBS_VALUE AS BIGINT) AS OBS_VALUE" if c == "OBS_VALUE" and fam == "BIEU06" else c
                         for c in SDMX_COLUMNS)
        q = (f"SELECT {cols} FROM _sdmx WHERE _family = '{fam}' "
             f"ORDER BY INDICATOR, FREQ, TIME_PERIOD, REF_AREA, REF_AREA_VALID_FROM, AGENCY NULLS FIRST, FIELD NULLS FIRST, "
             f"PROCEDURE NULLS FIRST, FORMULA_VERSION, ACTION")
        path = folder / f"{fam}.csv"
        counts[f"sdmx/{fam}.csv"] = mem.execute(f"COPY ({neutralised_query(mem, q)}) TO '{path}' (HEADER, DELIMITER ',')").fetchone()[0]
    (folder / "README.md").write_text("# SDMX-CSV 2.0 files\n\n" + (__doc__ or "").split("\n", 1)[1], encoding="utf-8")
    return counts
