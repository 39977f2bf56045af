"""``generate()``: write a synthetic raw root (DATA_CONTRACT §1) for a scale, a seed and a month range."""

from __future__ import annotations

import calendar
import random
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

from orchestration.generate import applicability as app
from orchestration.generate import catalogue as cat
from orchestration.generate import sources as src
from orchestration.generate.defects import (
    inject_dossier_defects,
    inject_row_defects,
)
from orchestration.generate.dossiers import DossierFactory
from orchestration.generate.national import generate_national
from orchestration.generate.people import PeopleFactory, village_labels
from orchestration.generate.province import load_province
from orchestration.generate.reference import load_district, lower_unit_name, seed_agency_codes
from orchestration.generate.source_db import TYPED_ONLY, write_source_db
from orchestration.generate.workcal import WorkCalendar
from orchestration.generate.writers import write_csv, write_dossier_csv, write_dossier_json, write_xlsx
from orchestration.lib.source_db_engine import make_source_engine

# a year of Bạch Thông (14 communes) ≈ 30,000 dossiers; Bắc Kạn's 116 old communes ≈ 8 times that
DEFAULT_DOSSIERS_PER_YEAR = {"district": 30_000, "province": 240_000}
BATCH_SIZE = 10_000  # dossiers per file at most
FORMATS = ("json", "csv")
# Independent random streams, all derived from the one seed in this fixed order (a stream added at the end leaves
# the earlier ones unchanged).
STREAMS = ("places", "dossiers", "defects", "procedures", "petitions", "ratings", "surveys", "row_defects",
           "applicability")

# Files this generator owns in a raw root (removed before writing, so a re-run never leaves stale batches).
OWN_FILES = {
    "dossiers": [re.compile(r"dongbo_\d{6}_\d{3}\.json"), re.compile(r"hoso_\d{6}_\d{3}\.csv")],
    "procedures": [re.compile(r"(procedures|publications|reviews)\.csv"), re.compile(r"applicability(_\d{2})?\.csv")],
    "petitions": [re.compile(r"petitions\.csv")],
    "ratings": [re.compile(r"dossier_ratings\.csv")],
    "surveys": [re.compile(r"sipas_\d{4}\.xlsx")],
    "reference": [re.compile(r"(agencies|targets|admin_units|unit_lineage)\.csv")],
}


def _month(text: str, name: str) -> date:
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(text))
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"{name} must be a month 'YYYY-MM', got {text!r}")
    return date(int(m.group(1)), int(m.group(2)), 1)


def extract_time_for(end: str) -> datetime:
    """The extract time of a range ending in month ``end``: its last day at 18:00."""
    e = _month(end, "end")
    return datetime(e.year, e.month, calendar.monthrange(e.year, e.month)[1], 18, 0, 0)


def _clean(out: Path) -> None:
    for folder, patterns in OWN_FILES.items():
        base = out / folder
        if not base.is_dir():
            continue
        for p in sorted(base.iterdir()):
            if p.is_file() and any(rx.fullmatch(p.name) for rx in patterns):
                p.unlink()


DISTRICT_RANGE = ("2023-01", "2024-12")  # default start/end of scale='district'
PROVINCE_RANGE = ("2025-01", "2025-12")  # default start/end of scale='province': the year of the reorganisation


def generate(out_dir, *, seed=1, start=None, end=None, fmt="json", defect_rate=0.0, scale="district",
             dossiers_per_year=None, progress=None, source_db=None, workers=None, provinces=None,
             compress=None, applicability=True) -> dict:
    """Write a synthetic raw root under ``out_dir`` and return a summary.

    seed: any int — the same arguments give byte-identical files. start/end: months 'YYYY-MM' (inclusive;
    default 2023-01 … 2024-12 for 'district', 2025-07 … 2026-07 for 'national');
    the extract time is the last day of ``end`` at 18:00 and no event time lies after it. fmt: 'json'
    (national sync payload) or 'csv' (flat export) for dossiers — the same dossiers either way.
    defect_rate: share of dossier records given one DATA_CONTRACT §1.6 defect (and a few rows of the other
    sources). scale: 'district' (Bạch Thông, 063); 'province' (Bắc Kạn, 06: its eight districts, default range
    2025-01 … 2025-12 across the 2025 reorganisation into Thái Nguyên; the units the seeds lack are synthetic and
    written to ``reference/`` — orchestration/generate/province.py); 'national' (34 provinces, 3,321 communes of
    the two-level system, monthly extracts streamed by ``workers`` processes — orchestration/generate/national.py;
    JSON only, no defects, no source DB).
    dossiers_per_year: yearly volume (default 30,000 for a district, 240,000 for the province — shared among
    its districts by their number of communes — 20,000,000 national). progress: optional
    callable(str). workers: national scale only, processes (default: the number of CPUs). provinces: national
    scale only, keep the first N provinces in code order (tests, quick benchmarks; default all 34). compress:
    national scale only, 'gzip' writes the dossier files as ``.json.gz`` (ingestion reads both).
    source_db: a SQLAlchemy URL (``sqlite:///path``, ``postgresql://…``): the dossiers (latest version each),
    the procedure catalogue and the ratings go into that one-stop database (orchestration/generate/source_db.py)
    INSTEAD of dossiers/*.json|csv, procedures/procedures.csv and ratings/dossier_ratings.csv; the other sources
    (publications, reviews, PAKN, surveys, reference) are not in a one-stop system and are still files under
    ``out_dir``. The random draws are the same either way: a seed gives the same dossiers in both routes.
    applicability (district scale): write ``procedures/applicability.csv`` (each agency's own procedures, see
    ``applicability.py``) and draw each dossier among its agency's procedures (the default). False: no list and
    the draws of the generator before it (every procedure of the agency's level) — how the committed raw/sample
    was made, so ``applicability=False`` regenerates it byte for byte. With ``source_db`` the list is drawn (the
    dossiers are the same as in the file route) but not written: a one-stop database has no such table.
    """
    say = progress or (lambda msg: None)
    if scale == "national":
        if fmt != "json":
            raise ValueError(f"scale='national' writes the national sync JSON only, got fmt={fmt!r}")
        if float(defect_rate) != 0:
            raise ValueError("scale='national' does not inject defects (defect_rate must be 0)")
        if source_db:
            raise ValueError("scale='national' writes files only (no source_db)")
        if not applicability:
            raise ValueError("scale='national' always writes the applicability list (applicability must be True)")
        _clean(Path(out_dir))  # a district root's own files must not mix with the national ones
        return generate_national(out_dir, seed=seed, start=start, end=end, dossiers_per_year=dossiers_per_year,
                                 progress=progress, workers=workers, provinces=provinces, compress=compress)
    if compress:
        raise ValueError("compress='gzip' is for scale='national' only")
    if scale not in ("district", "province"):
        raise ValueError(f"scale must be 'district', 'province' or 'national', got {scale!r}")
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, got {fmt!r}")
    if not 0 <= float(defect_rate) < 0.5:
        raise ValueError(f"defect_rate must be in [0, 0.5), got {defect_rate!r}")
    if source_db and float(defect_rate) > 0:  # an impossible date, a status 13… have no typed column to go in
        raise ValueError(f"defect_rate={defect_rate} cannot be written into a source database: {TYPED_ONLY}")
    if source_db:  # a malformed or unsupported URL fails now, not after the dossiers are generated
        make_source_engine(source_db).dispose()
    default_range = PROVINCE_RANGE if scale == "province" else DISTRICT_RANGE
    start = default_range[0] if start is None else start
    end = default_range[1] if end is None else end
    start_d = _month(start, "start")
    T = extract_time_for(end)
    if start_d > T.date():
        raise ValueError(f"start {start} is after end {end}")
    per_year = DEFAULT_DOSSIERS_PER_YEAR[scale] if dossiers_per_year is None else dossiers_per_year
    if not isinstance(per_year, (int, float)) or per_year <= 0:
        raise ValueError(f"dossiers_per_year must be positive, got {dossiers_per_year!r}")

    extra_reference: dict = {}
    if scale == "province":  # one scope per district; the same streams drawn district after district
        scopes, extra_reference = load_province(start_d, T.date())
    else:
        scopes = [load_district(start_d, T.date())]
    scope = scopes[0]
    communes = sum(len(s.communes) for s in scopes)
    cal = WorkCalendar(start_d.year - 1, T.year + 2)
    master = random.Random(seed)
    rngs = {name: random.Random(master.getrandbits(64)) for name in STREAMS}

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _clean(out)
    files: dict = {}

    def rel(p: Path) -> str:
        return p.relative_to(out).as_posix()

    # ---------------------------------------------------------------- applicability (before the dossiers: they follow it)
    app_rows, applied = [], None
    if applicability:
        listed = [p for p in cat.PROCEDURES if p.ma_tthc in {r["ma_tthc"] for r in src.catalogue_rows(T.date())}]
        applied = {}
        for sc in scopes:  # agencies never repeat across scopes (load_province), so the lists just add up
            rows, drawn = app.district_applicability(rngs["applicability"], sc, listed, start_d)
            app_rows += rows
            applied.update(drawn)
        app_rows.sort(key=lambda r: (r["ma_tthc"], r["agency_code"]))

    # ---------------------------------------------------------------- dossiers
    villages, records = {}, []
    for sc in scopes:
        villages[sc.district.code] = village_labels(rngs["places"], sc.communes, sc.district.name)
        people = PeopleFactory(rngs["dossiers"], villages[sc.district.code], lower_unit_name(sc.district.name),
                               lower_unit_name(sc.province.name))
        factory = DossierFactory(rngs["dossiers"], cal, sc, people, T, applied=applied)
        share = per_year if len(scopes) == 1 else per_year * len(sc.communes) / communes  # by number of communes
        records += factory.generate(start_d, share, progress=say)
    clean_count = len(records)
    say(f"dossiers: {clean_count:,} generated")

    known_procs = {p.ma_tthc for p in cat.PROCEDURES} | {p.ma_tthc for p in cat.UNLISTED_PROCEDURES}
    all_agencies = seed_agency_codes() | {r["agency_code"] for r in extra_reference.get("agencies", [])}
    records, dossier_defects = inject_dossier_defects(records, float(defect_rate), rngs["defects"], fmt, known_procs,
                                                      all_agencies)
    records.sort(key=lambda r: (r["_batch"], r["_sort"], r["MaHoSo"], r.get("_duplicate_copy", False)))

    if not source_db:  # with a source DB, the dossiers go into it (below, with the catalogue and the ratings)
        ddir = out / "dossiers"
        ddir.mkdir(parents=True, exist_ok=True)
        batches: dict = {}
        for r in records:
            batches.setdefault(r["_batch"], []).append(r)
        for month in sorted(batches):
            chunk = batches[month]
            for i in range(0, len(chunk), BATCH_SIZE):
                part = chunk[i:i + BATCH_SIZE]
                n = i // BATCH_SIZE + 1
                if fmt == "json":
                    path = ddir / f"dongbo_{month}_{n:03d}.json"
                    write_dossier_json(path, part)
                else:
                    path = ddir / f"hoso_{month}_{n:03d}.csv"
                    write_dossier_csv(path, part)
                files[rel(path)] = len(part)
        say(f"dossiers: {len(records):,} records written in {len(batches)} month batch(es)")

    # ---------------------------------------------------------------- procedures, publications, reviews
    rng = rngs["procedures"]
    proc_rows = src.catalogue_rows(T.date())
    pub_rows = src.publication_rows(rng, cal, start_d, T, scope.province.code)
    rev_rows = [r for sc in scopes for r in src.review_rows(rng, cal, start_d, T, sc.district.code)]
    if scope.reform_date is not None:
        # decisions and reviews after the 2025 reorganisation belong to the successor province: the district and the
        # old province no longer exist (same draws: the rows before the reform are unchanged)
        for r in pub_rows:
            if r["ngay_quyet_dinh"] >= scope.reform_date.isoformat():
                r["unit_code"] = scope.successor_province
        for r in rev_rows:
            if r["ngay_ra_soat"] >= scope.reform_date.isoformat():
                r["unit_code"] = scope.successor_province
    rd = rngs["row_defects"]
    other_defects = {"procedures": inject_row_defects("procedures", proc_rows, "ma_tthc", src.PROCEDURE_DEFECTS,
                                                      float(defect_rate), rd)}
    for name, cols, rows in (("procedures", src.PROCEDURE_COLUMNS, proc_rows),
                             ("publications", src.PUBLICATION_COLUMNS, pub_rows),
                             ("reviews", src.REVIEW_COLUMNS, rev_rows)):
        if source_db and name == "procedures":
            continue  # the catalogue is a table of the one-stop database
        path = out / "procedures" / f"{name}.csv"
        write_csv(path, cols, rows)
        files[rel(path)] = len(rows)
    if applicability and not source_db:  # the national catalogue's list, not a table of a one-stop database
        path = out / "procedures" / "applicability.csv"
        write_csv(path, app.COLUMNS, app_rows)
        files[rel(path)] = len(app_rows)

    # ---------------------------------------------------------------- petitions and ratings
    clean = [r for r in records if "_defect" not in r]
    pet_rows = [r for sc in scopes for r in src.petition_rows(rngs["petitions"], cal, start_d, T, sc, clean)]
    other_defects["petitions"] = inject_row_defects("petitions", pet_rows, "ma_pakn", src.PETITION_DEFECTS,
                                                    float(defect_rate), rd)
    path = out / "petitions" / "petitions.csv"
    write_csv(path, src.PETITION_COLUMNS, pet_rows)
    files[rel(path)] = len(pet_rows)

    rat_rows = src.rating_rows(rngs["ratings"], T, clean)
    other_defects["ratings"] = inject_row_defects("ratings", rat_rows, "ma_ho_so", src.RATING_DEFECTS,
                                                  float(defect_rate), rd)
    if not source_db:  # ratings are given in the one-stop system: a table of its database
        path = out / "ratings" / "dossier_ratings.csv"
        write_csv(path, src.RATING_COLUMNS, rat_rows)
        files[rel(path)] = len(rat_rows)

    # ---------------------------------------------------------------- surveys
    survey_people = {code: PeopleFactory(rngs["surveys"], v, "", "") for code, v in villages.items()}
    respondents = 0
    survey_defects: dict = {}
    for year in range(start_d.year, T.year + 1):
        rows = [r for sc in scopes
                for r in src.survey_rows(rngs["surveys"], cal, year, start_d, T, sc, survey_people[sc.district.code])]
        rep = inject_row_defects("surveys", rows, "ma_phieu", src.SURVEY_DEFECTS, float(defect_rate), rd)
        for k, v in rep.items():
            acc = survey_defects.setdefault(k, {"count": 0, "records": [], "expected": v["expected"]})
            acc["count"] += v["count"]
            acc["records"] += v["records"]
        path = out / "surveys" / f"sipas_{year}.xlsx"
        title = scope.province.name if scale == "province" else scope.district.name
        write_xlsx(path, src.survey_title_rows(title, year), src.SURVEY_COLUMNS, rows,
                   text_columns={"ma_phieu", "unit_code", "so_dien_thoai", "ma_tthc", "ho_ten"},
                   date_columns={"ngay_khao_sat"})
        files[rel(path)] = len(rows)
        respondents += len(rows)
    other_defects["surveys"] = survey_defects

    # ---------------------------------------------------------------- reference
    agencies = list({(a.code, a.valid_from): a for sc in scopes for a in sc.agencies}.values())
    path = out / "reference" / "agencies.csv"
    write_csv(path, ["agency_code", "agency_name", "unit_code", "valid_from", "valid_to"], [a.row for a in agencies])
    files[rel(path)] = len(agencies)
    for name in ("admin_units", "unit_lineage"):  # the province's synthetic units (province.py) beside the seeds'
        if extra_reference.get(name):
            path = out / "reference" / f"{name}.csv"
            write_csv(path, list(extra_reference[name][0]), extra_reference[name])
            files[rel(path)] = len(extra_reference[name])
    # the plan targets of Bạch Thông's 2023 plan (METHODOLOGY §6), the only district plan the sample knows
    targets = src.target_rows(next(sc for sc in scopes if sc.district.code == "063"))
    path = out / "reference" / "targets.csv"
    write_csv(path, src.TARGET_COLUMNS, targets)
    files[rel(path)] = len(targets)
    db = None
    if source_db:
        db = write_source_db(source_db, records, proc_rows, rat_rows, progress=say)
    say("all sources written")

    # ---------------------------------------------------------------- summary
    distinct = [r for r in records if not r.get("_duplicate_copy")]
    defects = {"dossiers": dossier_defects, **other_defects}
    unlisted = {p.ma_tthc for p in cat.UNLISTED_PROCEDURES}
    summary = {
        "seed": seed, "scale": scale, "start": start, "end": end, "format": fmt, "defect_rate": float(defect_rate),
        "dossiers_per_year": per_year, "extract_time": T.isoformat(sep=" "), "out_dir": str(out),
        "files": dict(sorted(files.items())),
        "counts": {
            "dossiers": len(distinct), "dossier_records": len(records), "procedures": len(proc_rows),
            "publications": len(pub_rows), "reviews": len(rev_rows), "applicability": len(app_rows),
            "petitions": len(pet_rows),
            "ratings": len(rat_rows), "survey_respondents": respondents, "agencies": len(agencies),
            "targets": len(targets),
        },
        "dossier_status": {str(k): v for k, v in sorted(Counter(r["TrangThaiHoSo"] for r in distinct).items())},
        "dossier_fields": dict(sorted(Counter(r["MaLinhVuc"] for r in distinct).items())),
        "dossiers_online": sum(1 for r in distinct if r.get("KenhThucHien") == 2),
        "dossiers_unlisted_procedure": sum(1 for r in distinct if r["MaTTHC"] in unlisted),
        "defects": defects,
        "defects_total": {s: sum(k["count"] for k in v.values()) for s, v in defects.items()},
    }
    if db:  # only in this route, so the file route's summary is unchanged
        summary["source_db"] = db["source_db"]  # masked: the URL may hold a password
        summary["source_db_rows"] = db["rows"]
        summary["source_db_replaced"] = db["replaced"]
    return summary
