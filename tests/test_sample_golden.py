"""Golden values of the committed sample, recomputed here from the raw JSON by an independent, plain-Python
reading of METHODOLOGY §2/§4 (no code shared with the pipeline), and compared with the published release.

District 063 (all sample agencies belong to it) for February 2023, a closed month: P = [2023-02-01, 2023-02-28].
"""

import csv
import datetime as dt
import json

import duckdb
import pytest

from tests.test_pipeline_e2e import SAMPLE

START, END = dt.date(2023, 2, 1), dt.date(2023, 2, 28)


def ts(v):
    return dt.datetime.strptime(v, "%Y%m%d%H%M%S") if v else None


def oracle(members: list | None = None):
    """Biểu 06 counts of district 063 for February 2023 from the raw JSON; ``members`` (when given) receives, for
    every dossier of QD766_2_1's denominator, (dossier code, synced to the portal, in the numerator)."""
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
                    cls = "resolved_on_time"
                elif len(sups) > 1 or adjusted.date() > due:
                    cls = "resolved_late"
                elif adjusted.date() < due:
                    cls = "resolved_early"
                else:
                    cls = "resolved_on_time"
            else:
                cls = "pending_overdue" if len(sups) > 1 or due < END else "pending_within_time"
            c[cls] += 1
            if members is not None:
                members.append((d["MaHoSo"], str(d.get("TrangThaiDongBoDVC")) == "1", cls not in ("resolved_late", "pending_overdue")))
    return c


def test_sample_bieu06_and_qd766_2_1_match_an_independent_computation(sample_run):
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


def test_sample_dossier_shares_match_an_independent_computation(sample_run):
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


def test_cchc_reconcile_names_the_unsynced_dossiers_behind_a_difference(sample_run, tmp_path, capsys):
    """Issue 23: the portal can only count dossiers synced to it. Its figure for district 063, February 2023, is
    recomputed here from the raw JSON over the synced dossiers of QD766_2_1's denominator; `cchc reconcile` sets it
    beside ours, and the difference of the denominators is exactly the unsynced dossiers, named as the reason."""
    from orchestration.cli import main

    members: list = []
    oracle(members)
    synced = [m for m in members if m[1]]
    unsynced = len(members) - len(synced)
    assert unsynced > 0  # the sample has unsynced dossiers in February's denominator (else the test proves nothing)
    on_time = sum(1 for m in synced if m[2])
    ratio = 100 * on_time / len(synced)
    portal = tmp_path / "portal"
    portal.mkdir()
    department = {"departmentCode": "BK.063", "departmentName": "UBND huyện Bạch Thông", "level": "DISTRICT",
                  "totalReceived": len(synced), "totalOnTime": on_time, "ratio": round(ratio, 2),
                  "score": round(20 * ratio / 100, 2), "maxScore": 20}
    (portal / "dvc-progress-tree_2023-02.json").write_text(json.dumps(
        {"code": "OK", "data": {"parent": {**department, "totalScore": department["score"]}, "children": []}}), encoding="utf-8")
    (portal / "requests.json").write_text(json.dumps({"dvc-progress-tree_2023-02.json": {
        "url": "/api/v1/reporting/evaluation/dvc-progress-tree", "payload": {"timeType": "month", "year": 2023, "month": 2}}}),
        encoding="utf-8")
    (portal / "department_map.csv").write_text("department_code,unit_code,agency_code\nBK.063,063,\n", encoding="utf-8")
    out = sample_run[0].out_dir
    assert main(["reconcile", "--portal", str(portal), "--out", str(out)]) == 0
    assert "figure(s) differ from the portal's" in capsys.readouterr().out
    rows = [r for r in csv.DictReader((out / "reconciliation" / "reconciliation.csv").open(encoding="utf-8"))
            if r["indicator_id"] == "QD766_2_1"]
    assert len(rows) == 1
    row = rows[0]
    assert (float(row["our_denominator"]), float(row["portal_denominator"])) == (len(members), len(synced))
    assert float(row["diff_denominator"]) == unsynced and row["agrees"] == "False"
    assert f"{unsynced} dossier(s) we count are not synced to the national portal" in row["reasons"]
    assert "the whole difference of the denominator" in row["reasons"]
