"""The benchmark's two re-implementations (orchestration/bench: the DuckDB floor and the pandas baseline) give
exactly the published QD766_2_1 and Biểu 06 values, and hand-computed ones on a small national-shaped raw root."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from orchestration.bench.compare import diff, published_values
from orchestration.bench.floor import BIEU06_COLUMNS, render, run_floor
from orchestration.bench.pandas_ref import run_pandas
from orchestration.lib.settings import REPO_ROOT
from orchestration.publish import release

SAMPLE = REPO_ROOT / "raw" / "sample"


@pytest.fixture(scope="module")
def sample_release(sample_run):
    settings, failures = sample_run[:2]
    assert failures == []
    return (settings.publish_dir / "latest").resolve()


def test_floor_and_pandas_equal_the_published_values_on_the_sample(sample_release):
    published = published_values(sample_release)
    floor = run_floor(SAMPLE)
    pandas = run_pandas(SAMPLE)
    assert len(published["qd766_2_1"]) > 100 and len(published["bieu06"]) > 300
    assert diff(floor, published) == []
    assert diff(pandas, published) == []
    assert diff(floor, pandas) == []
    # and the comparison is not blind: one changed count is reported
    changed = dict(published, bieu06=[r[:6] + (r[6] + 1,) + r[7:] if i == 5 else r for i, r in enumerate(published["bieu06"])])
    assert len(diff(floor, changed)) == 1


def test_columns_follow_the_release():
    assert BIEU06_COLUMNS == release.BIEU06_COLUMNS


def test_placeholders_are_literals_and_must_all_be_filled():
    assert render("SELECT {{ x }}, {{y}}", {"x": "o'brien.json", "y": None}) == "SELECT 'o''brien.json', NULL"
    assert render("{{ f }}", {"f": ["a", "b'"]}) == "['a', 'b''']"
    with pytest.raises(KeyError):
        render("{{ missing }}", {})


# ------------------------------------------------------------------------------------------------ hand-made root
# A national-shaped raw root (after the 2025 reorganisation: province 91 → communes 91001, 91002, both from the raw
# reference/admin_units.csv; agencies A1 → 91001, A2 → 91002 from reference/agencies.csv), extracts by month:
# dongbo_202507_001.json, dongbo_202508_001.json and a late re-delivery dongbo_202508_002.json carrying an OLDER
# version of D3 (it must be ignored: the latest NgayCapNhat wins, not the latest file). Procedure 1.000002 has a
# legal limit of 3 working days (for the no-due-date rule). No public holiday in July–August 2025.
# As-of = latest NgayCapNhat = 2025-08-20 18:00 ⇒ August, Q3, H2 and 2025 are running with P_end = 2025-08-20.
#
#  id  agency field ch reception        due               status / end                          class
#  D1  A1     F1    2  07-01 09:00      07-04 17:00       10, ended 07-03                        early
#  D2  A1     F1    1  07-02 09:00      07-07 17:00       10, ended 07-07 15:00                  on time
#  D3  A1     F2    -  07-10 09:00      07-11 17:00       9, ended 07-15                         late
#  D4  A1     F2    1  07-21 09:00      08-05 17:00       4 (open)                               pending
#  D5  A1     F1    3  07-23 09:00      08-05 17:00       July file 4; August file 10 ended 08-04 early (Aug)
#  D6  A2     F1    2  07-14 08:00      07-16 17:00       10, ended 07-19 10:00; one supplement 07-15 08:00 → 07-18
#                                                         08:00 deducted (3 days) ⇒ adjusted 07-16 10:00 = due date  on time
#  D7  A2     F1    1  07-22 09:00      08-30 17:00       10, ended 07-28; two supplements       late
#  D8  A2     F2    1  08-04 09:00      08-08 17:00       5, one supplement requested 08-06, never received ⇒ ends 08-06  early
#  D9  A2     F1    2  08-11 09:00      08-12 17:00       7 withdrawn, ended 08-19               on time
#  D10 A2     F2    1  08-12 09:00      —                 10, ended 08-18: working days 13,14,15,18 = 4 > 3  late
#  D11 A2     F2    1  08-14 09:00      —                 4 open: at 08-20, days 15,18,19,20 = 4 > 3  pending overdue
#  D12 A2     F1    1  08-01            refused at reception (3)                                  not counted
#  D13 A2     F1    2  submitted 08-02, not received (1)                                         not counted
#  D14 A1*    F3    1  08-19 10:00      08-25 17:00       2 (open; *no MaDonViXuLy: MaHoSo prefix) pending
#
# QD766_2_1 = (resolved early + on time + pending within time) / (resolved + pending):
#  July (closed, P_end 07-31):  91001: resolved D1 E, D2 OT, D3 L; pending D4, D5 (due 08-05 ≥ 07-31: within)
#                                       ⇒ (1 + 1 + 2) / (3 + 2) = 4/5;  received 5 (online 1), carried over 0
#                               91002: D6 OT, D7 L ⇒ 1/2;  province 91 ⇒ 5/7
#  August (P_end 08-20):        91001: carried D4 (overdue: 08-05 < 08-20), D5 (resolved early); received D14 (within)
#                                       ⇒ (1 + 0 + 1) / (1 + 2) = 2/3
#                               91002: D8 E, D9 OT, D10 L, D11 pending overdue ⇒ (1 + 1 + 0) / (3 + 1) = 2/4
#                               province 91 ⇒ 4/7
#  2025-Q3 = 2025-H2 = 2025 (P_end 08-20): 91001: D1 E, D2 OT, D3 L, D5 E; D4 overdue, D14 within ⇒ (2+1+1)/(4+2) = 4/6
#                               91002: D6 OT, D7 L, D8 E, D9 OT, D10 L; D11 overdue ⇒ (1+2+0)/(5+1) = 3/6
#                               province 91 ⇒ 7/12
# Every other unit of the register (the seed's) has rows of zeros.

A1, A2 = "000.01.91.H99", "000.02.91.H99"


def _dossier(code, agency, field, channel, received, due, status, *, end=None, returned=None, sups=(), updated,
             procedure=None, submitted=None, refused=None, omit_agency=False):
    names = {"F1": "Lĩnh vực một", "F2": "Lĩnh vực hai", "F3": "Lĩnh vực ba"}
    return {
        "MaHoSo": code, "MaTTHC": procedure or {"F1": "1.000001", "F2": "1.000002", "F3": "9.999999"}[field],
        "TenTTHC": "TTHC", "MaLinhVuc": field, "TenLinhVuc": names[field], "DonViXuLy": "UBND",
        **({} if omit_agency else {"MaDonViXuLy": agency}), "KenhThucHien": channel, "ChuHoSo": "Nguyễn Văn A",
        "SoGiayToChuHoSo": "001", "LoaiDoiTuong": 1, "NgayNopHoSo": submitted or received, "NgayTiepNhan": received,
        "NgayHenTra": due, "TrangThaiHoSo": status, "NgayKetThucXuLy": end, "NgayTra": returned, "NgayTuChoi": refused,
        "DanhSachHoSoBoSung": [{"NgayBoSung": a, "NgayTiepNhanBoSung": b, "NgayHenTraTruoc": None, "NgayHenTraMoi": None}
                               for a, b in sups],
        "TaiLieuNop": [], "DanhSachLePhi": [], "DanhSachGiayToKetQua": [], "DSKetNoiCSDL": [], "NgayCapNhat": updated,
    }


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


@pytest.fixture(scope="module")
def hand_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bench_hand_raw")
    _write_csv(root / "reference" / "admin_units.csv",
               ["unit_code", "valid_from", "valid_to", "unit_name", "unit_level", "unit_type", "parent_code",
                "parent_valid_from", "legal_basis"],
               [["91", "2025-07-01", "", "Tỉnh Chín Mốt", "tinh", "tinh", "", "", "test"],
                ["91001", "2025-07-01", "", "Xã Một", "xa", "xa", "91", "2025-07-01", "test"],
                ["91002", "2025-07-01", "", "Xã Hai", "xa", "xa", "91", "2025-07-01", "test"]])
    _write_csv(root / "reference" / "agencies.csv", ["agency_code", "agency_name", "unit_code", "valid_from", "valid_to"],
               [[A1, "UBND xã Một", "91001", "2025-07-01", ""], [A2, "UBND xã Hai", "91002", "2025-07-01", ""]])
    _write_csv(root / "procedures" / "procedures.csv",
               ["ma_tthc", "ten_tthc", "ma_linh_vuc", "ten_linh_vuc", "cap_thuc_hien", "thoi_han", "don_vi_thoi_han",
                "hieu_luc_tu", "hieu_luc_den"],
               [["1.000001", "TTHC một", "F1", "Lĩnh vực một", "xa", "1", "ngay_lam_viec", "2020-01-01", ""],
                ["1.000002", "TTHC hai", "F2", "Lĩnh vực hai", "xa", "3", "ngay_lam_viec", "2020-01-01", ""]])
    july = [
        _dossier(f"{A1}-250701-0001", A1, "F1", 2, "20250701090000", "20250704170000", 10, end="20250703100000",
                 returned="20250703150000", updated="20250703150500"),
        _dossier(f"{A1}-250702-0001", A1, "F1", 1, "20250702090000", "20250707170000", 10, end="20250707150000",
                 updated="20250707160000"),
        _dossier(f"{A1}-250710-0001", A1, "F2", None, "20250710090000", "20250711170000", 9, end="20250715100000",
                 updated="20250715100500"),
        _dossier(f"{A1}-250721-0001", A1, "F2", 1, "20250721090000", "20250805170000", 4, updated="20250721093000"),
        _dossier(f"{A1}-250723-0001", A1, "F1", 3, "20250723090000", "20250805170000", 4, updated="20250725100000"),
        _dossier(f"{A2}-250714-0001", A2, "F1", 2, "20250714080000", "20250716170000", 10, end="20250719100000",
                 sups=[("20250715080000", "20250718080000")], updated="20250719110000"),
        _dossier(f"{A2}-250722-0001", A2, "F1", 1, "20250722090000", "20250830170000", 10, end="20250728100000",
                 sups=[("20250725090000", "20250725150000"), ("20250723090000", "20250724090000")], updated="20250728110000"),
    ]
    august = [
        _dossier(f"{A1}-250723-0001", A1, "F1", 3, "20250723090000", "20250805170000", 10, end="20250804100000",
                 returned="20250804150000", updated="20250804180000"),
        _dossier(f"{A2}-250804-0001", A2, "F2", 1, "20250804090000", "20250808170000", 5,
                 sups=[("20250806100000", None)], updated="20250806100500"),
        _dossier(f"{A2}-250811-0001", A2, "F1", 2, "20250811090000", "20250812170000", 7, end="20250819100000",
                 updated="20250819100500"),
        _dossier(f"{A2}-250812-0001", A2, "F2", 1, "20250812090000", None, 10, end="20250818100000",
                 updated="20250818110000"),
        _dossier(f"{A2}-250814-0001", A2, "F2", 1, "20250814090000", None, 4, updated="20250814093000"),
        _dossier(f"{A2}-250801-0001", A2, "F1", 1, "20250801090000", None, 3, refused="20250801100000",
                 updated="20250801100000"),
        _dossier(f"{A2}-250802-0001", A2, "F1", 2, None, None, 1, submitted="20250802090000", updated="20250802090000"),
        _dossier(f"{A1}-250819-0001", A1, "F3", 1, "20250819100000", "20250825170000", 2, updated="20250820180000",
                 omit_agency=True),
    ]
    late_redelivery = [  # an older version of D3 in a later file: ignored
        _dossier(f"{A1}-250710-0001", A1, "F2", None, "20250710090000", "20250711170000", 4, updated="20250710100000"),
    ]
    for name, data in (("dongbo_202507_001.json", july), ("dongbo_202508_001.json", august),
                       ("dongbo_202508_002.json", late_redelivery)):
        path = root / "dossiers" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"service": "DongBoHoSoMC", "isUpdating": False, "data": data}, ensure_ascii=False),
                        encoding="utf-8")
    return root


# (period_type, period, unit) → Biểu 06 whole-unit row: received online, direct/postal, carried over,
# resolved early, on time, late, pending within time, overdue
EXPECTED_B06 = {
    ("M", "2025-07", "91001"): (1, 4, 0, 1, 1, 1, 2, 0),
    ("M", "2025-07", "91002"): (1, 1, 0, 0, 1, 1, 0, 0),
    ("M", "2025-07", "91"): (2, 5, 0, 1, 2, 2, 2, 0),
    ("M", "2025-08", "91001"): (0, 1, 2, 1, 0, 0, 1, 1),
    ("M", "2025-08", "91002"): (1, 3, 0, 1, 1, 1, 0, 1),
    ("M", "2025-08", "91"): (1, 4, 2, 2, 1, 1, 1, 2),
}
for _p in (("Q", "2025-Q3"), ("H", "2025-H2"), ("Y", "2025")):
    EXPECTED_B06 |= {_p + ("91001",): (1, 5, 0, 2, 1, 1, 1, 1), _p + ("91002",): (2, 4, 0, 1, 2, 2, 0, 1),
                     _p + ("91",): (3, 9, 0, 3, 3, 3, 1, 2)}
EXPECTED_QD = {  # (numerator, denominator)
    ("M", "2025-07", "91001"): (4, 5), ("M", "2025-07", "91002"): (1, 2), ("M", "2025-07", "91"): (5, 7),
    ("M", "2025-08", "91001"): (2, 3), ("M", "2025-08", "91002"): (2, 4), ("M", "2025-08", "91"): (4, 7),
}
for _p in (("Q", "2025-Q3"), ("H", "2025-H2"), ("Y", "2025")):
    EXPECTED_QD |= {_p + ("91001",): (4, 6), _p + ("91002",): (3, 6), _p + ("91",): (7, 12)}


@pytest.mark.parametrize("run", [run_floor, run_pandas], ids=["floor", "pandas"])
def test_hand_made_root_gives_the_hand_computed_values(hand_root, run):
    values = run(hand_root)
    qd = {r[:3]: r[4:] for r in values["qd766_2_1"] if r[3] == "2025-07-01"}
    assert {k: qd[k] for k in EXPECTED_QD} == {k: (float(n), float(d)) for k, (n, d) in EXPECTED_QD.items()}
    # every other unit version of the register (the seed's) is present with nothing in it
    others = [r for r in values["qd766_2_1"] if r[2] not in ("91", "91001", "91002")]
    assert others and all(r[4:] == (0.0, 0.0) for r in others)
    assert {r[:2] for r in values["qd766_2_1"]} == {("M", "2025-07"), ("M", "2025-08"), ("Q", "2025-Q3"),
                                                    ("H", "2025-H2"), ("Y", "2025")}

    col = {c: i for i, c in enumerate(BIEU06_COLUMNS)}
    whole = {r[:3]: r for r in values["bieu06"] if r[col["ma_linh_vuc"]] is None and r[2] in ("91", "91001", "91002")}
    counts = ["received_online", "received_direct_postal", "carried_over", "resolved_early", "resolved_on_time",
              "resolved_late", "pending_within_time", "pending_overdue"]
    assert {k: tuple(whole[k][col[c]] for c in counts) for k in EXPECTED_B06} == EXPECTED_B06
    for r in whole.values():  # the totals of the form: col 3 = 4 + 5 + 6 = 7 + 11
        assert r[col["received_total"]] == r[col["resolved_total"]] + r[col["pending_total"]]
    # field rows of the province for the quarter; F3 is not in the catalogue: named from the dossiers
    fields = {r[col["ma_linh_vuc"]]: r for r in values["bieu06"] if r[:3] == ("Q", "2025-Q3", "91") and r[col["ma_linh_vuc"]]}
    assert {f: (r[col["ten_linh_vuc"]], r[col["received_total"]], r[col["resolved_early"]], r[col["resolved_on_time"]],
                r[col["resolved_late"]], r[col["pending_within_time"]], r[col["pending_overdue"]])
            for f, r in fields.items()} == {
        "F1": ("Lĩnh vực một", 6, 2, 3, 1, 0, 0),   # D1 E, D2 OT, D5 E, D6 OT, D7 L, D9 OT
        "F2": ("Lĩnh vực hai", 5, 1, 0, 2, 0, 2),   # D3 L, D4 overdue, D8 E, D10 L, D11 overdue
        "F3": ("Lĩnh vực ba", 1, 0, 0, 0, 1, 0),    # D14 within time
    }


@pytest.mark.parametrize("run", [run_floor, run_pandas], ids=["floor", "pandas"])
def test_explicit_as_of_cuts_the_periods(hand_root, run):
    # as of 2025-07-31 23:00: only July exists (running, P_end 07-31); D5 ended 08-04, so it is pending within time
    # whatever its latest version says; the August receptions are not counted. Q3 = July: 91 ⇒ 5/7.
    values = run(hand_root, as_of=dt.datetime(2025, 7, 31, 23, 0))
    qd = {r[:3]: r[4:] for r in values["qd766_2_1"] if r[2] in ("91", "91001", "91002")}
    assert qd == {p + (u,): tuple(float(x) for x in EXPECTED_QD[("M", "2025-07", u)])
                  for p in (("M", "2025-07"), ("Q", "2025-Q3"), ("H", "2025-H2"), ("Y", "2025"))
                  for u in ("91", "91001", "91002")}
    assert diff(run_floor(hand_root, as_of=dt.datetime(2025, 7, 31, 23, 0)), values) == []
