"""Tests of the synthetic data generator (orchestration.generate).

The checks here are written against the spec (METHODOLOGY §2, DATA_CONTRACT §1), not against the
generator's own helpers: they parse the files it writes and re-derive everything independently.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import holidays
import openpyxl
import pytest

from orchestration.generate import generate
from orchestration.lib.lake_schema import DOSSIER_FLAT_COLUMNS

SEEDS = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"
EVENT_FIELDS = ["NgayNopHoSo", "NgayTiepNhan", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi", "NgayCapNhat"]
DUE_FIELDS = ["NgayHenTra"]  # appointments: may legitimately lie after the extract time for open dossiers
CODE_RX = re.compile(r"^(\d{3}\.\d{2}\.\d{2}\.H\d{2})-(\d{6})-(\d{4})$")


# ------------------------------------------------------------------------------------------------ helpers
def parse_json_date(s):
    return datetime.strptime(s, "%Y%m%d%H%M%S") if s else None


def parse_csv_date(s):
    if not s:
        return None
    for f in ("%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S"):
        try:
            return datetime.strptime(s, f)
        except ValueError:
            pass
    raise ValueError(s)


def load_json_dossiers(root: Path) -> list[dict]:
    out = []
    for p in sorted((root / "dossiers").glob("*.json")):
        payload = json.loads(p.read_text(encoding="utf-8"))
        assert payload["service"] == "DongBoHoSoMC" and payload["isUpdating"] is False
        assert len(payload["data"]) <= 10_000
        out += payload["data"]
    return out


def load_csv_dossiers(root: Path) -> list[dict]:
    out = []
    for p in sorted((root / "dossiers").glob("*.csv")):
        with open(p, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            assert reader.fieldnames == DOSSIER_FLAT_COLUMNS
            out += list(reader)
    return out


def reduce_json(d: dict) -> dict:
    """The flat layout re-derived from a JSON record (DATA_CONTRACT §1.1 b), all values as text."""
    def s(v):
        return "" if v is None else str(v)

    def iso(v):
        return parse_json_date(v).strftime("%Y-%m-%d %H:%M:%S") if v else ""

    snake = {c.replace("_", ""): c for c in DOSSIER_FLAT_COLUMNS}
    row = {}
    for k, v in d.items():
        if isinstance(v, list):
            continue
        col = snake.get(k.lower())
        assert col, f"JSON field {k} has no flat column"
        row[col] = iso(v) if k.startswith("Ngay") else s(v)
    sups = sorted(d.get("DanhSachHoSoBoSung", []), key=lambda x: x["NgayBoSung"])
    comps, fees, res = d.get("TaiLieuNop", []), d.get("DanhSachLePhi", []), d.get("DanhSachGiayToKetQua", [])
    total = sum(f["Gia"] for f in fees)
    row.update(
        so_lan_bo_sung=str(len(sups)),
        ngay_bo_sung=iso(sups[0]["NgayBoSung"]) if sups else "",
        ngay_tiep_nhan_bo_sung=iso(sups[0].get("NgayTiepNhanBoSung")) if sups else "",
        co_tep_dinh_kem=str(int(any(c.get("TepDinhKemId") for c in comps))),
        co_thanh_phan_so_hoa=str(int(any(c.get("DuocSoHoa") == 1 for c in comps))),
        co_thanh_phan_tai_su_dung=str(int(any(c.get("DuocTaiSuDung") == 1 for c in comps))),
        lay_tu_kho_dmqg=str(int(any(c.get("DuocLayTuKhoDMQG") == 1 for c in comps))),
        so_giay_to_ket_qua=str(len(res)),
        co_ket_qua_dien_tu=str(int(any(r.get("DuongDanTepTinKetQua") for r in res))),
        tong_le_phi=str(int(total)) if float(total).is_integer() else str(total),
        co_le_phi=str(int(bool(fees))),
        ket_noi_csdl=str(len(d.get("DSKetNoiCSDL", []))),
    )
    return {c: row.get(c, "") for c in DOSSIER_FLAT_COLUMNS}


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def seed_agencies() -> dict:
    return {r["agency_code"]: r for r in read_csv(SEEDS / "agencies.csv")}


def working_day(d: date, hol) -> bool:
    return d.weekday() < 5 and d not in hol


# ------------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def year_json(tmp_path_factory):
    """A district year (smaller volume) ending mid-way through a month's work: 2023-01 … 2023-12."""
    root = tmp_path_factory.mktemp("year_json")
    summary = generate(root, seed=7, start="2023-01", end="2023-12", fmt="json", dossiers_per_year=4000)
    return root, summary


@pytest.fixture(scope="module")
def defects_csv(tmp_path_factory):
    root = tmp_path_factory.mktemp("defects_csv")
    summary = generate(root, seed=11, start="2023-01", end="2023-12", fmt="csv", defect_rate=0.02,
                       dossiers_per_year=3000)
    return root, summary


# ------------------------------------------------------------------------------------------------ tests
def test_unknown_scale_or_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale="region")
    with pytest.raises(ValueError):
        generate(tmp_path, fmt="xml")


def test_the_province_scale_is_deterministic_and_registers_every_unit(tmp_path):
    """Bắc Kạn's eight districts across the reform: the same seed gives the same files; the synthetic units and
    agencies complete the seeds without repeating them; every old commune has exactly one successor among the
    37 new units; no defect borrows a synthetic agency's code."""
    import csv

    from orchestration.generate.reference import read_tables

    a, b = tmp_path / "a", tmp_path / "b"
    kw = dict(seed=5, scale="province", start="2025-06", end="2025-07", dossiers_per_year=6000, defect_rate=0.02)
    sa, sb = generate(a, **kw), generate(b, **kw)
    assert sa["files"] == sb["files"]
    for rel in sa["files"]:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel

    def rows(name):
        with open(a / "reference" / name, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    seeds = read_tables()
    units, lineage, agencies = rows("admin_units.csv"), rows("unit_lineage.csv"), rows("agencies.csv")
    seed_units = {(r["unit_code"], r["valid_from"]) for r in seeds["admin_units"]}
    assert not seed_units & {(r["unit_code"], r["valid_from"]) for r in units}  # extends, never repeats
    old = {r["unit_code"] for r in seeds["admin_units"] + units
           if r["unit_level"] == "xa" and r["valid_to"] == "2025-06-30"}
    assert len(old) == 116
    succ = {}
    for r in seeds["unit_lineage"] + lineage:
        succ.setdefault(r["old_code"], []).append(r["new_code"])
    assert all(len(succ.get(c, [])) == 1 for c in old), [c for c in old if len(succ.get(c, [])) != 1]
    new = {r["unit_code"] for r in seeds["admin_units"] if r["valid_from"] == "2025-07-01" and r["unit_level"] == "xa"}
    assert {v[0] for c, v in succ.items() if c in old} == new and len(new) == 37
    committees = {r["unit_code"] for r in agencies if r["valid_from"] == "2025-07-01"}
    assert committees == new
    codes = [r["agency_code"] for r in agencies]
    assert len(codes) == len(set(codes))  # one registry row per agency
    assert sa["defects_total"]["dossiers"] > 0
    # PAKN and survey codes of the eight districts never meet (prefixed by the district)
    with open(a / "petitions" / "petitions.csv", encoding="utf-8", newline="") as fh:
        pakn = [r["ma_pakn"] for r in csv.DictReader(fh)]
    assert len(pakn) == len(set(pakn)) and any(p.startswith("PAKN-2025-066-") for p in pakn)


def test_same_seed_gives_byte_identical_files(tmp_path):
    kwargs = dict(seed=3, start="2023-01", end="2023-03", dossiers_per_year=1500, defect_rate=0.05)
    for fmt in ("json", "csv"):
        a, b = tmp_path / f"a_{fmt}", tmp_path / f"b_{fmt}"
        sa = generate(a, fmt=fmt, **kwargs)
        sb = generate(b, fmt=fmt, **kwargs)
        files_a = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
        files_b = sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
        assert files_a == files_b and any(f.endswith(".xlsx") for f in files_a)
        for f in files_a:
            assert (a / f).read_bytes() == (b / f).read_bytes(), f
        sa.pop("out_dir"), sb.pop("out_dir")
        assert sa == sb
    # a different seed gives different dossiers
    c = tmp_path / "c"
    generate(c, fmt="json", **{**kwargs, "seed": 4})
    assert sorted((c / "dossiers").iterdir())[0].read_bytes() != sorted((tmp_path / "a_json" / "dossiers").iterdir())[0].read_bytes()


def test_json_and_csv_carry_the_same_dossiers(tmp_path):
    kwargs = dict(seed=5, start="2023-01", end="2023-04", dossiers_per_year=2500)
    sj = generate(tmp_path / "j", fmt="json", **kwargs)
    generate(tmp_path / "c", fmt="csv", **kwargs)
    js = {d["MaHoSo"]: reduce_json(d) for d in load_json_dossiers(tmp_path / "j")}
    cs = {r["ma_ho_so"]: r for r in load_csv_dossiers(tmp_path / "c")}
    assert len(js) == sj["counts"]["dossiers"] > 500
    assert js.keys() == cs.keys()
    for code in js:
        assert js[code] == cs[code], code
    # every other source is byte-identical between the two formats
    for rel in sj["files"]:
        if not rel.startswith("dossiers/"):
            assert (tmp_path / "j" / rel).read_bytes() == (tmp_path / "c" / rel).read_bytes(), rel


def test_every_dossier_satisfies_the_row_and_lifecycle_rules(year_json):
    root, summary = year_json
    T = datetime.fromisoformat(summary["extract_time"])
    assert T == datetime(2023, 12, 31, 18, 0)
    agencies = seed_agencies()
    hol = holidays.country_holidays("VN", years=range(2022, 2026))
    catalogue = {r["ma_tthc"]: r for r in read_csv(root / "procedures" / "procedures.csv")}
    dossiers = load_json_dossiers(root)
    codes = Counter(d["MaHoSo"] for d in dossiers)
    assert max(codes.values()) == 1, "dossier codes must be unique"
    in_office = 0
    for d in dossiers:
        code = d["MaHoSo"]
        m = CODE_RX.match(code)
        assert m, code
        assert m.group(1) in agencies, code
        assert d.get("MaDonViXuLy", m.group(1)) == m.group(1), code
        st = d["TrangThaiHoSo"]
        assert st in range(1, 11), code
        assert d.get("KenhThucHien") in (1, 2, 3, None), code
        t = {f: parse_json_date(d.get(f)) for f in EVENT_FIELDS + DUE_FIELDS}
        for f, v in t.items():
            if v is not None:
                assert v >= datetime(2000, 1, 1), (code, f)
        for f in EVENT_FIELDS:
            if t[f] is not None:
                assert t[f] <= T, (code, f)
                assert t[f] <= t["NgayCapNhat"], (code, f)
        r = t["NgayTiepNhan"]
        if st in (2, 4, 5, 6, 7, 8, 9, 10):
            assert r is not None, code
            assert t["NgayNopHoSo"] <= r, code
        else:
            assert r is None, code
        if st == 3:
            assert t["NgayTuChoi"] is not None, code
        if st in (7, 8, 9, 10):
            assert t["NgayKetThucXuLy"] or t["NgayTra"] or t["NgayTuChoi"], code
        if st == 10:
            assert t["NgayTra"] is not None, code
        if st in (2, 4, 5, 6):
            assert not (t["NgayKetThucXuLy"] or t["NgayTra"]), code
        for f in ("NgayHenTra", "NgayKetThucXuLy", "NgayTra"):
            if r is not None and t[f] is not None:
                assert t[f] >= r, (code, f)
        if t["NgayKetThucXuLy"] and t["NgayTra"]:
            assert t["NgayTra"] >= t["NgayKetThucXuLy"], code
        sups = d["DanhSachHoSoBoSung"]
        for s in sups:
            req, got = parse_json_date(s["NgayBoSung"]), parse_json_date(s.get("NgayTiepNhanBoSung"))
            assert r <= req <= T, code
            if got is not None:
                assert req < got <= T, code
        if st == 5:
            assert sups and sups[-1].get("NgayTiepNhanBoSung") is None, code
        if st in (9, 10):
            assert d["DanhSachGiayToKetQua"], code
        proc = catalogue.get(d["MaTTHC"])
        if "DuocThanhToanTrucTuyen" in d:
            assert d["DuocThanhToanTrucTuyen"] in (0, 1, 2)
            assert proc is None or proc["co_phi"] == "1", code
        if d.get("LaHoSoChungThuc") == 1:
            assert d["MaLinhVuc"] == "G11-CT"
        if r is not None:
            hm = r.hour * 60 + r.minute
            in_office += working_day(r.date(), hol) and (450 <= hm < 690 or 810 <= hm < 1020)
            assert working_day(r.date(), hol), code  # reception only on working days
        if proc and r is not None and t["NgayHenTra"] and proc["don_vi_thoi_han"] == "ngay_lam_viec" \
                and float(proc["thoi_han"]).is_integer():
            due = t["NgayHenTra"]
            assert due.time().hour == 17 and working_day(due.date(), hol), code
    received = [d for d in dossiers if d.get("NgayTiepNhan")]
    assert in_office / len(received) > 0.97


def _classify(d: dict, T: datetime):
    """METHODOLOGY §2, re-implemented here: 'early' | 'on_time' | 'late' for ended dossiers, None for open."""
    st = d["TrangThaiHoSo"]
    if st not in (7, 8, 9, 10):
        return None
    end = parse_json_date(d.get("NgayKetThucXuLy")) or parse_json_date(d.get("NgayTra"))
    if st in (7, 8):
        return "on_time"
    sups = d["DanhSachHoSoBoSung"]
    if len(sups) > 1:
        return "late"
    if sups:
        s = sups[0]
        end = end - (parse_json_date(s["NgayTiepNhanBoSung"]) - parse_json_date(s["NgayBoSung"]))
    if not d.get("NgayHenTra"):
        return "on_time"  # (no due date: rule needs working-time; rare, counted as on time here)
    due = parse_json_date(d["NgayHenTra"]).date()
    return "early" if end.date() < due else ("on_time" if end.date() == due else "late")


def test_realistic_shares(year_json):
    root, summary = year_json
    T = datetime.fromisoformat(summary["extract_time"])
    dossiers = load_json_dossiers(root)
    received = [d for d in dossiers if d["TrangThaiHoSo"] not in (1, 3)]
    cls = Counter(_classify(d, T) for d in received)
    ended = cls["early"] + cls["on_time"] + cls["late"]
    assert 0.95 <= (cls["early"] + cls["on_time"]) / ended <= 0.995, cls
    assert cls["early"] > cls["on_time"] > cls["late"] > 0
    online = sum(d.get("KenhThucHien") == 2 for d in received) / len(received)
    assert 0.30 <= online <= 0.60
    fields = Counter(d["MaLinhVuc"] for d in dossiers)
    top3 = {f for f, _ in fields.most_common(3)}
    assert top3 == {"G09-HT", "G11-CT", "G05-DD"}
    catalogue = {r["ma_tthc"] for r in read_csv(root / "procedures" / "procedures.csv")}
    unknown = sum(d["MaTTHC"] not in catalogue for d in dossiers) / len(dossiers)
    assert 0.002 <= unknown <= 0.012
    statuses = Counter(d["TrangThaiHoSo"] for d in dossiers)
    assert set(statuses) == set(range(1, 11)), statuses
    assert sum(len(d["DanhSachHoSoBoSung"]) == 1 for d in dossiers) > sum(len(d["DanhSachHoSoBoSung"]) == 2 for d in dossiers) > 0
    no_agency = sum("MaDonViXuLy" not in d for d in dossiers) / len(dossiers)
    assert 0.01 < no_agency < 0.1
    # carried over: received in one month, ended in a later one
    carried = sum(1 for d in received if d.get("NgayKetThucXuLy") and d["NgayKetThucXuLy"][:6] != d["NgayTiepNhan"][:6])
    assert carried > 0
    # certified copies with an electronic result: 20–35%
    certs = [d for d in dossiers if d.get("LaHoSoChungThuc") == 1 and d["TrangThaiHoSo"] in (9, 10)]
    share = sum(any(r.get("DuongDanTepTinKetQua") for r in d["DanhSachGiayToKetQua"]) for d in certs) / len(certs)
    assert 0.18 <= share <= 0.40
    # volume of about dossiers_per_year
    assert 0.85 * 4000 <= len(dossiers) <= 1.15 * 4000


def test_no_event_after_the_extract_time(year_json):
    root, summary = year_json
    T = datetime.fromisoformat(summary["extract_time"])
    for d in load_json_dossiers(root):
        for f in EVENT_FIELDS:
            assert parse_json_date(d.get(f)) is None or parse_json_date(d.get(f)) <= T
        for s in d["DanhSachHoSoBoSung"]:
            for f in ("NgayBoSung", "NgayTiepNhanBoSung"):
                assert parse_json_date(s.get(f)) is None or parse_json_date(s.get(f)) <= T
        # a due date may lie after T (an appointment, not an event): only for received dossiers
        if d.get("NgayHenTra") and parse_json_date(d["NgayHenTra"]) > T:
            assert d["TrangThaiHoSo"] in (2, 4, 5, 6, 7, 8, 9, 10)
    for r in read_csv(root / "petitions" / "petitions.csv"):
        for f in ("ngay_tiep_nhan", "ngay_chuyen", "ngay_tu_choi", "ngay_yeu_cau_bo_sung", "ngay_xu_ly", "ngay_cong_khai"):
            assert not r[f] or datetime.strptime(r[f], "%Y-%m-%d %H:%M") <= T
    for r in read_csv(root / "ratings" / "dossier_ratings.csv"):
        assert datetime.strptime(r["ngay_danh_gia"], "%Y-%m-%d %H:%M") <= T
    for r in read_csv(root / "procedures" / "publications.csv"):
        assert date.fromisoformat(r["ngay_quyet_dinh"]) <= T.date()
        assert not r["ngay_cong_khai"] or date.fromisoformat(r["ngay_cong_khai"]) <= T.date()
    for r in read_csv(root / "procedures" / "reviews.csv"):
        assert date.fromisoformat(r["ngay_ra_soat"]) <= T.date()
    ws = openpyxl.load_workbook(root / "surveys" / "sipas_2023.xlsx").worksheets[0]
    for row in ws.iter_rows(min_row=5, values_only=True):
        assert row[2] <= T


def test_open_dossiers_near_the_end_of_a_short_range(tmp_path):
    # (seed 3: online dossiers submitted in the last week and not received at T are a chance event at this volume,
    # ≈ 2 expected; seed 2 had some before the applicability list changed the draws, none after)
    s = generate(tmp_path, seed=3, start="2023-01", end="2023-03", dossiers_per_year=6000)
    assert s["extract_time"] == "2023-03-31 18:00:00"
    dossiers = load_json_dossiers(tmp_path)
    open_ = [d for d in dossiers if d["TrangThaiHoSo"] in (2, 4, 5, 6)]
    assert len(open_) >= 5
    assert sum(d["NgayTiepNhan"] >= "20230301" for d in open_) / len(open_) > 0.6  # mostly recent receptions
    assert any(d["TrangThaiHoSo"] == 1 and d["NgayNopHoSo"] >= "20230325" for d in dossiers)


def test_volume_dips_in_the_tet_month(year_json):
    root, _ = year_json
    per_month = Counter((d.get("NgayTiepNhan") or d["NgayNopHoSo"])[:6] for d in load_json_dossiers(root))
    months = [f"2023{m:02d}" for m in range(1, 13)]
    mean = sum(per_month[m] for m in months) / 12
    assert per_month["202301"] < 0.8 * mean  # Tết 2023: 20–26 January
    assert per_month["202301"] == min(per_month[m] for m in months)


def test_defects_each_kind_injected_and_reported(defects_csv):
    root, summary = defects_csv
    rep = summary["defects"]["dossiers"]
    for kind, info in rep.items():
        assert info["count"] >= 1, kind
        assert info["count"] == len(info["records"]), kind
    total_records = summary["counts"]["dossier_records"]
    assert 0.015 <= summary["defects_total"]["dossiers"] / summary["counts"]["dossiers"] <= 0.025
    rows = load_csv_dossiers(root)
    assert len(rows) == total_records
    by_code = defaultdict(list)
    for r in rows:
        by_code[r["ma_ho_so"]].append(r)
    agencies = seed_agencies()
    catalogue = {r["ma_tthc"] for r in read_csv(root / "procedures" / "procedures.csv")}
    T = datetime.fromisoformat(summary["extract_time"])

    def one(code):
        assert len(by_code[code]) == (2 if code in rep["duplicate_record"]["records"] else 1), code
        return by_code[code][0]

    def dt(v):
        try:
            return parse_csv_date(v)
        except ValueError:
            return "bad"

    date_cols = ["ngay_nop_ho_so", "ngay_tiep_nhan", "ngay_hen_tra", "ngay_ket_thuc_xu_ly", "ngay_tra", "ngay_tu_choi",
                 "ngay_bo_sung", "ngay_tiep_nhan_bo_sung", "ngay_cap_nhat"]
    for code in rep["nfd_text"]["records"]:
        r = one(code)
        assert (r["chu_ho_so"] != unicodedata.normalize("NFC", r["chu_ho_so"])
                or r["ten_tthc"] != unicodedata.normalize("NFC", r["ten_tthc"]))
    for code in rep["alt_date_format"]["records"]:
        assert re.match(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}$", one(code)["ngay_nop_ho_so"])
    for code in rep["impossible_date"]["records"]:
        assert any(dt(one(code)[c]) == "bad" for c in date_cols), code
    for code in rep["date_before_2000"]["records"]:
        assert dt(one(code)["ngay_nop_ho_so"]) < datetime(2000, 1, 1)
    for code in rep["future_date"]["records"]:
        r = one(code)
        assert any(dt(r[c]) not in (None, "bad") and dt(r[c]) > T for c in ("ngay_cap_nhat", "ngay_tra"))
    for code in rep["end_before_reception"]["records"]:
        r = one(code)
        assert dt(r["ngay_ket_thuc_xu_ly"]) < dt(r["ngay_tiep_nhan"])
    for code in rep["unknown_status"]["records"]:
        assert int(one(code)["trang_thai_ho_so"]) not in range(1, 11)
    for code in rep["unknown_channel"]["records"]:
        assert one(code)["kenh_thuc_hien"] not in ("", "1", "2", "3")
    for code in rep["unknown_agency"]["records"]:
        r = one(code)
        assert r["ma_don_vi_xu_ly"] not in agencies and code.split("-")[0] not in agencies
    for code in rep["duplicate_record"]["records"]:
        a, b = by_code[code]
        assert a == b
    for code in rep["missing_reception"]["records"]:
        r = one(code)
        assert r["ngay_tiep_nhan"] == "" and r["trang_thai_ho_so"] in {"2", "4", "5", "6", "7", "8", "9", "10"}
    for code in rep["missing_end"]["records"]:
        r = one(code)
        assert r["trang_thai_ho_so"] in {"7", "8", "9", "10"}
        assert r["ngay_ket_thuc_xu_ly"] == r["ngay_tra"] == r["ngay_tu_choi"] == ""
    for code in rep["supplement_before_request"]["records"]:
        r = one(code)
        assert dt(r["ngay_tiep_nhan_bo_sung"]) < dt(r["ngay_bo_sung"])
    for code in rep["unknown_procedure"]["records"]:
        assert one(code)["ma_tthc"] not in catalogue
    # the other sources got some defects too
    for source in ("petitions", "ratings", "surveys", "procedures"):
        assert summary["defects_total"][source] >= 1, source


def test_defects_in_json_follow_the_same_plan(tmp_path):
    kwargs = dict(seed=13, start="2023-01", end="2023-06", dossiers_per_year=3000, defect_rate=0.03)
    sj = generate(tmp_path / "j", fmt="json", **kwargs)
    sc = generate(tmp_path / "c", fmt="csv", **kwargs)
    for kind, info in sj["defects"]["dossiers"].items():
        if kind == "alt_date_format":
            assert info["count"] == 0 and sc["defects"]["dossiers"][kind]["count"] >= 1
        else:
            assert info["records"] == sc["defects"]["dossiers"][kind]["records"] and info["count"] >= 1, kind
    data = load_json_dossiers(tmp_path / "j")
    by_code = {d["MaHoSo"]: d for d in data}
    for code in sj["defects"]["dossiers"]["impossible_date"]["records"]:
        d = by_code[code]
        bad = []
        for f in ("NgayTiepNhan", "NgayNopHoSo"):
            try:
                parse_json_date(d.get(f))
            except ValueError:
                bad.append(f)
        assert bad, code
    assert len(data) == sj["counts"]["dossier_records"] == sj["counts"]["dossiers"] + sj["defects"]["dossiers"]["duplicate_record"]["count"]


def test_survey_sheet_has_title_rows_and_text_codes(year_json):
    root, _ = year_json
    wb = openpyxl.load_workbook(root / "surveys" / "sipas_2023.xlsx")
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "UBND HUYỆN BẠCH THÔNG"
    assert "2023" in rows[1][0] and "KHẢO SÁT" in rows[1][0]
    assert all(v is None for v in rows[2])
    header = list(rows[3])
    assert header[:6] == ["ma_phieu", "unit_code", "ngay_khao_sat", "ho_ten", "so_dien_thoai", "ma_tthc"]
    for c in ("hl_tiep_can", "hl_tthc", "hl_cong_chuc", "hl_ket_qua", "hl_pakn", "hl_tong_the", "tc_niem_yet_day_du",
              "tc_cong_chuc_lich_su", "tc_dung_hen", "tc_phi_dung_quy_dinh", "mong_doi_1", "mong_doi_2", "mong_doi_3"):
        assert c in header
    data = [dict(zip(header, r)) for r in rows[4:]]
    assert 200 <= len(data) <= 500
    units = {r["unit_code"] for r in data}
    assert all(isinstance(u, str) for u in units)
    assert "063" in units and "01969" in units and len(units) >= 10
    for r in data:
        assert r["ma_phieu"] and r["ho_ten"]
        assert r["so_dien_thoai"] is None or (isinstance(r["so_dien_thoai"], str) and re.fullmatch(r"0\d{9}", r["so_dien_thoai"]))
    cell = next(c for c in ws["B"][4:] if c.value == "01969")
    assert cell.data_type == "s"
    answers = [r[c] for r in data for c in ("hl_tiep_can", "hl_tthc", "hl_cong_chuc", "hl_ket_qua", "hl_tong_the") if r[c] is not None]
    assert 0.85 <= sum(a >= 4 for a in answers) / len(answers) <= 0.95
    assert any(r["hl_pakn"] is None for r in data)


def test_other_sources(year_json):
    root, summary = year_json
    procs = read_csv(root / "procedures" / "procedures.csv")
    assert 40 <= len(procs) <= 80
    assert {"G05-DD", "G06-XD", "G07-DT", "G09-HT", "G11-CT", "G01-LD", "G03-TP"} <= {p["ma_linh_vuc"] for p in procs}
    assert {"huyen", "xa", "huyen;xa"} == {p["cap_thuc_hien"] for p in procs}
    assert {"ngay_lam_viec", "ngay", "gio"} == {p["don_vi_thoi_han"] for p in procs}
    assert "0.5" in {p["thoi_han"] for p in procs}
    pubs = read_csv(root / "procedures" / "publications.csv")
    assert pubs and {p["unit_code"] for p in pubs} == {"06"}
    hol = holidays.country_holidays("VN", years=range(2022, 2025))

    def wd_before(d, n):
        from datetime import timedelta
        while n:
            d -= timedelta(days=1)
            n -= working_day(d, hol)
        return d

    late = [p for p in pubs if date.fromisoformat(p["ngay_quyet_dinh"]) > wd_before(date.fromisoformat(p["ngay_hieu_luc_can_cu"]), 5)]
    assert 0 < len(late) < len(pubs)
    reviews = read_csv(root / "procedures" / "reviews.csv")
    plan = [r for r in reviews if r["ma_ke_hoach"] == "KH-RS-2023-063" and r["unit_code"] == "063"]
    assert len({r["ma_tthc"] for r in plan}) >= 10
    targets = read_csv(root / "reference" / "targets.csv")
    by = Counter(t["ma_chi_tieu"] for t in targets)
    assert by == {"T1": 2, "T2": 15, "T3": 1, "T4": 4, "T5": 1, "T6": 1, "T7": 2, "T8": 2}
    assert {t["nam"] for t in targets} == {"2023"}
    t2 = [t for t in targets if t["ma_chi_tieu"] == "T2"]
    assert [t for t in t2 if t["unit_code"] == "063"][0]["pham_vi"] == "rieng"
    assert all(t["gia_tri"] == "35" and t["pham_vi"] == "toan_bo" for t in t2 if t["unit_code"] != "063")
    agencies = read_csv(root / "reference" / "agencies.csv")
    seeds = seed_agencies()
    assert len(agencies) == 20 and all(seeds[a["agency_code"]] == a for a in agencies)
    ratings = read_csv(root / "ratings" / "dossier_ratings.csv")
    levels = Counter(r["muc_do"] for r in ratings)
    assert 0.85 <= (levels["rat_hai_long"] + levels["hai_long"]) / len(ratings) <= 0.95
    codes = {d["MaHoSo"]: d for d in load_json_dossiers(root)}
    assert all(codes[r["ma_ho_so"]]["TrangThaiHoSo"] == 10 for r in ratings)
    pets = read_csv(root / "petitions" / "petitions.csv")
    assert 24 <= len(pets) <= 72
    assert {"da_xu_ly", "tu_choi"} <= {p["trang_thai"] for p in pets}
    assert any(p["ma_ho_so_lien_quan"] in codes for p in pets)
    assert all(p["agency_code"] in seeds for p in pets)


# ------------------------------------------------------------------------------------------------ applicability
APPLICABILITY_HEADER = ["ma_tthc", "agency_code", "hieu_luc_tu", "hieu_luc_den", "co_phi"]


def _reception_day(d: dict):
    """The day a dossier's agency handled it (reception or refusal); None for one not received yet."""
    t = parse_json_date(d.get("NgayTiepNhan")) or parse_json_date(d.get("NgayTuChoi"))
    return t.date() if t else None


def _applies(row: dict, day) -> bool:
    return (day is None or ((not row["hieu_luc_tu"] or date.fromisoformat(row["hieu_luc_tu"]) <= day)
                            and (not row["hieu_luc_den"] or day <= date.fromisoformat(row["hieu_luc_den"]))))


def test_applicability_list_differs_per_agency(year_json):
    """DATA_CONTRACT §1.2 procedures/applicability.csv: registry agencies, catalogue procedures of the agency's level,
    each commune committee its own subset (so the fee-bearing count varies), district offices disjoint subsets
    of the district-level procedures; a few fee overrides and a few dates, inside the catalogue's validity."""
    root, summary = year_json
    path = root / "procedures" / "applicability.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        assert fh.readline().rstrip("\n").split(",") == APPLICABILITY_HEADER
    rows = read_csv(path)
    assert summary["files"]["procedures/applicability.csv"] == summary["counts"]["applicability"] == len(rows)
    registry = {a["agency_code"]: a for a in read_csv(root / "reference" / "agencies.csv")}
    catalogue = {r["ma_tthc"]: r for r in read_csv(root / "procedures" / "procedures.csv")}
    level = {u["unit_code"]: u["unit_level"] for u in read_csv(SEEDS / "admin_units.csv")}
    assert all(r["agency_code"] in registry for r in rows)
    assert all(r["ma_tthc"] in catalogue for r in rows)
    assert len({(r["ma_tthc"], r["agency_code"], r["hieu_luc_tu"]) for r in rows}) == len(rows)  # the lake key
    sets, fees = defaultdict(set), Counter()
    for r in rows:
        p = catalogue[r["ma_tthc"]]
        agency_level = level[registry[r["agency_code"]]["unit_code"]]
        assert agency_level in p["cap_thuc_hien"].split(";"), r  # a procedure of the agency's level
        sets[r["agency_code"]].add(r["ma_tthc"])
        assert r["co_phi"] in ("", "0", "1")
        assert r["co_phi"] == "" or r["co_phi"] != p["co_phi"]  # given only to override the catalogue
        fees[r["agency_code"]] += (r["co_phi"] or p["co_phi"]) == "1"
        if r["hieu_luc_tu"]:
            assert r["hieu_luc_tu"] >= p["hieu_luc_tu"] and (not p["hieu_luc_den"] or r["hieu_luc_tu"] <= p["hieu_luc_den"])
        if r["hieu_luc_den"]:
            assert p["hieu_luc_den"] and p["hieu_luc_tu"] <= r["hieu_luc_den"] <= p["hieu_luc_den"]
            assert not r["hieu_luc_tu"] or r["hieu_luc_tu"] <= r["hieu_luc_den"]
    overrides = [r for r in rows if r["co_phi"]]
    fee_rows = [r for r in rows if catalogue[r["ma_tthc"]]["co_phi"] == "1"]
    assert 1 <= len(overrides) <= 0.1 * len(fee_rows)  # occasionally: one agency does not charge
    dated = [r for r in rows if r["hieu_luc_tu"] or r["hieu_luc_den"]]
    assert 0 < len(dated) <= 0.1 * len(rows)  # mostly empty
    communes = [a for a in registry if level[registry[a]["unit_code"]] == "xa"]
    assert len(communes) == 14 and all(a in sets for a in communes)
    candidates = {c for c, p in catalogue.items() if "xa" in p["cap_thuc_hien"].split(";")
                  and (not p["hieu_luc_den"] or p["hieu_luc_den"] >= "2023-01-01")}
    assert all(0.7 * len(candidates) <= len(sets[a]) <= len(candidates) for a in communes)
    assert len({frozenset(sets[a]) for a in communes}) > len(communes) // 2  # communes differ…
    assert len({fees[a] for a in communes}) >= 2 and max(fees[a] for a in communes) > min(fees[a] for a in communes)
    offices = [a for a in sets if level[registry[a]["unit_code"]] == "huyen"]
    assert len(offices) >= 3
    assert all(not (sets[a] & sets[b]) for a in offices for b in offices if a < b)  # each office its own


def test_dossiers_are_for_procedures_applied_to_their_agency(year_json):
    """Every dossier of a catalogue procedure is for a procedure applied to its agency on its reception day, at
    the agency's own fee flag; the only exceptions are the deliberate ~0.5% of procedures the catalogue does not
    list yet (they cannot be in the list either)."""
    root, _ = year_json
    catalogue = {r["ma_tthc"]: r for r in read_csv(root / "procedures" / "procedures.csv")}
    listed = {}
    for r in read_csv(root / "procedures" / "applicability.csv"):
        listed.setdefault((r["agency_code"], r["ma_tthc"]), []).append(r)
    dossiers = load_json_dossiers(root)
    unlisted, wrong, waived = 0, [], 0
    for d in dossiers:
        agency = CODE_RX.match(d["MaHoSo"]).group(1)
        if d["MaTTHC"] not in catalogue:
            unlisted += 1
            continue
        rows = [r for r in listed.get((agency, d["MaTTHC"]), []) if _applies(r, _reception_day(d))]
        if not rows:
            wrong.append(d["MaHoSo"])
            continue
        waived += rows[0]["co_phi"] == "0"  # this agency charges no fee for the procedure
        if (rows[0]["co_phi"] or catalogue[d["MaTTHC"]]["co_phi"]) == "0":  # no fee for this agency: none charged
            assert d["DanhSachLePhi"] == [] and "DuocThanhToanTrucTuyen" not in d, d["MaHoSo"]
    assert wrong == []
    assert unlisted / len(dossiers) <= 0.012
    assert waived >= 1
    # the communes' volumes follow their own lists: a procedure a commune does not apply has none of its dossiers
    per_agency = defaultdict(set)
    for d in dossiers:
        per_agency[CODE_RX.match(d["MaHoSo"]).group(1)].add(d["MaTTHC"])
    assert len({frozenset(v) for v in per_agency.values()}) > 10


def test_without_applicability_the_committed_sample_is_regenerated_byte_for_byte(tmp_path):
    """raw/sample predates the list: applicability=False gives the generator's earlier draws and no list."""
    sample = Path(__file__).resolve().parents[1] / "raw" / "sample"
    s = generate(tmp_path, seed=20230105, start="2023-01", end="2023-03", fmt="json", dossiers_per_year=1600,
                 applicability=False)
    assert s["counts"]["applicability"] == 0
    mine = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(p.relative_to(sample).as_posix() for p in sample.rglob("*") if p.is_file() and p.name != "README.md")
    assert mine == committed and not (tmp_path / "procedures" / "applicability.csv").exists()
    for rel in mine:
        assert (tmp_path / rel).read_bytes() == (sample / rel).read_bytes(), rel
