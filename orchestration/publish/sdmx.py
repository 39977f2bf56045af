"""SDMX-CSV 2.0 files, one dataflow per indicator family: ``sdmx/<FAMILY>/province=<p>/period=<period>/part.csv``
(layout v2: one file per published part, every observation ``ACTION=I``, hard-linked with its part when unchanged;
the comparable Biểu 06 series — BIEU06_COL* observations with ``OBS_STATUS=E`` — in ``part-observations.csv`` beside)
and ``sdmx/revisions.csv`` (this release's revised observations, ``ACTION=R``, and withdrawn ones, ``ACTION=D``).

The structure message ``sdmx/structure.xml`` (SDMX-ML 3.0, written with pysdmx: orchestration/publish/sdmx_structure.py)
holds the dataflows, the data structure and the code lists (frequencies, indicators, units, fields, formula versions,
units of measure, observation statuses) every file validates against.

Families: ``QD766`` (QD766_*), ``BIEU06`` (the 11 counts of report_bieu06 as BIEU06_COL03 … BIEU06_COL13),
``SIPAS`` (SIPAS*), ``MONITORING`` (every other indicator: plan monitoring, ratings, reviews).

Columns (one row per observation):

| column | role | content |
|---|---|---|
| STRUCTURE | — | ``dataflow`` |
| STRUCTURE_ID | — | ``VN_CCHC:DF_<FAMILY>(1.0)`` |
| ACTION | — | ``I`` in the part files; in ``revisions.csv`` ``R`` value revised since the previous release, \
``D`` value of the previous release withdrawn (no OBS_VALUE) |
| FREQ | dimension | period_type M/Q/H/Y → M/Q/S/A (METHODOLOGY §7) |
| REF_AREA | dimension | unit_code (commune / district / province code) |
| INDICATOR | dimension | indicator_id |
| TIME_PERIOD | dimension | period, ``2024-H1`` → ``2024-S1`` |
| OBS_VALUE | measure | ratio (percent, working days, count…), or points where the indicator has no ratio \
(QD766 group scores and total); the count for BIEU06; **empty** when there is no value (OBS_STATUS M or Q) |
| UNIT_MEASURE | attribute | the indicator's unit (PERCENT, POINTS, DOSSIERS, WORKING_DAYS, COUNT) |
| OBS_STATUS | attribute | as published (CL_OBS_STATUS: A, P, B, E, M, Q); BIEU06: P running period, A otherwise |
| REF_AREA_VALID_FROM | dimension | unit_valid_from: a code reused after the 2025 reorganisation is a different unit |
| AGENCY | dimension | agency_code, ``_T`` = whole unit |
| FIELD | dimension | ma_linh_vuc, ``_T`` = all fields |
| PROCEDURE | dimension | ma_tthc, ``_T`` = all procedures |
| FORMULA_VERSION | dimension | formula version of the value |
| OBS_POINTS | measure | points scored (QD766), empty elsewhere |
"""

from __future__ import annotations

import os
from pathlib import Path

from orchestration.lib.safe_cells import neutralised_query
from orchestration.publish.parts import key_sql

AGENCY_ID = "VN_CCHC"
FAMILIES = ["QD766", "BIEU06", "SIPAS", "MONITORING"]
SDMX_COLUMNS = ["STRUCTURE", "STRUCTURE_ID", "ACTION", "FREQ", "REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE",
                "UNIT_MEASURE", "OBS_STATUS", "REF_AREA_VALID_FROM", "AGENCY", "FIELD", "PROCEDURE",
                "FORMULA_VERSION", "OBS_POINTS"]
FREQ = {"M": "M", "Q": "Q", "H": "S", "Y": "A"}
TOTAL = "_T"  # SDMX's "all" member of a dimension (whole unit, all fields, all procedures)

FAMILY_SQL = """CASE WHEN indicator_id LIKE 'QD766%' THEN 'QD766' WHEN indicator_id LIKE 'BIEU06%' THEN 'BIEU06'
                     WHEN indicator_id LIKE 'SIPAS%' THEN 'SIPAS' ELSE 'MONITORING' END"""


def time_period(period_type: str, period: str) -> str:
    return period.replace("-H", "-S") if period_type == "H" else period


def _rows_sql(unit_measures: dict[str, str], source: str, action: str, with_values: bool = True) -> tuple[str, str]:
    """(setup SQL, SELECT of SDMX rows from a long table ``source`` plus ``_family``, ``province``, ``period``)."""
    um_rows = ", ".join(f"('{k}', '{(v or '').upper().replace(' ', '_')}')" for k, v in unit_measures.items()) or "(NULL, NULL)"
    setup = f"CREATE OR REPLACE TEMP TABLE _units_measure AS SELECT * FROM (VALUES {um_rows}) t(indicator_id, um)"
    family = FAMILY_SQL.replace("indicator_id", "x.indicator_id")
    freq = "CASE x.period_type " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in FREQ.items()) + " END"
    # counts as integers (Biểu 06), everything else as DuckDB writes a DOUBLE
    # no value (M: missing, Q: not scored — METHODOLOGY §7) is an empty OBS_VALUE, never the 0 points it scores
    value = ("CASE WHEN x.value IS NULL OR x.obs_status IN ('M', 'Q') THEN NULL "
             "WHEN x.indicator_id LIKE 'BIEU06%' THEN CAST(CAST(x.value AS BIGINT) AS VARCHAR)"
             " ELSE CAST(x.value AS VARCHAR) END") if with_values else "CAST(NULL AS VARCHAR)"
    points = "x.points" if with_values else "CAST(NULL AS DOUBLE)"
    select = f"""
        SELECT 'dataflow' AS STRUCTURE, '{AGENCY_ID}:DF_' || {family} || '(1.0)' AS STRUCTURE_ID,
               {action} AS ACTION, {freq} AS FREQ, x.unit_code AS REF_AREA, x.indicator_id AS INDICATOR,
               CASE WHEN x.period_type = 'H' THEN replace(x.period, '-H', '-S') ELSE x.period END AS TIME_PERIOD,
               {value} AS OBS_VALUE,
               coalesce(m.um, CASE WHEN x.indicator_id LIKE 'BIEU06%' THEN 'DOSSIERS'
                                   WHEN x.value IS NOT NULL AND x.value = x.points THEN 'POINTS' ELSE 'PERCENT' END) AS UNIT_MEASURE,
               x.obs_status AS OBS_STATUS, x.unit_valid_from AS REF_AREA_VALID_FROM,
               coalesce(nullif(x.agency_code, ''), '{TOTAL}') AS AGENCY,
               coalesce(nullif(x.ma_linh_vuc, ''), '{TOTAL}') AS FIELD,
               coalesce(nullif(x.ma_tthc, ''), '{TOTAL}') AS PROCEDURE,
               x.formula_version AS FORMULA_VERSION, {points} AS OBS_POINTS,
               {family} AS _family, x.source_table AS _source, x.province AS province, {key_sql('x.period')} AS period
        FROM {source} x LEFT JOIN _units_measure m ON m.indicator_id = x.indicator_id"""
    return setup, select


ORDER = ("INDICATOR, FREQ, TIME_PERIOD, REF_AREA, REF_AREA_VALID_FROM, AGENCY = '_T' DESC, AGENCY, "
         "FIELD = '_T' DESC, FIELD, PROCEDURE = '_T' DESC, PROCEDURE, FORMULA_VERSION, ACTION")


def write_sdmx_parts(mem, release: Path, unit_measures: dict[str, str], cur: str = "cur") -> dict[tuple[str, str, str], list[str]]:
    """Write ``sdmx/<FAMILY>/province=<p>/period=<period>/part.csv`` (every observation ``ACTION=I``) from the long
    table ``cur`` — the values of the parts this release wrote. Returns (source table, province, period) → the
    release-relative paths written, so each SDMX file is listed with (and linked along with) the part it comes from:
    BIEU06 from the ``bieu06`` part, the other families from the ``observations`` part."""
    import shutil

    setup, select = _rows_sql(unit_measures, cur, "'I'")
    mem.execute(setup)
    tmp = release / ".sdmx-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    cols = ", ".join(SDMX_COLUMNS)
    q = (f"SELECT {cols}, _family, _source, province, period FROM ({select}) "
         f"ORDER BY _family, _source, province, period, {ORDER}")
    mem.execute(f"COPY ({neutralised_query(mem, q)}) TO '{tmp}' (FORMAT CSV, HEADER, DELIMITER ',', "
                "PARTITION_BY (_family, _source, province, period), FILENAME_PATTERN 'part{i}')")
    out: dict[tuple[str, str, str], list[str]] = {}
    for family_dir in sorted(tmp.glob("_family=*")):
        family = family_dir.name.split("=", 1)[1]
        for csv in sorted(family_dir.glob("_source=*/province=*/period=*/*.csv")):
            source = csv.parent.parent.parent.name.split("=", 1)[1]
            province = csv.parent.parent.name.split("=", 1)[1]
            period = csv.parent.name.split("=", 1)[1]
            # a family's own part table writes part.csv; rows of the family published in another table (the
            # comparable Biểu 06 series, BIEU06_COL* observations with obs_status E) write part-<table>.csv beside it,
            # so that each file belongs to (and is linked with) exactly one part
            own = (source == "bieu06") == (family == "BIEU06")
            rel = f"sdmx/{family}/province={province}/period={period}/{'part.csv' if own else f'part-{source}.csv'}"
            target = release / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():  # a second file of the same partition (DuckDB split it): append without its header
                with open(csv, encoding="utf-8") as src, open(target, "a", encoding="utf-8") as dst:
                    next(src, None)
                    shutil.copyfileobj(src, dst)
                continue
            os.replace(csv, target)
            out.setdefault((source, province, period), []).append(rel)
    shutil.rmtree(tmp, ignore_errors=True)
    _write_readme(release / "sdmx")
    return out


def write_sdmx_revisions(mem, path: Path, unit_measures: dict[str, str], cur: str = "cur", prev: str = "prev") -> int:
    """``sdmx/revisions.csv``: this release's revised observations with ``ACTION=R`` (the new value) and the
    withdrawn ones with ``ACTION=D`` (no value), from table ``revisions`` (orchestration.publish.revisions)."""
    from orchestration.publish.revisions import KEY

    path.parent.mkdir(parents=True, exist_ok=True)
    semi = lambda t, action: (f"(SELECT x.* FROM {t} x SEMI JOIN (SELECT * FROM revisions WHERE action = '{action}') r ON "  # noqa: E731
                              + " AND ".join(f"x.{k} = r.{k}" for k in KEY) + ")")
    setup, revised = _rows_sql(unit_measures, semi(cur, "R"), "'R'")
    _, withdrawn = _rows_sql(unit_measures, semi(prev, "D"), "'D'", with_values=False)
    mem.execute(setup)
    q = f"SELECT {', '.join(SDMX_COLUMNS)} FROM ({revised} UNION ALL {withdrawn}) ORDER BY {ORDER}"
    n = mem.execute(f"COPY ({neutralised_query(mem, q)}) TO '{path}' (HEADER, DELIMITER ',')").fetchone()[0]
    _write_readme(path.parent)
    return n


def _write_readme(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text("# SDMX-CSV 2.0 files\n\n" + (__doc__ or "").split("\n", 1)[1], encoding="utf-8")
