"""The province scale of the generator: the whole of Bắc Kạn (06), its eight districts, across the 2025
reorganisation into Thái Nguyên (19) when the range reaches past 30 June 2025.

ADMIN_UNITS.md gives the province's districts, Bạch Thông's fourteen communes, the two communes of other districts
that new Bạch Thông communes took in, and the 37 new units of former Bắc Kạn — not the other districts' old
communes. Those are **synthetic** here (legal_basis says so): each district's old commune codes are the codes of
its range in steps of three (the national list's spacing), the codes the seeds already carry kept as they are; an
old commune whose code a new unit re-uses goes to that unit (ADMIN_UNITS.md: merged units re-use the code of one
predecessor), the others to the nearest new unit of the same district below them (else the first). Their
agencies (a people's committee per commune, the district's committee and offices, the new communes' committees
registered from 2025-07-01) are synthetic too and shaped like the seed's.

The synthetic rows are written into the raw root's ``reference/`` (admin_units.csv, agencies.csv,
unit_lineage.csv), which extend the committed seeds in the pipeline (DATA_CONTRACT §1.5): the seeds keep only
the real facts.
"""

from __future__ import annotations

from datetime import date

from orchestration.generate.reference import DistrictScope, load_district, lower_unit_name, read_tables

PROVINCE_CODE = "06"
OLD_VALID_FROM, OLD_VALID_TO = "2020-01-01", "2025-06-30"
NEW_VALID_FROM = "2025-07-01"
SYNTHETIC_BASIS = "QĐ 124/2004/QĐ-TTg (synthetic: cchc generate --scale province)"
LINEAGE_BASIS = "NQ 1683/NQ-UBTVQH15"
# Each district's range of old commune codes (first, last; step 3) — every district but Bạch Thông (063), whose
# fourteen communes, committees and offices are all in the seeds (ADMIN_UNITS.md).
CODE_RANGES = {
    "058": (1840, 1858), "060": (1861, 1885), "061": (1888, 1936), "062": (1939, 1966),
    "064": (2020, 2080), "065": (2083, 2140), "066": (2143, 2194),
}
# The district offices every district has (role keywords of reference.ROLE_KEYWORDS), by agency number.
OFFICES = [
    (20, "Chi nhánh Văn phòng đăng ký đất đai"), (21, "Phòng Tư pháp"), (22, "Phòng Kinh tế và Hạ tầng"),
    (23, "Phòng Tài chính - Kế hoạch"), (24, "Phòng Lao động - Thương binh và Xã hội"),
]
NEW_AGENCY_FIRST = 36  # the seed registers the committees of new communes 000.31–35.19.H56


def _agency(code: str, name: str, unit: str, valid_from: str, valid_to: str) -> dict:
    return {"agency_code": code, "agency_name": name, "unit_code": unit, "valid_from": valid_from,
            "valid_to": valid_to}


def province_tables(seeds: dict) -> dict:
    """The synthetic rows of the province (``{'admin_units': […], 'agencies': […], 'unit_lineage': […]}``) that
    the seeds lack, in the seeds' layouts; deterministic (no random draw)."""
    units, agencies, lineage = seeds["admin_units"], seeds["agencies"], seeds["unit_lineage"]
    old_name = {r["unit_code"]: r["unit_name"] for r in units if r["valid_from"] == OLD_VALID_FROM}
    has_agency = {(r["unit_code"], r["valid_from"]) for r in agencies}
    has_lineage = {(r["old_code"], r["old_valid_from"]) for r in lineage}
    new_units = {r["unit_code"]: r for r in units if r["valid_from"] == NEW_VALID_FROM and r["unit_level"] == "xa"}
    districts = {r["unit_code"]: r["unit_name"] for r in units
                 if r["parent_code"] == PROVINCE_CODE and r["unit_level"] == "huyen"}
    out: dict = {"admin_units": [], "agencies": [], "unit_lineage": []}
    for code, (lo, hi) in CODE_RANGES.items():
        name, dd = districts[code], code[1:]
        span = [f"{c:05d}" for c in range(lo, hi + 1, 3)]
        own_new = [c for c in span if c in new_units]
        out["agencies"].append(_agency(f"000.00.{dd}.H06", f"UBND {lower_unit_name(name)}", code,
                                       OLD_VALID_FROM, OLD_VALID_TO))
        for n, office in OFFICES:
            out["agencies"].append(_agency(f"000.{n}.{dd}.H06", f"{office} {lower_unit_name(name)}", code,
                                           OLD_VALID_FROM, OLD_VALID_TO))
        for number, c in enumerate(span, 1):
            if c not in old_name:  # a re-used code's predecessor is named as its successor; the others invented
                new = new_units.get(c)
                old_name[c] = new["unit_name"] if new else f"Xã {c} (giả lập)"
                out["admin_units"].append({
                    "unit_code": c, "valid_from": OLD_VALID_FROM, "valid_to": OLD_VALID_TO, "unit_name": old_name[c],
                    "unit_level": "xa", "unit_type": new["unit_type"] if new else "xa", "parent_code": code,
                    "parent_valid_from": OLD_VALID_FROM, "legal_basis": SYNTHETIC_BASIS})
            if (c, OLD_VALID_FROM) not in has_agency:
                out["agencies"].append(_agency(f"000.{number:02d}.{dd}.H06", f"UBND {lower_unit_name(old_name[c])}",
                                               c, OLD_VALID_FROM, OLD_VALID_TO))
            if (c, OLD_VALID_FROM) not in has_lineage:
                below = [n for n in own_new if n <= c]
                out["unit_lineage"].append({
                    "old_code": c, "old_valid_from": OLD_VALID_FROM, "new_code": below[-1] if below else own_new[0],
                    "new_valid_from": NEW_VALID_FROM, "effective_date": NEW_VALID_FROM, "legal_basis": LINEAGE_BASIS,
                    "share": "1"})
    # the new communes' committees the seed does not register
    missing = [c for c in sorted(new_units) if (c, NEW_VALID_FROM) not in has_agency]
    for number, c in enumerate(missing, NEW_AGENCY_FIRST):
        out["agencies"].append(_agency(f"000.{number:02d}.19.H56", f"UBND {lower_unit_name(new_units[c]['unit_name'])}",
                                       c, NEW_VALID_FROM, ""))
    return out


def load_province(start: date, end: date, seeds: dict | None = None) -> tuple[list[DistrictScope], dict]:
    """One DistrictScope per district of Bắc Kạn (code order) and the synthetic reference rows
    (``province_tables``). A new commune that takes in communes of several districts registers its committee in
    the scope of the first of them only (``new_agencies``: its procedure list is drawn once)."""
    seeds = read_tables() if seeds is None else seeds
    extra = province_tables(seeds)
    tables = {k: seeds[k] + extra[k] for k in seeds}
    codes = sorted(r["unit_code"] for r in tables["admin_units"]
                   if r["parent_code"] == PROVINCE_CODE and r["unit_level"] == "huyen")
    scopes, registered = [], set()
    for code in codes:
        scope = load_district(start, end, code, tables=tables)
        scope.code_prefix = f"{code}-"
        mine = [a for a in scope.new_agencies if a.code not in registered]
        registered |= {a.code for a in mine}
        scope.agencies = [a for a in scope.agencies if a not in scope.new_agencies or a in mine]
        scope.new_agencies = mine
        scopes.append(scope)
    return scopes, extra
