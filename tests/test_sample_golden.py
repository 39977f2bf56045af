"""Golden values of the committed sample, recomputed here from the raw JSON by an independent, plain-Python
reading of METHODOLOGY §2/§4 (no code shared with the pipeline), and compared with the published release.

District 063 (all sample agencies belong to it) for February 2023, a closed month: P = [2023-02-01, 2023-02-28].
"""

import datetime as dt
import json

import duckdb
import pytest

from tests.test_pipeline_e2e import SAMPLE, sample_run  # noqa: F401  (shared module fixture)

START, END = dt.date(2023, 2, 1), dt.date(2023, 2, 28)


def ts(v):
    return dt.datetime.strptime(v, "%Y%m%d%H%M%S") if v else None


def oracle():
    c = dict.fromkeys(["received_online", "received_direct_postal", "carried_over", "resolved_early", "resolved_on_time",
                       "resolved_late", "pending_within_time", "pending_overdue"], 0)
    for path in sorted((SAMPLE / "dossiers").glob("*.json")):
        for d in json.loads(path.read_text(encoding="utf-8"))["data"]:
            status = int(d["TrangThaiHoSo"])
            if status in (1, 3):
                continue  # never received: in no denominator
            received = ts(d["NgayTiepNhan"]).date()
            sups = sorted(d.get("DanhSachHoSoBoSung") or [], key=lambda s: s["NgayBoSung"])
            end = None
            if status in (7, 8, 9, 10):
                end = ts(d.get("NgayKetThucXuLy")) or ts(d.get("NgayTra")) or ts(d.get("NgayTuChoi"))
            elif status == 5 and len(sups) == 1 and not sups[0].get("NgayTiepNhanBoSung"):
                end = ts(sups[0]["NgayBoSung"])  # pending supplement: the request ends processing
            if received > END or (end and end.date() < START):
                continue
            assert d.get("NgayHenTra"), "the oracle does not implement the no-due-date rule (none in February)"
            due = ts(d["NgayHenTra"]).date()
            if START <= received:
                c["received_online" if str(d.get("KenhThucHien")) == "2" else "received_direct_postal"] += 1
            else:
                c["carried_over"] += 1
            if end and end.date() <= END:
                adjusted = end
                if len(sups) == 1 and sups[0].get("NgayTiepNhanBoSung"):
                    adjusted = end - (ts(sups[0]["NgayTiepNhanBoSung"]) - ts(sups[0]["NgayBoSung"]))
                if status in (7, 8):
                    c["resolved_on_time"] += 1
                elif len(sups) > 1 or adjusted.date() > due:
                    c["resolved_late"] += 1
                elif adjusted.date() < due:
                    c["resolved_early"] += 1
                else:
                    c["resolved_on_time"] += 1
            else:
                c["pending_overdue" if len(sups) > 1 or due < END else "pending_within_time"] += 1
    return c


def test_sample_bieu06_and_qd766_2_1_match_an_independent_computation(sample_run):  # noqa: F811
    settings = sample_run[0]
    release = (settings.publish_dir / "latest").resolve()
    expected = oracle()
    row = duckdb.sql(f"""SELECT * FROM read_parquet('{release}/bieu06/*/*/part.parquet', hive_partitioning = false)
                         WHERE unit_code = '063' AND period = '2023-02' AND ma_linh_vuc IS NULL""").df()
    assert len(row) == 1
    got = {k: int(row.iloc[0][k]) for k in expected}
    assert got == expected
    resolved = expected["resolved_early"] + expected["resolved_on_time"] + expected["resolved_late"]
    pending = expected["pending_within_time"] + expected["pending_overdue"]
    assert expected["received_online"] + expected["received_direct_postal"] > 50  # a real month, not an empty one
    obs = duckdb.sql(f"""SELECT numerator, denominator, ratio, points, obs_status
        FROM read_parquet('{release}/observations/*/*/part.parquet', hive_partitioning = false)
        WHERE indicator_id = 'QD766_2_1' AND unit_code = '063' AND period = '2023-02'
          AND agency_code IS NULL AND ma_linh_vuc IS NULL""").fetchall()
    num = expected["resolved_early"] + expected["resolved_on_time"] + expected["pending_within_time"]
    ratio = 100 * num / (resolved + pending)
    assert obs == [(num, resolved + pending, pytest.approx(ratio), pytest.approx(20 * ratio / 100), "A")]


def test_sample_dossier_shares_match_an_independent_computation(sample_run):  # noqa: F811
    """QD766_1_4 (synced to the national portal) and QD766_4_3 (digitised component reused) for district 063 in
    February 2023: received dossiers in P are the denominator; recomputed here from the raw JSON."""
    settings = sample_run[0]
    release = (settings.publish_dir / "latest").resolve()
    received = synced = digitised = 0
    for path in sorted((SAMPLE / "dossiers").glob("*.json")):
        for d in json.loads(path.read_text(encoding="utf-8"))["data"]:
            if int(d["TrangThaiHoSo"]) in (1, 3) or not (START <= ts(d["NgayTiepNhan"]).date() <= END):
                continue
            received += 1
            synced += str(d.get("TrangThaiDongBoDVC")) == "1"
            parts = d.get("TaiLieuNop") or []
            digitised += str(d.get("HoSoCoThanhPhanSoHoa")) == "1" or any(str(p.get("DuocSoHoa")) == "1" for p in parts)
    got = dict(duckdb.sql(f"""SELECT indicator_id, (numerator, denominator)
        FROM read_parquet('{release}/observations/*/*/part.parquet', hive_partitioning = false)
        WHERE indicator_id IN ('QD766_1_4', 'QD766_4_3') AND unit_code = '063' AND period = '2023-02'
          AND agency_code IS NULL AND ma_linh_vuc IS NULL""").fetchall())
    assert received == 108  # = Biểu 06 received online 43 + direct 65 above
    assert got["QD766_1_4"] == (synced, received)
    assert got["QD766_4_3"] == (digitised, received)
