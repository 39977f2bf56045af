"""The sources other than dossiers: procedure catalogue, publication decisions and reviews (``procedures/``),
PAKN (``petitions/``), per-dossier ratings (``ratings/``), SIPAS survey sheets (``surveys/``) and the raw
root's own reference data (``reference/``)."""

from __future__ import annotations

import bisect
import unicodedata
from collections import defaultdict
from datetime import date, datetime, timedelta

from orchestration.generate import catalogue as cat
from orchestration.generate.writers import iso_date, iso_minute

PROCEDURE_COLUMNS = ["ma_tthc", "ten_tthc", "ma_linh_vuc", "ten_linh_vuc", "cap_thuc_hien", "thoi_han",
                     "don_vi_thoi_han", "co_phi", "yeu_cau_kq_giay", "du_dieu_kien_toan_trinh", "muc_do_dvc",
                     "doi_tuong_cong_dan", "cong_khai_day_du", "hieu_luc_tu", "hieu_luc_den"]
PUBLICATION_COLUMNS = ["so_quyet_dinh", "ngay_quyet_dinh", "loai", "ma_tthc", "unit_code", "ngay_hieu_luc_can_cu",
                       "ngay_cong_khai"]
REVIEW_COLUMNS = ["ma_ke_hoach", "unit_code", "nam", "ma_tthc", "ngay_ra_soat", "ket_qua"]
PETITION_COLUMNS = ["ma_pakn", "agency_code", "ngay_tiep_nhan", "phan_loai", "ma_ho_so_lien_quan", "trang_thai",
                    "ngay_chuyen", "ngay_tu_choi", "ngay_yeu_cau_bo_sung", "ngay_xu_ly", "ngay_cong_khai",
                    "luot_thich", "luot_khong_thich", "khieu_nai_lai"]
RATING_COLUMNS = ["ma_ho_so", "ngay_danh_gia", "muc_do"]
SURVEY_COLUMNS = (["ma_phieu", "unit_code", "ngay_khao_sat", "ho_ten", "so_dien_thoai", "ma_tthc"]
                  + cat.SURVEY_ELEMENTS + cat.SURVEY_CRITERIA + ["mong_doi_1", "mong_doi_2", "mong_doi_3"])
TARGET_COLUMNS = ["unit_code", "nam", "ma_chi_tieu", "indicator_id", "ma_linh_vuc", "pham_vi", "so_sanh", "gia_tri",
                  "ghi_chu"]


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _wchoice(rng, pairs):
    return rng.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]


# ------------------------------------------------------------------------------------------- procedures
def catalogue_rows(extract_day: date) -> list[dict]:
    """The CSDLQG export: every procedure of the district's levels known at the extract date."""
    rows = []
    for p in cat.PROCEDURES:
        if p.hieu_luc_tu > extract_day + timedelta(days=60):
            continue
        rows.append({
            "ma_tthc": p.ma_tthc, "ten_tthc": p.ten_tthc, "ma_linh_vuc": p.ma_linh_vuc, "ten_linh_vuc": p.ten_linh_vuc,
            "cap_thuc_hien": p.cap, "thoi_han": _num(p.thoi_han), "don_vi_thoi_han": p.don_vi, "co_phi": str(p.co_phi),
            "yeu_cau_kq_giay": str(p.kq_giay), "du_dieu_kien_toan_trinh": "1" if p.muc_do == "toan_trinh" else "0",
            "muc_do_dvc": p.muc_do, "doi_tuong_cong_dan": str(p.cong_dan), "cong_khai_day_du": str(p.cong_khai_day_du),
            "hieu_luc_tu": iso_date(p.hieu_luc_tu), "hieu_luc_den": iso_date(p.hieu_luc_den),
        })
    return rows


def publication_rows(rng, cal, start: date, T: datetime, province_code: str) -> list[dict]:
    """Publication decisions (QĐ công bố) of the province issued in the range: new procedures (them_moi),
    abolished ones (bai_bo), amendments (sua_doi, a few decisions a year, and the Land Law 2024 wave).
    Most are issued ≥ 5 working days before the legal basis takes effect and disclosed within 5 working
    days; some are late on either count."""
    lo, hi = start - timedelta(days=120), T.date() + timedelta(days=120)
    groups: dict = defaultdict(lambda: defaultdict(list))  # basis date → loai → [codes]
    for p in cat.PROCEDURES:
        if lo <= p.hieu_luc_tu <= hi and p.hieu_luc_tu > date(2020, 1, 1):
            groups[p.hieu_luc_tu]["them_moi"].append(p.ma_tthc)
        if p.hieu_luc_den and lo <= p.hieu_luc_den + timedelta(days=1) <= hi:
            groups[p.hieu_luc_den + timedelta(days=1)]["bai_bo"].append(p.ma_tthc)
    land_law = date(2024, 8, 1)
    if lo <= land_law <= hi:
        groups[land_law]["sua_doi"].extend(
            p.ma_tthc for p in cat.PROCEDURES if p.ma_linh_vuc == "G05-DD" and p.in_force(land_law)
            and p.hieu_luc_tu < land_law)
    plans = []  # [decision date or None, basis, loai, codes, on time]
    for basis in sorted(groups):
        for loai in ("them_moi", "sua_doi", "bai_bo"):
            codes = sorted(set(groups[basis].get(loai, [])))
            if codes:
                plans.append([None, basis, loai, codes, rng.random() < (0.4 if basis == land_law else 0.8)])
    # amendments: a few decisions a year (pro rata for a partial year), dated inside the range
    for year in range(start.year, T.year + 1):
        days = cal.working_days_in(max(start, date(year, 1, 1)), min(T.date(), date(year, 12, 31)))
        if not days:
            continue
        months = len({(d.year, d.month) for d in days})
        for _ in range(max(2, round(rng.randint(4, 6) * months / 12))):
            decided = rng.choice(days)
            pool = [p.ma_tthc for p in cat.PROCEDURES if p.in_force(decided)]
            plans.append([decided, None, "sua_doi", sorted(rng.sample(pool, rng.randint(2, 8))), rng.random() < 0.8])
    for year in range(start.year, T.year + 1):  # every year has some late decision (as real provinces do)
        of_year = [p for p in plans if (p[0] or p[1]).year == year]
        if len(of_year) >= 2 and all(p[4] for p in of_year):
            rng.choice(of_year)[4] = False
    decisions = []
    for decided, basis, loai, codes, on_time in plans:
        if decided is None:  # the legal basis is given: date the decision from it
            if on_time:
                decided = cal.wd_before(basis, rng.randint(5, 25))
            elif rng.random() < 0.4:
                decided = cal.wd_before(basis, rng.randint(1, 4))
            else:
                decided = cal.wd_after(basis, rng.randint(1, 25))
        else:  # the decision date is given: place its legal basis
            if on_time:
                basis = cal.wd_after(decided, rng.randint(5, 25))
            elif rng.random() < 0.4:
                basis = cal.wd_after(decided, rng.randint(1, 4))
            else:
                basis = cal.wd_before(decided, rng.randint(1, 20))
        decisions.append((decided, basis, loai, codes))
    decisions.sort(key=lambda x: (x[0], x[2], x[1]))
    rows = []
    numbers: dict = {}
    for decided, basis, loai, codes in decisions:
        if not (start <= decided <= T.date()):
            continue
        numbers[decided.year] = numbers.get(decided.year, rng.randint(10, 60)) + rng.randint(15, 140)
        so = f"{numbers[decided.year]}/QĐ-UBND"
        for code in codes:
            late_disclosure = rng.random() < 0.12
            disclosed = cal.wd_after(decided, rng.randint(6, 15) if late_disclosure else rng.randint(1, 5))
            rows.append({
                "so_quyet_dinh": so, "ngay_quyet_dinh": iso_date(decided), "loai": loai, "ma_tthc": code,
                "unit_code": province_code, "ngay_hieu_luc_can_cu": iso_date(basis),
                "ngay_cong_khai": iso_date(disclosed) if disclosed <= T.date() else "",
            })
    return rows


def review_rows(rng, cal, start: date, T: datetime, district_code: str) -> list[dict]:
    """Reviews under the district's yearly review plan KH-RS-<year>-<district>: 12–16 procedures a year."""
    rows = []
    for year in range(start.year, T.year + 1):
        a, b = max(start, date(year, 4, 1)), min(T.date(), date(year, 10, 31))
        if a > b:
            a, b = max(start, date(year, 1, 3)), min(T.date(), date(year, 12, 31))
        days = cal.working_days_in(a, b)
        if not days:
            continue
        pool = [p for p in cat.PROCEDURES if p.in_force(days[0]) and ("huyen" in p.levels or "xa" in p.levels)]
        chosen = rng.sample(pool, min(len(pool), rng.randint(12, 16)))
        picks = sorted((rng.choice(days), p.ma_tthc) for p in chosen)
        for d, code in picks:
            rows.append({"ma_ke_hoach": f"KH-RS-{year}-{district_code}", "unit_code": district_code, "nam": str(year),
                         "ma_tthc": code, "ngay_ra_soat": iso_date(d), "ket_qua": _wchoice(rng, cat.REVIEW_RESULTS)})
    return rows


# ------------------------------------------------------------------------------------------- PAKN
def petition_rows(rng, cal, start: date, T: datetime, scope, dossiers: list[dict]) -> list[dict]:
    """A few PAKN a month per district, mostly handled within the deadlines of METHODOLOGY §3."""
    by_agency = defaultdict(list)
    for r in dossiers:
        if r.get("NgayTiepNhan") is not None and "_defect" not in r:
            by_agency[r.get("MaDonViXuLy") or r["MaHoSo"].split("-")[0]].append((r["NgayTiepNhan"], r["MaHoSo"]))
    for v in by_agency.values():
        v.sort()
    communes = [scope.commune_agency[u.code] for u in scope.communes]
    district = [(scope.roles["ubnd_huyen"], 4), (scope.roles["vpdk"], 3), (scope.roles["tp"], 1),
                (scope.roles["ktht"], 1), (scope.roles["tckh"], 1), (scope.roles["ldtbxh"], 1)]
    items = []
    month = date(start.year, start.month, 1)
    while month <= T.date():
        nxt = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        days = [month + timedelta(days=i) for i in range((nxt - month).days)]
        for _ in range(rng.randint(2, 6)):
            d = rng.choice(days)
            if rng.random() < 0.8 and cal.is_working(d):
                t = cal.office_time(d, rng)
            else:
                t = datetime(d.year, d.month, d.day, rng.randint(6, 22), rng.randint(0, 59))
            agency = rng.choice(communes) if rng.random() < 0.6 else _wchoice(rng, district)
            if scope.reform_date is not None and t.date() >= scope.reform_date:
                agency = scope.successor_agency[agency.code]  # after the 2025 reorganisation (reference.py)
            items.append((t, agency.code))
        month = nxt
    items.sort()
    rows = []
    seq: dict = {}
    for t, agency in items:
        if t > T:
            continue
        seq[t.year] = seq.get(t.year, 0) + 1
        row = dict.fromkeys(PETITION_COLUMNS, "")
        row.update(ma_pakn=f"PAKN-{t.year}-{scope.code_prefix}{seq[t.year]:04d}", agency_code=agency, ngay_tiep_nhan=iso_minute(t),
                   phan_loai=_wchoice(rng, [("quy_dinh_tthc", 45), ("hanh_vi_cbccvc", 20), ("khac", 35)]))
        linked = by_agency.get(agency, [])
        if linked and rng.random() < 0.4:
            hi = bisect.bisect_left(linked, (t, ""))
            if hi > 0:
                row["ma_ho_so_lien_quan"] = linked[rng.randrange(max(0, hi - 300), hi)][1]
        steps = {}
        d0 = t.date()
        if rng.random() < 0.08:
            steps["ngay_tu_choi"] = cal.office_time(cal.wd_after(d0, rng.choice([1, 1, 2, 2, 4])), rng)
        else:
            if rng.random() < 0.25:
                steps["ngay_chuyen"] = cal.office_time(cal.wd_after(d0, rng.randint(1, 2)), rng)
                d0 = steps["ngay_chuyen"].date()
            if rng.random() < 0.1:
                steps["ngay_yeu_cau_bo_sung"] = cal.office_time(cal.wd_after(d0, rng.choice([1, 2, 3, 5, 7])), rng)
            k = rng.randint(2, 15) if rng.random() < 0.93 else rng.randint(16, 25)
            steps["ngay_xu_ly"] = cal.office_time(cal.wd_after(d0, k), rng)
            if rng.random() < 0.9:
                k2 = rng.randint(1, 2) if rng.random() < 0.92 else rng.randint(3, 6)
                steps["ngay_cong_khai"] = cal.office_time(cal.wd_after(steps["ngay_xu_ly"].date(), k2), rng)
        waiting = rng.random() < 0.6
        for k, v in steps.items():
            if v <= T:
                row[k] = iso_minute(v)
        if row["ngay_tu_choi"]:
            row["trang_thai"] = "tu_choi"
        elif row["ngay_xu_ly"]:
            row["trang_thai"] = "da_xu_ly"
        elif not (row["ngay_chuyen"] or row["ngay_yeu_cau_bo_sung"]) and (T - t) < timedelta(days=2) and waiting:
            row["trang_thai"] = "cho_tiep_nhan"
        else:
            row["trang_thai"] = "dang_xu_ly"
        likes, dislikes = 0, 0
        if row["ngay_cong_khai"]:
            if rng.random() < 0.06:
                likes, dislikes = rng.randint(0, 2), rng.randint(3, 8)
            else:
                likes, dislikes = rng.randint(0, 12), rng.randint(0, 2)
        repeat = 1 if row["trang_thai"] == "da_xu_ly" and rng.random() < 0.04 else 0
        row.update(luot_thich=str(likes), luot_khong_thich=str(dislikes), khieu_nai_lai=str(repeat))
        rows.append(row)
    return rows


# ------------------------------------------------------------------------------------------- ratings
def rating_rows(rng, T: datetime, dossiers: list[dict]) -> list[dict]:
    """Ratings given at return on the national portal: a share of returned dossiers, ~90% satisfied."""
    rows = []
    for r in dossiers:
        if r["TrangThaiHoSo"] != 10 or "_defect" in r or r.get("NgayTra") is None:
            continue
        if rng.random() >= (0.26 if r.get("KenhThucHien") == 2 else 0.12):
            continue
        if rng.random() < 0.6:  # at the counter's rating kiosk / on the portal when the result arrives
            t = r["NgayTra"] + timedelta(minutes=rng.randint(1, 30), seconds=rng.randint(0, 59))
        else:  # later, from the link sent by SMS / Zalo, at waking hours
            day = r["NgayTra"].date() + timedelta(days=rng.randint(0, 3))
            t = datetime(day.year, day.month, day.day, rng.randint(7, 21), rng.randint(0, 59))
            if t <= r["NgayTra"]:
                t = r["NgayTra"] + timedelta(minutes=rng.randint(5, 90))
        if t > T:
            continue
        unhappy = rng.random() < (0.35 if r.get("_late") else 0.075)
        level = "khong_hai_long" if unhappy else ("rat_hai_long" if rng.random() < 0.62 else "hai_long")
        rows.append({"ma_ho_so": r["MaHoSo"], "ngay_danh_gia": iso_minute(t), "muc_do": level})
    rows.sort(key=lambda x: (x["ngay_danh_gia"], x["ma_ho_so"]))
    return rows


# ------------------------------------------------------------------------------------------- surveys
def survey_rows(rng, cal, year: int, start: date, T: datetime, scope, people) -> list[dict]:
    """One row per respondent: a few hundred a year (pro rata for a partial year), district one-stop and
    communes; ~90% answer 4–5; hl_pakn mostly empty (few respondents ever filed a PAKN)."""
    a, b = max(start, date(year, 1, 1)), min(T.date(), date(year, 12, 31))
    days = cal.working_days_in(a, b)
    if not days:
        return []
    months = (b.year - a.year) * 12 + b.month - a.month + 1
    n = max(40, round(rng.randint(320, 420) * months / 12))
    commune_units = [u.code for u in scope.communes]
    district_code = scope.district.code
    exp_codes = [e[0] for e in cat.EXPECTATIONS]
    exp_w = [e[1] for e in cat.EXPECTATIONS]
    picks = []
    for _ in range(n):
        d = rng.choice(days)
        unit = district_code if rng.random() < 0.3 else rng.choice(commune_units)
        if scope.reform_date is not None and d >= scope.reform_date:
            unit = scope.successor_unit[unit]  # after the 2025 reorganisation: the new commune (reference.py)
        picks.append((d, unit))
    picks.sort()
    rows = []
    for i, (d, unit) in enumerate(picks, 1):
        level = "huyen" if unit == district_code else "xa"
        procs = [p for p in cat.PROCEDURES if p.in_force(d) and level in p.levels]
        proc = rng.choices(procs, [p.weight for p in procs])[0]
        name, _ = people.name()
        row = {"ma_phieu": f"SP{year % 100:02d}-{scope.code_prefix}{i:04d}", "unit_code": unit, "ngay_khao_sat": d, "ho_ten": name,
               "so_dien_thoai": people.phone() if rng.random() < 0.9 else None, "ma_tthc": proc.ma_tthc}
        draw_survey_answers(rng, row, proc.co_phi, exp_codes, exp_w)
        rows.append(row)
    return rows


def survey_title_rows(unit_name: str, year: int) -> list[str]:
    return [f"UBND {unit_name.upper()}",
            f"KẾT QUẢ KHẢO SÁT SỰ HÀI LÒNG CỦA NGƯỜI DÂN, TỔ CHỨC ĐỐI VỚI SỰ PHỤC VỤ CỦA CƠ QUAN HÀNH CHÍNH NĂM {year}"]


# ------------------------------------------------------------------------------------------- reference
def target_rows(scope, year: int = 2023) -> list[dict]:
    """The 2023 plan targets T1–T8 (METHODOLOGY §6) for the district, one row per indicator."""
    u = scope.district.code
    t = cat.TARGET_TEXT

    def row(unit, code, ind, so_sanh, value, text, linh_vuc="", pham_vi="toan_bo"):
        return {"unit_code": unit, "nam": str(year), "ma_chi_tieu": code, "indicator_id": ind, "ma_linh_vuc": linh_vuc,
                "pham_vi": pham_vi, "so_sanh": so_sanh, "gia_tri": str(value), "ghi_chu": text}

    rows = [row(u, "T1", "QD766_1_2", "eq", 100, t["T1"]), row(u, "T1", "QD766_1_3", "eq", 100, t["T1"]),
            row(u, "T2", "RESULTS_DIGITISED", "ge", 40, t["T2_huyen"], pham_vi="rieng")]
    rows += [row(c.code, "T2", "RESULTS_DIGITISED", "ge", 35, t["T2_xa"]) for c in scope.communes]
    rows += [row(u, "T3", "ECERT_COPY_SHARE", "ge", 20, t["T3"]),
             row(u, "T4", "QD766_5_4", "ge", 90, t["T4"])]
    rows += [row(u, "T4", "QD766_5_4", "ge", 80, t["T4_linh_vuc"], linh_vuc=f) for f in ("G05-DD", "G06-XD", "G07-DT")]
    rows += [row(u, "T5", "SIPAS", "ge", 85, t["T5"]),
             row(u, "T6", "QD766_5_2", "eq", 100, t["T6"]),
             row(u, "T7", "QD766_2_1", "eq", 100, t["T7"]), row(u, "T7", "QD766_1_4", "eq", 100, t["T7"]),
             row(u, "T8", "TTHC_REVIEWED_SHARE", "ge", 20, t["T8"]), row(u, "T8", "TTHC_REVIEWED_COUNT", "ge", 10, t["T8"])]
    return rows


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# row-defect kinds for the other sources: kind → (expected outcome, fn(row, rng))
def _bad_minute(row, col, rng):
    y = row[col][:4] or "2023"
    row[col] = rng.choice([f"{y}-02-30 09:15", f"{y}-04-31 14:00", f"31/06/{y} 10:20"])


PETITION_DEFECTS = {
    "impossible_date": ("quarantined", lambda row, rng: _bad_minute(row, "ngay_tiep_nhan", rng)),
    "unknown_status": ("quarantined", lambda row, rng: row.update(trang_thai=rng.choice(["hoan_thanh", "xong", "5"]))),
    "unknown_agency": ("quarantined", lambda row, rng: row.update(agency_code=f"000.{rng.randint(50, 99)}.63.H06")),
}
RATING_DEFECTS = {
    "unknown_value": ("quarantined", lambda row, rng: row.update(muc_do=rng.choice(["binh_thuong", "4", "tot"]))),
    "future_date": ("quarantined", lambda row, rng: row.update(
        ngay_danh_gia=f"209{row['ngay_danh_gia'][3]}{row['ngay_danh_gia'][4:]}".replace("-02-29", "-02-28"))),
}
SURVEY_DEFECTS = {
    "out_of_range_answer": ("quarantined", lambda row, rng: row.update(hl_tong_the=rng.choice([0, 6, 9]))),
    "nfd_text": ("loaded", lambda row, rng: row.update(ho_ten=nfd(row["ho_ten"]))),
}
PROCEDURE_DEFECTS = {
    "nfd_text": ("loaded", lambda row, rng: row.update(ten_tthc=nfd(row["ten_tthc"]))),
}


def draw_survey_answers(rng, row: dict, co_phi, exp_codes: list, exp_w: list) -> None:
    """One respondent's answers, in place: the 1–5 element scores (a few dissatisfied respondents), the 0/1
    criteria and up to three expectation codes. Shared by the district and national generators; the order of the
    random draws is part of their byte-identical outputs."""
    mood = rng.random()
    for el in cat.SURVEY_ELEMENTS:
        if rng.random() < (0.65 if el == "hl_pakn" else 0.03):
            row[el] = None
            continue
        w = (10, 20, 35, 25, 10) if mood < 0.05 else (1, 2, 6, 42, 49)
        row[el] = rng.choices((1, 2, 3, 4, 5), w)[0]
    for c in cat.SURVEY_CRITERIA:
        if c == "tc_phi_dung_quy_dinh" and not co_phi and rng.random() < 0.7:
            row[c] = None
            continue
        x = rng.random()
        row[c] = 1 if x < 0.91 else (0 if x < 0.98 else None)
    chosen = []
    k = 0 if rng.random() < 0.12 else (1 if rng.random() < 0.55 else (2 if rng.random() < 0.7 else 3))
    codes, weights = list(exp_codes), list(exp_w)
    for _ in range(k):
        j = rng.choices(range(len(codes)), weights)[0]
        chosen.append(codes.pop(j))
        weights.pop(j)
    for j in range(3):
        row[f"mong_doi_{j + 1}"] = chosen[j] if j < len(chosen) else None
