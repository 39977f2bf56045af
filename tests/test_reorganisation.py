"""The 2025 reorganisation (issue 21; ADMIN_UNITS.md, METHODOLOGY §1 and §7) on a hand-computed fixture of 13
dossiers across 1 July 2025, through the whole pipeline.

Units (committed seeds): Bắc Kạn 06 with district Bạch Thông 063 (communes TT Phủ Thông 01969, Vi Hương 01975) and
district Chợ Đồn 064 (commune Đồng Thắng 02059) until 2025-06-30; from 2025-07-01 Thái Nguyên 19@2025 with the new
communes Phủ Thông 01969@2025 (← 01969, 01975, 01993, 01990) and Bạch Thông 02014@2025 (← 02014, 02017 and 02059
of ANOTHER district). Agencies: the seed's old commune/district agencies (to 2025-06-30), the new commune agency
000.31.19.H56 (from 2025-07-01), and in the raw registry Đồng Thắng's committee and a one-stop desk of Phủ Thông
whose registry row SPANS the reform (valid_from 2024-01-01, valid_to empty).

Dossiers (received, due, end; all direct unless said; as-of = the latest NgayCapNhat, 2025-10-05):
  d1  TT Phủ Thông  06-10 due 06-20 end 06-18  resolved early in June
  d2  TT Phủ Thông  06-20 due 07-10 end 07-08  open at 30/6 (within) → carried into new Phủ Thông, early in July
  d3  TT Phủ Thông  06-25 due 06-27 end 07-03  open at 30/6 (overdue) → carried, late in July
  d4  Vi Hương      06-15 due 07-15 open       open at 30/6 (within) → carried into new Phủ Thông, overdue from July
  d5  Vi Hương      05-05 due 05-15 end 05-15  on time in May
  d6  Đồng Thắng    06-28 due 07-05 end 07-05  open at 30/6 (within) → carried into new Bạch Thông (other district)
  d7  district 063  06-12 due 07-20 end 08-04  open at 30/6 (within) → carried into PROVINCE 19 only, late in Aug
  d8  district 063  06-02 due 06-10 end 06-30  late in June; ended before 1 July: not carried
  d9  spanning desk 06-16 due 06-26 end 06-26  on time in June, under TT Phủ Thông (01969@2020)
  d10 spanning desk 07-09 due 07-20 end 07-18  early in July, under new Phủ Thông (01969@2025) — lost before
  d11 spanning desk 08-11 due 08-21 open       overdue at the end of Aug and Sep
  d12 new agency    07-01 due 07-11 end 07-11  ONLINE, on time in July
  d13 new agency    09-10 due 09-30 end 10-02  pending within at 30/9 (due = P_end), late in October
"""

import json
import shutil

import duckdb
import pytest

from orchestration.lib.settings import REPO_ROOT, Settings
from orchestration.runner import run_pipeline

SAMPLE = REPO_ROOT / "raw" / "sample"
A, B, C, D, E, F = "000.01.63.H06", "000.02.63.H06", "000.15.64.H06", "000.21.63.H06", "000.40.19.H56", "000.31.19.H56"
# (code, agency, received, due, end or None, channel)
DOSSIERS = [
    ("d1", A, "20250610", "20250620", "20250618", 1),
    ("d2", A, "20250620", "20250710", "20250708", 1),
    ("d3", A, "20250625", "20250627", "20250703", 1),
    ("d4", B, "20250615", "20250715", None, 1),
    ("d5", B, "20250505", "20250515", "20250515", 1),
    ("d6", C, "20250628", "20250705", "20250705", 1),
    ("d7", D, "20250612", "20250720", "20250804", 1),
    ("d8", D, "20250602", "20250610", "20250630", 1),
    ("d9", E, "20250616", "20250626", "20250626", 1),
    ("d10", E, "20250709", "20250720", "20250718", 1),
    ("d11", E, "20250811", "20250821", None, 1),
    ("d12", F, "20250701", "20250711", "20250711", 2),
    ("d13", F, "20250910", "20250930", "20251002", 1),
]
OLD, NEW = "2020-01-01", "2025-07-01"


def _record(code, agency, received, due, end, channel):
    return {
        "MaHoSo": f"{agency}-{received[2:]}-{code[1:].zfill(4)}", "MaTTHC": "1.001193", "TenTTHC": "Đăng ký khai sinh",
        "MaLinhVuc": "G09-HT", "TenLinhVuc": "Hộ tịch", "DonViXuLy": "fixture", "MaDonViXuLy": agency,
        "KenhThucHien": channel, "ChuHoSo": "Nguyễn Văn A", "SoGiayToChuHoSo": "001099000001",
        "SoDienThoai": "0900000001", "DiaChi": "fixture", "LoaiDoiTuong": 1,
        "NgayNopHoSo": received + "080000", "NgayTiepNhan": received + "090000", "NgayHenTra": due + "170000",
        "TrangThaiHoSo": 10 if end else 4, "NgayKetThucXuLy": end + "100000" if end else None,
        "NgayTra": end + "110000" if end else None, "HoSoCoThanhPhanSoHoa": 1, "TaiKhoanDuocXacThucVoiVNeID": 0,
        "DuocThanhToanTrucTuyen": 0, "TrangThaiDongBoDVC": 1, "LaHoSoChungThuc": 0, "TaiLieuNop": [],
        "DanhSachLePhi": [], "DanhSachHoSoBoSung": [], "DanhSachGiayToKetQua": [], "DSKetNoiCSDL": [],
        # the as-of of the run (METHODOLOGY §1) is the latest update: 2025-10-05, on d13
        "NgayCapNhat": "20251005120000" if code == "d13" else (end or "20250930") + "120000",
    }


@pytest.fixture(scope="module")
def reorg_run(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw_reorg")
    shutil.copytree(SAMPLE / "procedures", raw / "procedures")
    (raw / "reference").mkdir()
    agencies = (SAMPLE / "reference" / "agencies.csv").read_text(encoding="utf-8").rstrip("\n")
    agencies += f"\n{C},UBND xã Đồng Thắng,02059,2020-01-01,2025-06-30\n{E},Bộ phận một cửa Phủ Thông,01969,2024-01-01,\n"
    (raw / "reference" / "agencies.csv").write_text(agencies, encoding="utf-8")
    (raw / "dossiers").mkdir()
    (raw / "dossiers" / "dongbo_2025.json").write_text(json.dumps(
        {"service": "DongBoHoSoMC", "isUpdating": False, "data": [_record(*d) for d in DOSSIERS]},
        ensure_ascii=False), encoding="utf-8")
    settings = Settings(raw_dir=raw, out_dir=tmp_path_factory.mktemp("out_reorg"))
    failures, _, _ = run_pipeline(settings)
    assert failures == [], failures
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    yield settings, con
    con.close()


COLS = ("received_online", "received_direct_postal", "carried_over", "resolved_early", "resolved_on_time",
        "resolved_late", "pending_within_time", "pending_overdue")


def _bieu06(con, unit, valid_from, period):
    row = con.execute(
        f"SELECT {', '.join(COLS)} FROM publish.report_bieu06 WHERE unit_code = ? AND unit_valid_from = ? "
        "AND period = ? AND ma_linh_vuc IS NULL", [unit, valid_from, period]).fetchall()
    assert len(row) == 1, (unit, valid_from, period, row)
    return row[0]


def _obs(con, indicator, unit, valid_from, period):
    rows = con.execute(
        "SELECT numerator, denominator, obs_status, comment FROM publish.indicator_observations "
        "WHERE indicator_id = ? AND unit_code = ? AND unit_valid_from = ? AND period = ? AND agency_code IS NULL "
        "AND ma_linh_vuc IS NULL AND ma_tthc IS NULL", [indicator, unit, valid_from, period]).fetchall()
    assert len(rows) == 1, (indicator, unit, valid_from, period, rows)
    return rows[0]


#            online direct carried early on_time late within overdue
EXPECTED_BIEU06 = {
    # June, old units (P_end 30/6)
    # TT Phủ Thông: received d1 d2 d3 d9; resolved d1 early, d9 on time; pending d2 within, d3 overdue (4 = 2 + 2)
    ("01969", OLD, "2025-06"): (0, 4, 0, 1, 1, 0, 1, 1),
    # Vi Hương: d4 received, pending within (d5 belongs to May)
    ("01975", OLD, "2025-06"): (0, 1, 0, 0, 0, 0, 1, 0),
    # district 063 = its communes + its own agency: d1 d2 d3 d9 d4 + d7 (within) d8 (late): 7 = 3 + 4
    ("063", OLD, "2025-06"): (0, 7, 0, 1, 1, 1, 3, 1),
    # province 06 = 063 + d6 (Đồng Thắng, Chợ Đồn, within): 8 = 3 + 5
    ("06", OLD, "2025-06"): (0, 8, 0, 1, 1, 1, 4, 1),
    # July, new units (P_end 31/7)
    # new Phủ Thông: received d10 (direct, early) d12 (online, on time); carried d2 (early) d3 (late) d4 (overdue:
    # due 15/7 < 31/7): 5 = 4 + 1
    ("01969", NEW, "2025-07"): (1, 1, 3, 2, 1, 1, 0, 1),
    # new Bạch Thông: d6 carried from Đồng Thắng (another district), on time
    ("02014", NEW, "2025-07"): (0, 0, 1, 0, 1, 0, 0, 0),
    # province 19 = communes (5 + 1) + d7 of the dissolved district, carried to the province only (overdue: due
    # 20/7 < 31/7): 7 = 5 + 2 — more than the sum of its communes, as ADMIN_UNITS.md says
    ("19", NEW, "2025-07"): (1, 1, 5, 2, 2, 1, 0, 2),
    # Q3 (closed, P_end 30/9): new Phủ Thông — carried = July's 3; received d10 d12 d11 d13; resolved d2 d10 early,
    # d12 on time, d3 late; pending at 30/9: d13 within (due 30/9), d4 d11 overdue: 7 = 4 + 3
    ("01969", NEW, "2025-Q3"): (1, 3, 3, 2, 1, 1, 1, 2),
    # province 19 Q3: + d6 (carried, on time) + d7 (carried, late 4/8): 9 = 6 + 3
    ("19", NEW, "2025-Q3"): (1, 3, 5, 2, 2, 2, 1, 2),
    # the year 2025: old units over 1/1–30/6 (partial), new units over 1/7–5/10 (partial, running as of 5/10)
    # TT Phủ Thông: as June (nothing before June)
    ("01969", OLD, "2025"): (0, 4, 0, 1, 1, 0, 1, 1),
    # Vi Hương: d5 (May, on time) + d4 (pending within at 30/6): 2 = 1 + 1
    ("01975", OLD, "2025"): (0, 2, 0, 0, 1, 0, 1, 0),
    # province 06: June's 8 + d5: 9 = 4 + 5
    ("06", OLD, "2025"): (0, 9, 0, 1, 2, 1, 4, 1),
    # new Phủ Thông: carried = its first month's (July) 3; received 4; resolved d2 d10 early, d12 on time, d3 d13
    # late (2/10 > 30/9); pending at 5/10 d4 d11 overdue: 7 = 5 + 2
    ("01969", NEW, "2025"): (1, 3, 3, 2, 1, 2, 0, 2),
    # province 19: + d6 (on time) + d7 (late): 9 = 7 + 2
    ("19", NEW, "2025"): (1, 3, 5, 2, 2, 3, 0, 2),
}


@pytest.mark.parametrize("key", list(EXPECTED_BIEU06), ids=lambda k: "-".join(k))
def test_bieu06_across_the_reform(reorg_run, key):
    _, con = reorg_run
    assert _bieu06(con, *key) == EXPECTED_BIEU06[key]


# QD766_2_1 = (early + on time + pending within) / (resolved + pending), from the Biểu 06 counts above
EXPECTED_2_1 = {
    ("01969", OLD, "2025-06"): (3, 4),   # (1 + 1 + 1) / (2 + 2)
    ("063", OLD, "2025-06"): (5, 7),     # (1 + 1 + 3) / (3 + 4)
    ("06", OLD, "2025-06"): (6, 8),      # (1 + 1 + 4) / (3 + 5)
    ("01969", NEW, "2025-07"): (3, 5),   # (2 + 1 + 0) / (4 + 1)
    ("19", NEW, "2025-07"): (4, 7),      # (2 + 2 + 0) / (5 + 2)
    ("01969", NEW, "2025-Q3"): (4, 7),   # (2 + 1 + 1) / (4 + 3)
    ("19", NEW, "2025-Q3"): (5, 9),      # (2 + 2 + 1) / (6 + 3)
    ("06", OLD, "2025"): (7, 9),         # (1 + 2 + 4) / (4 + 5)
    ("01969", NEW, "2025"): (3, 7),      # (2 + 1 + 0) / (5 + 2)
    ("19", NEW, "2025"): (4, 9),         # (2 + 2 + 0) / (7 + 2)
}


@pytest.mark.parametrize("key", list(EXPECTED_2_1), ids=lambda k: "-".join(k))
def test_qd766_2_1_across_the_reform(reorg_run, key):
    _, con = reorg_run
    num, den, _, _ = _obs(con, "QD766_2_1", *key)
    assert (num, den) == EXPECTED_2_1[key]


def test_a_dossier_received_after_the_reform_by_an_agency_spanning_it_is_counted(reorg_run):
    """d10, d11: the desk's registry row spans the reform; its later dossiers resolve to 01969@2025-07-01."""
    _, con = reorg_run
    rows = con.execute(
        "SELECT dossier_code, unit_code, unit_valid_from FROM marts.fct_dossiers WHERE agency_code = ? ORDER BY received_at",
        [E]).fetchall()
    assert [(u, str(v)) for _, u, v in rows] == [("01969", OLD), ("01969", NEW), ("01969", NEW)]


def test_every_dossier_received_in_a_period_counts_in_exactly_one_unit_per_level(reorg_run):
    """Row accounting across the break: received counts of each level's units add up to the dossiers received in
    the period (13 dossiers: 1 in May, 8 in June, 2 in July, 1 in August, 1 in September)."""
    _, con = reorg_run
    received = {"2025-05": 1, "2025-06": 8, "2025-07": 2, "2025-08": 1, "2025-09": 1, "2025-Q2": 9, "2025-Q3": 4,
                "2025": 13}
    for period, n in received.items():
        rows = con.execute(
            "SELECT unit_level, sum(received_online + received_direct_postal) FROM publish.report_bieu06 b "
            "JOIN marts.dim_units u USING (unit_code, unit_valid_from) WHERE period = ? AND ma_linh_vuc IS NULL "
            "GROUP BY unit_level", [period]).fetchall()
        by_level = dict(rows)
        assert by_level["tinh"] == n, (period, by_level)
        # communes: every dossier but those of district agencies (d7, d8: received in June by 063)
        assert by_level["xa"] == n - {"2025-06": 2, "2025-Q2": 2, "2025": 2}.get(period, 0), (period, by_level)


STATUS_CASES = {
    # B: the first period of each type after the break, for units whose territory changed (B before P)
    ("QD766_2_1", "01969", NEW, "2025-07"): ("B", None),
    ("QD766_2_1", "01969", NEW, "2025-Q3"): ("B", None),
    ("QD766_2_1", "19", NEW, "2025"): ("B", "partial period"),
    ("QD766_2_1", "02014", NEW, "2025-07"): ("B", None),
    # later periods of the new units: normal (A) or running (P)
    ("QD766_2_1", "01969", NEW, "2025-08"): ("A", None),
    ("QD766_2_1", "01969", NEW, "2025-10"): ("P", None),
    # discontinued series: the district, the old province, a commune merged into another code
    ("QD766_2_1", "063", OLD, "2025-06"): ("A", "discontinued on 2025-06-30"),
    ("QD766_2_1", "06", OLD, "2025-06"): ("A", "discontinued on 2025-06-30"),
    ("QD766_2_1", "01975", OLD, "2025-06"): ("A", "discontinued on 2025-06-30"),
    # TT Phủ Thông's code continues (with a break on 01969@2025): not discontinued
    ("QD766_2_1", "01969", OLD, "2025-06"): ("A", None),
}


@pytest.mark.parametrize("key", list(STATUS_CASES), ids=lambda k: "-".join(k))
def test_break_and_discontinued_series(reorg_run, key):
    _, con = reorg_run
    _, _, status, comment = _obs(con, *key)
    want_status, want_comment = STATUS_CASES[key]
    assert status == want_status
    if want_comment is None:
        assert comment is None or "discontinued" not in comment
    else:
        assert want_comment in (comment or "")


# The comparable series (E) on the units in force from 2025-07-01, for periods that ended before them
EXPECTED_BACKCAST_2_1 = {
    # new Phủ Thông ← TT Phủ Thông (d1 early, d9 on time, d2 within, d3 overdue) + Vi Hương (d4 within); 01993 and
    # 01990 had no dossier: (1 + 1 + 2) / (2 + 3)
    ("01969", "2025-06"): (4, 5),
    # Q2 adds d5 (Vi Hương, May, on time): (1 + 2 + 2) / (3 + 3)
    ("01969", "2025-Q2"): (5, 6),
    # new Bạch Thông ← Đồng Thắng of ANOTHER district (d6 within): 1 / 1
    ("02014", "2025-06"): (1, 1),
    # province 19 ← everything of province 06 (and of the old Thái Nguyên, which had none), the district's own
    # agency included: the old province's June, 6 / 8
    ("19", "2025-06"): (6, 8),
}


@pytest.mark.parametrize("key", list(EXPECTED_BACKCAST_2_1), ids=lambda k: "-".join(k))
def test_comparable_series_back_cast_onto_the_new_units(reorg_run, key):
    _, con = reorg_run
    num, den, status, comment = _obs(con, "QD766_2_1", key[0], NEW, key[1])
    assert (num, den) == EXPECTED_BACKCAST_2_1[key]
    assert status == "E" and "comparable series" in comment


def test_comparable_bieu06_and_what_is_not_back_cast(reorg_run):
    _, con = reorg_run
    # Biểu 06 of new Phủ Thông in June as observations: received 5 (col 3), pending within 2 (col 12)
    got = dict(con.execute(
        "SELECT indicator_id, ratio FROM publish.indicator_observations WHERE unit_code = '01969' AND unit_valid_from = ? "
        "AND period = '2025-06' AND indicator_id IN ('BIEU06_COL03', 'BIEU06_COL12') AND ma_linh_vuc IS NULL "
        "AND obs_status = 'E'", [NEW]).fetchall())
    assert got == {"BIEU06_COL03": 5, "BIEU06_COL12": 2}
    # the official form shows the units as they were: no new unit before July
    assert con.execute("SELECT count(*) FROM publish.report_bieu06 WHERE unit_valid_from = ? AND period = '2025-06'",
                       [NEW]).fetchall()[0][0] == 0
    # only dossier-based rows are back-cast: no procedure-based row (3_1), no group score, no PAKN row
    back = {r[0] for r in con.execute(
        "SELECT DISTINCT indicator_id FROM publish.indicator_observations WHERE obs_status = 'E'").fetchall()}
    assert "QD766_2_1" in back and "QD766_5_4" in back
    assert not back & {"QD766_3_1", "QD766_1_1", "QD766_5_2", "QD766_TOTAL", "QD766_TDGQ", "SIPAS"}
    # a period straddling the change is not back-cast: the new unit's year 2025 is its partial year (B)
    assert con.execute("SELECT count(*) FROM publish.indicator_observations WHERE obs_status = 'E' "
                       "AND period IN ('2025', '2025-H2', '2025-Q3', '2025-07')").fetchall()[0][0] == 0
    # back-cast values carry the formula version of their period
    assert {r[0] for r in con.execute("SELECT DISTINCT formula_version FROM publish.indicator_observations "
                                      "WHERE obs_status = 'E' AND indicator_id LIKE 'QD766%'").fetchall()} == {"QD766-2022"}


def test_sdmx_carries_breaks_and_the_comparable_series(reorg_run):
    """SDMX: B and E reach OBS_STATUS, the new unit version is its own REF_AREA_VALID_FROM, and the comparable Biểu 06
    columns sit beside (never inside) the Biểu 06 part of the old units."""
    settings, _ = reorg_run
    sdmx = settings.publish_dir / "latest" / "sdmx"
    rows = duckdb.sql(f"SELECT * FROM read_csv('{sdmx}/*/province=*/period=*/*.csv', all_varchar=true, "
                      "filename=true, union_by_name=true)")
    got = rows.query("r", "SELECT OBS_STATUS, OBS_VALUE FROM r WHERE INDICATOR = 'QD766_2_1' AND REF_AREA = '01969' "
                          f"AND REF_AREA_VALID_FROM = '{NEW}' AND TIME_PERIOD = '2025-06' AND AGENCY = '_T' "
                          "AND FIELD = '_T'").fetchall()
    assert got == [("E", "80.0")]
    got = rows.query("r", "SELECT OBS_STATUS FROM r WHERE INDICATOR = 'QD766_2_1' AND REF_AREA = '01969' "
                          f"AND REF_AREA_VALID_FROM = '{NEW}' AND TIME_PERIOD = '2025-07' AND AGENCY = '_T' "
                          "AND FIELD = '_T'").fetchall()
    assert got == [("B",)]
    files = dict(rows.query("r", "SELECT filename, string_agg(DISTINCT OBS_STATUS || '@' || REF_AREA_VALID_FROM, ',' "
                                 "ORDER BY OBS_STATUS || '@' || REF_AREA_VALID_FROM) FROM r "
                                 "WHERE INDICATOR LIKE 'BIEU06%' AND TIME_PERIOD = '2025-06' GROUP BY 1").fetchall())
    files = {k.rsplit("/sdmx/", 1)[1]: v for k, v in files.items()}
    # the old units' Biểu 06 (06 and the old Thái Nguyên, 19@2020) in part.csv; the comparable one of 19@2025 beside
    assert files == {"BIEU06/province=06/period=2025-06/part.csv": f"A@{OLD}",
                     "BIEU06/province=19/period=2025-06/part.csv": f"A@{OLD}",
                     "BIEU06/province=19/period=2025-06/part-observations.csv": f"E@{NEW}"}
    # Biểu 06 of a unit's first period of each type after the break is B too (xã Phủ Thông, province 19: July and
    # Q3), the next month plain A (closed as of 5/10)
    b06 = dict(rows.query("r", "SELECT REF_AREA || ' ' || TIME_PERIOD, string_agg(DISTINCT OBS_STATUS, ',') FROM r "
                               "WHERE INDICATOR = 'BIEU06_COL03' AND REF_AREA IN ('19', '01969') "
                               f"AND REF_AREA_VALID_FROM = '{NEW}' AND TIME_PERIOD IN ('2025-07', '2025-08', '2025-Q3') "
                               "GROUP BY 1").fetchall())
    assert b06 == {"19 2025-07": "B", "01969 2025-07": "B", "19 2025-Q3": "B", "01969 2025-Q3": "B",
                   "19 2025-08": "A", "01969 2025-08": "A"}, b06


def test_a_back_cast_value_is_never_a_revision_of_the_as_published_one(reorg_run, tmp_path):
    """A second release where d1 (TT Phủ Thông, June) ends late instead of early: the old units' June values and the
    comparable June values of their successor change. The revision report lists each within its own series (the
    key holds unit_valid_from): the old units' A → A, the successor's E → E — never an as-published value revised
    into a back-cast one."""
    settings, _ = reorg_run
    raw, out = tmp_path / "raw", tmp_path / "out"
    shutil.copytree(settings.raw_dir, raw)
    shutil.copytree(settings.out_dir, out, symlinks=True)
    batch = raw / "dossiers" / "dongbo_2025.json"
    data = json.loads(batch.read_text(encoding="utf-8"))
    data["data"][0].update(NgayKetThucXuLy="20250623100000", NgayTra="20250623110000")  # due 20/6: now late
    batch.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    again = Settings(raw_dir=raw, out_dir=out)
    failures, _, _ = run_pipeline(again)
    assert failures == [], failures
    rev = duckdb.sql(f"SELECT * FROM read_csv('{again.publish_dir / 'latest' / 'revisions.csv'}', all_varchar=true)")
    got = rev.query("r", "SELECT unit_code, unit_valid_from, old_obs_status, new_obs_status, old_value, new_value "
                         "FROM r WHERE indicator_id = 'QD766_2_1' AND period = '2025-06' AND coalesce(agency_code, '') = '' "
                         "AND coalesce(ma_linh_vuc, '') = '' ORDER BY unit_code, unit_valid_from").fetchall()
    # TT Phủ Thông 3/4 → 2/4; district 5/7 → 4/7; province 6/8 → 5/8; new Phủ Thông (E) 4/5 → 3/5
    assert [(u, v, o, n, round(float(a), 4), round(float(b), 4)) for u, v, o, n, a, b in got] == [
        ("01969", OLD, "A", "A", 75.0, 50.0), ("01969", NEW, "E", "E", 80.0, 60.0),
        ("06", OLD, "A", "A", 75.0, 62.5), ("063", OLD, "A", "A", round(500 / 7, 4), round(400 / 7, 4)),
        ("19", NEW, "E", "E", 75.0, 62.5)]
    assert rev.query("r", "SELECT count(*) FROM r WHERE (old_obs_status = 'E') <> (new_obs_status = 'E')").fetchall()[0][0] == 0


def test_the_scorecard_marks_the_reorganisation_break(reorg_run):
    settings, _ = reorg_run
    page = (settings.publish_dir / "latest" / "by_province" / "19" / "scorecard.html").read_text(encoding="utf-8")
    assert "sắp xếp ĐVHC" in page  # the dashed line at July 2025, where the new units' series begin (B)


# ---------------------------------------------------------------------------------------------------------------------
# A generated province across the reform (issue 21 point 5): Bắc Kạn's eight districts, April – September 2025
# (Bạch Thông's fourteen communes as the seeds give them; the other districts' old communes synthetic, in reference/)


@pytest.fixture(scope="module")
def generated_run(tmp_path_factory):
    from orchestration.generate import generate

    raw = tmp_path_factory.mktemp("raw_gen_reform")
    summary = generate(raw, seed=7, scale="province", start="2025-04", end="2025-09", dossiers_per_year=16000)
    settings = Settings(raw_dir=raw, out_dir=tmp_path_factory.mktemp("out_gen_reform"))
    failures, _, _ = run_pipeline(settings)
    assert failures == [], failures
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    yield summary, settings, con
    con.close()


def test_the_generator_crosses_the_reform_with_re_registered_agencies(generated_run):
    summary, settings, con = generated_run
    agencies = (settings.raw_dir / "reference" / "agencies.csv").read_text(encoding="utf-8")
    assert "000.31.19.H56,UBND xã Phủ Thông,01969,2025-07-01," in agencies  # the new commune's committee (seed)
    assert "000.00.63.H06,UBND huyện Bạch Thông,063,2020-01-01,2025-06-30" in agencies
    assert "000.00.64.H06,UBND huyện Chợ Đồn,064,2020-01-01,2025-06-30" in agencies  # synthetic, shaped alike
    units = {r[0] for r in duckdb.sql(
        f"SELECT DISTINCT split_part(d.MaHoSo, '-', 1) FROM (SELECT unnest(data, recursive := true) FROM "
        f"read_json('{settings.raw_dir}/dossiers/dongbo_2025*.json', union_by_name := true)) d "
        "WHERE substr(CAST(d.NgayTiepNhan AS VARCHAR), 1, 6) >= '202507'").fetchall()}
    assert units and all(u.endswith(".19.H56") for u in units), units  # only the new committees after July
    assert summary["counts"]["dossiers"] > 5000
    # the warehouse reads the province's units and lineage from the raw root's reference/ beside the seeds: eight
    # districts and 116 old communes until June, the 37 new communes of ADMIN_UNITS.md from July, each with dossiers
    # (no provincial department: the province scale generates the districts' and communes' one-stop shops)
    live = dict(con.execute(
        "SELECT unit_level || '@' || unit_valid_from, count(DISTINCT unit_code) FROM marts.fct_dossiers "
        "WHERE is_received GROUP BY ALL").fetchall())
    assert live == {f"huyen@{OLD}": 8, f"xa@{OLD}": 116, f"xa@{NEW}": 37}, live
    assert con.execute("SELECT count(*) FROM intermediate.int_unit_lineage").fetchall()[0][0] == 118


def test_the_district_scale_crosses_the_reform_too(tmp_path):
    """The district scale alone (no pipeline: the province run above holds the district): past June the dossiers of
    Bạch Thông go to the new communes' committees only, and its reference/ holds no synthetic unit."""
    from orchestration.generate import generate

    generate(tmp_path, seed=7, start="2025-05", end="2025-08", dossiers_per_year=3000)
    after = {r[0] for r in duckdb.sql(
        f"SELECT DISTINCT split_part(d.MaHoSo, '-', 1) FROM (SELECT unnest(data, recursive := true) FROM "
        f"read_json('{tmp_path}/dossiers/dongbo_2025*.json', union_by_name := true)) d "
        "WHERE substr(CAST(d.NgayTiepNhan AS VARCHAR), 1, 6) >= '202507'").fetchall()}
    assert after == {"000.31.19.H56", "000.32.19.H56", "000.33.19.H56", "000.34.19.H56", "000.35.19.H56"}, after
    assert sorted(p.name for p in (tmp_path / "reference").iterdir()) == ["agencies.csv", "targets.csv"]


def test_no_dossier_is_lost_across_the_reform(generated_run):
    """Every dossier received in a period counts in exactly one unit per level; every dossier open on 1 July 2025
    is carried over into July by exactly one province (Thái Nguyên) — what June left pending."""
    _, _, con = generated_run
    for period, lo, hi in (("2025-06", "2025-06-01", "2025-06-30"), ("2025-07", "2025-07-01", "2025-07-31"),
                           ("2025-Q2", "2025-04-01", "2025-06-30"), ("2025-Q3", "2025-07-01", "2025-09-30"),
                           ("2025", "2025-01-01", "2025-12-31")):
        received = con.execute("SELECT count(*) FROM marts.fct_dossiers WHERE is_received AND received_date BETWEEN ? AND ?",
                               [lo, hi]).fetchall()[0][0]
        by_district_agency = con.execute(
            "SELECT count(*) FROM marts.fct_dossiers WHERE is_received AND received_date BETWEEN ? AND ? "
            "AND unit_level = 'huyen'", [lo, hi]).fetchall()[0][0]
        before_july = con.execute(
            "SELECT count(*) FROM marts.fct_dossiers WHERE is_received AND received_date BETWEEN ? AND ? "
            "AND received_date < DATE '2025-07-01'", [lo, hi]).fetchall()[0][0]
        levels = _levels(con, period)
        assert received > 0 and levels["tinh"] == received, (period, received, levels)
        assert levels["xa"] == received - by_district_agency, (period, levels)
        assert levels.get("huyen", 0) == before_july, (period, levels)  # every district until June, none after
    open_on_1_july = con.execute(
        "SELECT count(*) FROM marts.fct_dossiers WHERE is_received AND received_date <= DATE '2025-06-30' "
        "AND (end_date IS NULL OR end_date >= DATE '2025-07-01')").fetchall()[0][0]
    assert open_on_1_july > 0
    june_pending = _bieu06(con, "06", OLD, "2025-06")
    july = _bieu06(con, "19", NEW, "2025-07")
    assert june_pending[6] + june_pending[7] == open_on_1_july  # pending at the old province's end
    assert july[2] == open_on_1_july  # carried over into the new province's July


def _levels(con, period):
    return dict(con.execute(
        "SELECT u.unit_level, sum(received_online + received_direct_postal) FROM publish.report_bieu06 b "
        "JOIN marts.dim_units u USING (unit_code, unit_valid_from) WHERE period = ? AND ma_linh_vuc IS NULL "
        "GROUP BY ALL", [period]).fetchall())


def test_generated_series_break_end_and_are_back_cast(generated_run):
    _, _, con = generated_run
    status = dict(con.execute(
        "SELECT unit_code || '@' || unit_valid_from || ' ' || period, obs_status FROM publish.indicator_observations "
        "WHERE indicator_id = 'QD766_2_1' AND agency_code IS NULL AND ma_linh_vuc IS NULL AND unit_code IN ('19', '01969', '063')"
    ).fetchall())
    assert status[f"19@{NEW} 2025-07"] == "B" and status[f"01969@{NEW} 2025-Q3"] == "B"
    assert status[f"19@{NEW} 2025-08"] == "A"
    assert status[f"01969@{NEW} 2025-06"] == "E" and status[f"19@{NEW} 2025-H1"] == "E"
    comment = con.execute(
        "SELECT comment FROM publish.indicator_observations WHERE indicator_id = 'QD766_2_1' AND unit_code = '063' "
        "AND period = '2025-06' AND agency_code IS NULL AND ma_linh_vuc IS NULL").fetchall()[0][0]
    assert "discontinued on 2025-06-30" in comment
    # xã Bạch Thông took in two communes of Bạch Thông and Đồng Thắng of Chợ Đồn (ADMIN_UNITS.md): its comparable
    # June is the sum of the three old communes' June (Biểu 06 column 3, received; their committees' own rows)
    old = con.execute(
        "SELECT sum(received_online + received_direct_postal + carried_over) FROM publish.report_bieu06 "
        "WHERE unit_code IN ('02014', '02017', '02059') AND unit_valid_from = ? AND period = '2025-06' "
        "AND ma_linh_vuc IS NULL", [OLD]).fetchall()[0][0]
    back = con.execute(
        "SELECT ratio FROM publish.indicator_observations WHERE indicator_id = 'BIEU06_COL03' AND unit_code = '02014' "
        "AND unit_valid_from = ? AND period = '2025-06' AND ma_linh_vuc IS NULL AND agency_code IS NULL "
        "AND obs_status = 'E'", [NEW]).fetchall()
    assert old > 0 and back == [(old,)], (old, back)
