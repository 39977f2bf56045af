"""The release's SDMX structure message, ``sdmx/structure.xml`` (SDMX-ML 3.0, DATA_CONTRACT §2.2), written with
pysdmx (the BIS SDMX library): the four dataflows ``VN_CCHC:DF_<FAMILY>(1.0)`` the SDMX-CSV files name in
STRUCTURE_ID, the one data structure they share, its concepts and the code lists of frequencies, indicators, units,
fields, formula versions, units of measure and observation statuses. An SDMX tool reading a data file against it
gets typed values (OBS_VALUE and OBS_POINTS as numbers) and knows every code.

AGENCY and PROCEDURE are free-text dimensions (``_T`` = all), not code lists: agency e-IDs (``000.31.19.H56``) and
procedure codes (``2.000635``) contain dots, which SDMX identifiers do not allow. REF_AREA_VALID_FROM (the unit
version, ISO date) is free text too.
"""

from __future__ import annotations

import re
from pathlib import Path

from pysdmx.io import write_sdmx
from pysdmx.io.format import Format
from pysdmx.model import Code, Codelist, Component, Components, Concept, ConceptScheme, Dataflow, DataStructureDefinition, DataType, Role

from orchestration.publish.sdmx import AGENCY_ID, FAMILIES, FREQ, TOTAL

VERSION = "1.0"
DSD_ID = "DSD_CCHC"
CONCEPT_SCHEME = "CS_CCHC"
STRUCTURE_FILE = "structure.xml"
ID_RX = re.compile(r"[A-Za-z0-9_@$\-]+")  # what SDMX allows in an identifier (a code)
FAMILY_NAMES = {
    "QD766": "Decision 766/QĐ-TTg index: rows, groups and total",
    "BIEU06": "Biểu 06 (Circular 01/2020/TT-VPCP): dossiers received, resolved and pending",
    "SIPAS": "SIPAS satisfaction survey",
    "MONITORING": "Plan monitoring and other indicators",
}
FREQ_NAMES = {"M": "Monthly", "Q": "Quarterly", "S": "Half-yearly", "A": "Annual"}
# METHODOLOGY §7 (CL_OBS_STATUS)
STATUS_NAMES = {
    "A": "Normal value",
    "P": "Provisional value (running period)",
    "B": "Break in series (first period after the 2025 reorganisation)",
    "E": "Estimated value (comparable series back-cast onto the new boundaries)",
    "M": "Missing value (denominator 0 or source absent)",
    "Q": "Suppressed value (small cell)",
}
BIEU06_NAMES = {
    "BIEU06_COL03": "Dossiers received: total (col. 3)", "BIEU06_COL04": "Received online (col. 4)",
    "BIEU06_COL05": "Received directly or by post (col. 5)", "BIEU06_COL06": "Carried over (col. 6)",
    "BIEU06_COL07": "Resolved: total (col. 7)", "BIEU06_COL08": "Resolved early (col. 8)",
    "BIEU06_COL09": "Resolved on time (col. 9)", "BIEU06_COL10": "Resolved late (col. 10)",
    "BIEU06_COL11": "Pending: total (col. 11)", "BIEU06_COL12": "Pending within time (col. 12)",
    "BIEU06_COL13": "Pending overdue (col. 13)",
}
UNIT_MEASURE_NAMES = {"PERCENT": "Percent", "POINTS": "Points", "DOSSIERS": "Dossiers", "WORKING_DAYS": "Working days",
                      "COUNT": "Count"}


def _codelist(cid: str, name: str, codes: dict[str, str]) -> Codelist:
    return Codelist(id=cid, agency=AGENCY_ID, version=VERSION, name=name,
                    items=[Code(id=c, name=n or c) for c, n in sorted(codes.items())])


def build_structures(indicators: dict[str, str], units: dict[str, str], fields: dict[str, str],
                     formula_versions: list[str], unit_measures: list[str]) -> list:
    """The artefacts of the structure message: code lists, concept scheme, data structure, dataflows.
    ``indicators``/``units``/``fields``: code → name (the "all" member ``_T`` is added to fields)."""
    # a field code SDMX cannot hold as an identifier (a catalogue's own codes may carry dots) makes FIELD free text
    coded_fields = all(ID_RX.fullmatch(c) for c in fields)
    cls = {
        "FREQ": _codelist("CL_FREQ", "Frequency", {v: FREQ_NAMES[v] for v in FREQ.values()}),
        "INDICATOR": _codelist("CL_INDICATOR", "Indicators", {**indicators, **BIEU06_NAMES}),
        "REF_AREA": _codelist("CL_AREA", "Administrative units (province, district, commune codes)", units),
        "FIELD": _codelist("CL_FIELD", "Fields of procedures (lĩnh vực)", {**fields, TOTAL: "All fields"})
        if coded_fields else None,
        "FORMULA_VERSION": _codelist("CL_FORMULA_VERSION", "Formula versions", {v: v for v in formula_versions}),
        "UNIT_MEASURE": _codelist("CL_UNIT_MEASURE", "Units of measure",
                                  {u: UNIT_MEASURE_NAMES.get(u, u) for u in {*unit_measures, *UNIT_MEASURE_NAMES}}),
        "OBS_STATUS": _codelist("CL_OBS_STATUS", "Observation status", STATUS_NAMES),
    }
    concepts: list[Concept] = []

    def component(cid: str, role: Role, name: str, dtype: DataType = DataType.STRING, required: bool = True,
                  attachment: str | None = None) -> Component:
        concept = Concept(id=cid, name=name, dtype=dtype,
                          urn=f"urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept={AGENCY_ID}:{CONCEPT_SCHEME}({VERSION}).{cid}")
        concepts.append(concept)
        return Component(id=cid, required=required, role=role, concept=concept, local_dtype=dtype,
                         local_codes=cls.get(cid), attachment_level=attachment)

    components = Components([
        component("FREQ", Role.DIMENSION, "Frequency"),
        component("REF_AREA", Role.DIMENSION, "Administrative unit"),
        component("INDICATOR", Role.DIMENSION, "Indicator"),
        component("REF_AREA_VALID_FROM", Role.DIMENSION, "First day of the unit version (a re-used code is another unit)"),
        component("AGENCY", Role.DIMENSION, f"Agency e-ID ({TOTAL} = the whole unit)"),
        component("FIELD", Role.DIMENSION, f"Field of procedures ({TOTAL} = all fields)"),
        component("PROCEDURE", Role.DIMENSION, f"Procedure code ({TOTAL} = all procedures)"),
        component("FORMULA_VERSION", Role.DIMENSION, "Formula version of the value"),
        component("TIME_PERIOD", Role.DIMENSION, "Period", DataType.PERIOD),  # SDMX: the time dimension comes last
        component("OBS_VALUE", Role.MEASURE, "Value (empty when there is none)", DataType.DOUBLE, required=False),
        component("OBS_POINTS", Role.MEASURE, "Points scored (QD766 rows)", DataType.DOUBLE, required=False),
        component("UNIT_MEASURE", Role.ATTRIBUTE, "Unit of measure", attachment="O"),
        component("OBS_STATUS", Role.ATTRIBUTE, "Observation status", attachment="O"),
    ])
    scheme = ConceptScheme(id=CONCEPT_SCHEME, agency=AGENCY_ID, version=VERSION, name="CCHC concepts", items=concepts)
    dsd = DataStructureDefinition(id=DSD_ID, agency=AGENCY_ID, version=VERSION, components=components,
                                  name="Administrative reform (CCHC) indicators")
    flows = [Dataflow(id=f"DF_{family}", agency=AGENCY_ID, version=VERSION, name=FAMILY_NAMES[family], structure=dsd)
             for family in FAMILIES]
    return [*(c for c in cls.values() if c is not None), scheme, dsd, *flows]


def write_structure(con, folder: Path, definitions: str, observations: str, units_table: str,
                    formula_versions: list[str], unit_measures: list[str]) -> Path:
    """Write ``<folder>/structure.xml`` from the warehouse: indicators (the definitions, and every indicator the
    observations publish — SIPAS expectation shares are not definitions rows), the release's units
    (``units_table``: unit_code, unit_name, unit_valid_from — a re-used code is named after its latest version) and
    the fields (marts.dim_fields when present)."""
    indicators = dict(con.execute(
        f"SELECT indicator_id, any_value(indicator_name_vi) FROM {observations} GROUP BY 1").fetchall())
    indicators.update(con.execute(
        f"SELECT indicator_id, arg_max(coalesce(name_en, name_vi), formula_version) FROM {definitions} GROUP BY 1").fetchall())
    units = dict(con.execute(
        f"SELECT unit_code, arg_max(unit_name, unit_valid_from) FROM {units_table} GROUP BY 1").fetchall())
    has_fields = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'marts' "
                             "AND table_name = 'dim_fields'").fetchall()[0][0]
    fields = dict(con.execute("SELECT field_code, max(field_name) FROM marts.dim_fields WHERE field_code IS NOT NULL "
                              "GROUP BY 1").fetchall()) if has_fields else {}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / STRUCTURE_FILE
    write_sdmx(build_structures(indicators, units, fields, formula_versions, unit_measures),
               sdmx_format=Format.STRUCTURE_SDMX_ML_3_0, output_path=str(path))
    return path
