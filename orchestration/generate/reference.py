"""Units and agencies for the generator, read from the committed dbt seeds (never duplicated in code)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"

# District agencies by role, recognised from their registered names (agencies.csv).
ROLE_KEYWORDS = [
    ("vpdk", "đăng ký đất đai"),
    ("tp", "tư pháp"),
    ("ktht", "kinh tế và hạ tầng"),
    ("tckh", "tài chính - kế hoạch"),
    ("ldtbxh", "lao động"),
    ("ubnd_huyen", "ubnd huyện"),
]

DISTRICT_CODE = "063"  # Bạch Thông: the only district-scale sample so far


@dataclass(frozen=True)
class Unit:
    code: str
    valid_from: date
    valid_to: date | None
    name: str
    level: str
    unit_type: str
    parent_code: str


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    unit_code: str
    valid_from: date
    valid_to: date | None
    row: dict  # the seed row as read, written back to reference/agencies.csv


def _d(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _read(name: str, seeds_dir: Path) -> list[dict]:
    with open(seeds_dir / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


TABLES = ("admin_units", "agencies", "unit_lineage")


def read_tables(seeds_dir: Path = SEEDS_DIR) -> dict[str, list[dict]]:
    """The seed tables the generator reads (units, agencies, lineage), as lists of rows."""
    return {name: _read(f"{name}.csv", seeds_dir) for name in TABLES}


def _overlaps(vf: date, vt: date | None, a: date, b: date) -> bool:
    return vf <= b and (vt is None or vt >= a)


@dataclass
class DistrictScope:
    province: Unit
    district: Unit
    communes: list[Unit]  # seed order
    agencies: list[Agency]  # the district's own agencies and its communes' committees, seed order
    commune_agency: dict  # commune unit code → Agency (the people's committee)
    roles: dict  # role → district Agency
    district_agencies: list[Agency]
    agency_columns: list[str]
    # Across the 2025 reorganisation (a range past the district's last day; ADMIN_UNITS.md): from reform_date the
    # district's dossiers, PAKN and survey respondents go to the new communes that took in its communes (the lineage
    # seed), the district offices' work to the new commune of the former district seat; the new communes' committees
    # are registered from reform_date (agencies re-registered at the reform). Empty when the range ends before.
    reform_date: date | None = None
    successor_agency: dict = field(default_factory=dict)  # old agency code → the new Agency taking its work over
    successor_unit: dict = field(default_factory=dict)  # old unit code (commune or district) → new commune code
    successor_province: str | None = None
    new_agencies: list = field(default_factory=list)
    # prefix of the PAKN and survey codes (a province raw root holds several districts: their codes must not meet)
    code_prefix: str = ""

    @property
    def unit_of_agency(self) -> dict:
        return {a.code: a.unit_code for a in self.agencies}


def load_district(start: date, end: date, district_code: str = DISTRICT_CODE, seeds_dir: Path = SEEDS_DIR,
                  tables: dict | None = None) -> DistrictScope:
    """The district's units and agencies for ``start`` … ``end``, from the seeds (or ``tables``, the seeds extended
    by a province's synthetic units: province.py)."""
    tables = read_tables(seeds_dir) if tables is None else tables
    units = [
        Unit(r["unit_code"], _d(r["valid_from"]), _d(r["valid_to"]), r["unit_name"], r["unit_level"], r["unit_type"],
             r["parent_code"])
        for r in tables["admin_units"]
    ]
    live = [u for u in units if _overlaps(u.valid_from, u.valid_to, start, end)]
    districts = [u for u in live if u.code == district_code and u.level == "huyen"]
    if not districts:
        raise ValueError(f"district {district_code} is not in admin_units.csv for {start} … {end}")
    district = districts[0]
    if district.valid_from > start:
        raise ValueError(f"district {district_code} ({district.name}) exists only from {district.valid_from}; "
                         f"the requested range starts on {start}")
    crosses = district.valid_to is not None and district.valid_to < end
    province = next(u for u in live if u.code == district.parent_code and u.level == "tinh")
    communes = [u for u in live if u.parent_code == district.code and u.level == "xa"]
    unit_codes = {district.code} | {u.code for u in communes}
    reform = district.valid_to + timedelta(days=1) if crosses else None
    succ: dict = {}
    if crosses:
        succ = {(r["old_code"], _d(r["old_valid_from"])): (r["new_code"], _d(r["new_valid_from"]))
                for r in tables["unit_lineage"]}
        missing = [u.code for u in communes + [province] if (u.code, u.valid_from) not in succ]
        if missing:
            raise ValueError(
                f"district {district_code} ({district.name}) ends on {district.valid_to} and unit_lineage.csv has no "
                f"successor for {', '.join(missing)}: the requested range {start} … {end} cannot go beyond it")

    rows = tables["agencies"]
    columns = list(rows[0].keys()) if rows else ["agency_code", "agency_name", "unit_code", "valid_from", "valid_to"]
    agencies = [
        Agency(r["agency_code"], r["agency_name"], r["unit_code"], _d(r["valid_from"]), _d(r["valid_to"]), r)
        for r in rows
        if r["unit_code"] in unit_codes and _overlaps(_d(r["valid_from"]), _d(r["valid_to"]), start, end)
        and (reform is None or _d(r["valid_from"]) < reform)  # a reused code's new committee is not the old one
    ]
    commune_agency = {}
    for u in communes:
        found = [a for a in agencies if a.unit_code == u.code]
        if not found:
            raise ValueError(f"no agency in agencies.csv for commune {u.code} {u.name}")
        commune_agency[u.code] = found[0]
    district_agencies = [a for a in agencies if a.unit_code == district.code]
    roles = {}
    for role, keyword in ROLE_KEYWORDS:
        match = [a for a in district_agencies if keyword in a.name.lower()]
        if match:
            roles[role] = match[0]
    if "ubnd_huyen" not in roles:
        if not district_agencies:
            raise ValueError(f"no district-level agency for {district.code} in agencies.csv")
        roles["ubnd_huyen"] = district_agencies[0]
    for role, _ in ROLE_KEYWORDS:
        roles.setdefault(role, roles["ubnd_huyen"])
    scope = DistrictScope(province, district, communes, agencies, commune_agency, roles, district_agencies, columns)
    if crosses:
        _add_successors(scope, rows, succ, reform)
    return scope


def _add_successors(scope: DistrictScope, rows: list[dict], succ: dict, reform: date) -> None:
    """The new communes of the lineage and their committees (registered from ``reform``), and who takes over what."""
    new_units = {succ[(u.code, u.valid_from)] for u in scope.communes}
    new_agency = {}
    for code, vf in sorted(new_units):
        found = [r for r in rows if r["unit_code"] == code and _d(r["valid_from"]) == vf]
        if not found:
            raise ValueError(f"no agency in agencies.csv for the new commune {code} (valid from {vf})")
        r = found[0]
        new_agency[code] = Agency(r["agency_code"], r["agency_name"], r["unit_code"], _d(r["valid_from"]),
                                  _d(r["valid_to"]), r)
    seat = next((u for u in scope.communes if u.unit_type == "thi_tran"), scope.communes[0])  # the district seat
    for u in scope.communes:
        scope.successor_unit[u.code] = succ[(u.code, u.valid_from)][0]
        scope.successor_agency[scope.commune_agency[u.code].code] = new_agency[scope.successor_unit[u.code]]
    scope.successor_unit[scope.district.code] = scope.successor_unit[seat.code]
    for a in scope.district_agencies:
        scope.successor_agency[a.code] = new_agency[scope.successor_unit[seat.code]]
    scope.successor_province = succ[(scope.province.code, scope.province.valid_from)][0]
    scope.reform_date = reform
    scope.new_agencies = [new_agency[c] for c in sorted(new_agency)]
    scope.agencies = scope.agencies + scope.new_agencies


def lower_unit_name(name: str) -> str:
    """'Xã Vi Hương' → 'xã Vi Hương', 'Thị trấn Phủ Thông' → 'thị trấn Phủ Thông' (as used inside addresses)."""
    for prefix in ("Thị trấn", "Thành phố", "Huyện", "Tỉnh", "Xã", "Phường"):
        if name.startswith(prefix + " "):
            return prefix.lower() + name[len(prefix):]
    return name


def seed_agency_codes(seeds_dir: Path = SEEDS_DIR) -> set:
    """Every agency code of the seed (any unit, any validity): defect codes must avoid all of them."""
    return {r["agency_code"] for r in _read("agencies.csv", seeds_dir)}
