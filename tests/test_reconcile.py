"""Reconciliation with the portal's published figures (issue 23, DATA_CONTRACT §1.7), on a hand-made warehouse.

Thái Nguyên (19), August 2026: the department H19.05 (Sở Tư pháp, province level) and the commune committee H19.120.
Our dossiers of H19.05 in QD766_2_1's denominator D (completed in P or open at P_end): 5, of which 4 on time; one of
the 5 (late) was never synced to the portal. The commune: 3 of 3 on time, all synced.

    ours   H19.05 2_1 = 4/5 = 80 %  → 20 × 0.80 = 16.00      portal 4/4 = 100 % → 20.00 (it cannot see the unsynced one)
    ours   H19.120 2_1 = 3/3        → 20.00                   portal 3/3        → 20.00: agrees
    ours   province 19 = 7/8        → 17.50                   portal 7/7        → 20.00 (the same unsynced dossier)
    3_4 and 3_5 of H19.05: we count 7 fee-bearing procedures, the portal 8 → "procedure lists differ"
    Differing: 2_1 and the progress group of H19.05 and of the province, 3_4 and 3_5 of H19.05 → 6 of the 10 compared
    (the commune's 2_1 and group, 3_6 and the payment group of H19.05 agree).
"""

from __future__ import annotations

import csv
import json
import shutil

import duckdb
import pytest

from orchestration.lib.settings import REPO_ROOT
from orchestration.publish import reconcile

# DATA_CONTRACT's own example answers (../shared/spec/examples/portal/), copied: the tests run on a clone of this repo
EXAMPLES = REPO_ROOT / "tests" / "fixtures" / "portal"


def _portal(folder, progress: dict, payment: dict | None = None):
    folder.mkdir(parents=True, exist_ok=True)
    requests = {}
    for report, children in (("dvc-progress-tree", progress), ("formality-online-payment-tree", payment)):
        if children is None:
            continue
        name = f"{report}_2026-08.json"
        parent, kids = children["parent"], children["children"]
        (folder / name).write_text(json.dumps({"code": "OK", "data": {"parent": parent, "children": kids}}), encoding="utf-8")
        requests[name] = {"url": f"/api/v1/reporting/evaluation/{report}",
                          "payload": {"timeType": "month", "year": 2026, "month": 8}}
    (folder / "requests.json").write_text(json.dumps(requests), encoding="utf-8")


def _dep(code, name, level, **values):
    return {"departmentCode": code, "departmentName": name, "level": level, **values}


@pytest.fixture()
def warehouse():
    con = duckdb.connect()
    con.execute("""CREATE TABLE obs (indicator_id VARCHAR, period_type VARCHAR, period VARCHAR, unit_code VARCHAR,
        unit_valid_from DATE, agency_code VARCHAR, ma_linh_vuc VARCHAR, ma_tthc VARCHAR, numerator DOUBLE,
        denominator DOUBLE, ratio DOUBLE, points DOUBLE)""")
    rows = [("QD766_2_1", "19", "H19.05", 4, 5, 80.0, 16.0), ("QD766_TDGQ", "19", "H19.05", None, None, None, 16.0),
            ("QD766_2_1", "04000", "H19.120", 3, 3, 100.0, 20.0), ("QD766_TDGQ", "04000", "H19.120", None, None, None, 20.0),
            ("QD766_2_1", "19", None, 7, 8, 87.5, 17.5), ("QD766_TDGQ", "19", None, None, None, None, 17.5),
            ("QD766_3_4", "19", "H19.05", 3, 7, 42.857142857, 1.07), ("QD766_3_5", "19", "H19.05", 6, 7, 85.7, 2.0),
            ("QD766_3_6", "19", "H19.05", 150, 200, 75.0, 4.5), ("QD766_CLGQ", "19", "H19.05", None, None, None, 7.57)]
    con.executemany("INSERT INTO obs VALUES (?, 'M', '2026-08', ?, DATE '2025-07-01', ?, NULL, NULL, ?, ?, ?, ?)", rows)
    # H19.05 existed before the 2025 reorganisation under Bắc Kạn's 06: a figure is matched to the version of its period
    con.execute("CREATE TABLE agencies AS SELECT * FROM (VALUES ('H19.05', DATE '2020-01-01', DATE '2025-06-30', '06'), "
                "('H19.05', DATE '2025-07-01', NULL, '19'), ('H19.120', DATE '2025-07-01', NULL, '04000')) "
                "t(agency_code, valid_from, valid_to, unit_code)")
    con.execute("CREATE TABLE tree AS SELECT * FROM (VALUES ('19', '19'), ('19', '04000'), ('04000', '04000')) "
                "t(ancestor_code, descendant_code)")
    status = [(f"S{i}", "H19.05", "19", True) for i in range(5)] + [(f"C{i}", "H19.120", "04000", True) for i in range(3)]
    con.execute("CREATE TABLE status (dossier_code VARCHAR, period_type VARCHAR, period VARCHAR, agency_code VARCHAR, "
                "unit_code VARCHAR, resolved_in_period BOOLEAN, pending_at_end BOOLEAN, received_in_period BOOLEAN)")
    con.executemany("INSERT INTO status VALUES (?, 'M', '2026-08', ?, ?, ?, false, true)", status)
    con.execute("CREATE TABLE flags (dossier_code VARCHAR, num_1_4 BOOLEAN, den_3_6 BOOLEAN)")
    con.executemany("INSERT INTO flags VALUES (?, ?, false)", [(d, d != "S4") for d, *_ in status])  # S4: not synced
    yield con, {"observations": "obs", "agencies": "agencies", "tree": "tree", "period_status": "status",
                "dossier_flags": "flags"}
    con.close()


def _by(result):
    return {(r["department_code"], r["indicator_id"]): r for r in result.rows}


def test_agreeing_and_differing_figures_with_the_reason_named(warehouse, tmp_path):
    con, relations = warehouse
    progress = {"parent": _dep("H19", "UBND tỉnh Thái Nguyên", None, totalReceived=7, totalOnTime=7, ratio=100.0,
                               totalScore=20.0, totalMaxScore=20),
                "children": [_dep("H19.05", "Sở Tư pháp", "PROVINCE", totalReceived=4, totalOnTime=4, ratio=100.0,
                                  score=20.0, maxScore=20),
                             _dep("H19.120", "UBND xã Phủ Thông", "COMMUNE", totalReceived=3, totalOnTime=3, ratio=100.0,
                                  score=20.0, maxScore=20)]}
    payment = {"parent": _dep("H19", "UBND tỉnh Thái Nguyên", None, totalScore=7.57, totalMaxScore=10),
               "children": [_dep("H19.05", "Sở Tư pháp", "PROVINCE", totalScore=7.57, totalMaxScore=10,
                                 totalFeeDossierFormality=3, totalFeeFormality=8,
                                 totalDossierOnlineFormalityPaymentSuccess=6, totalDossierOnlinePaymentSuccess=150,
                                 totalDossierFinancialObligation=200)]}
    _portal(tmp_path / "portal", progress, payment)
    result = reconcile.reconcile(con, tmp_path / "portal", relations)
    rows = _by(result)
    commune = rows[("H19.120", "QD766_2_1")]
    assert commune["agrees"] is True and commune["unit_code"] == "04000" and commune["agency_code"] == "H19.120"
    dept = rows[("H19.05", "QD766_2_1")]
    assert dept["agrees"] is False and (dept["diff_numerator"], dept["diff_denominator"], dept["diff_points"]) == (0, 1, -4)
    assert "1 dossier(s) we count are not synced" in dept["reasons"] and "whole difference" in dept["reasons"]
    province = rows[("H19", "QD766_2_1")]  # the root H19 is the province 19 as a whole: its communes' dossiers too
    assert province["unit_code"] == "19" and province["agency_code"] == ""
    assert province["diff_denominator"] == 1 and "1 dossier(s) we count are not synced" in province["reasons"]
    assert rows[("H19", "QD766_TDGQ")]["diff_points"] == -2.5  # 17.50 − 20.00
    for row in ("QD766_3_4", "QD766_3_5"):
        fee = rows[("H19.05", row)]
        assert fee["diff_denominator"] == -1 and "procedure lists differ: we count 1 fee-bearing procedure(s) fewer" in fee["reasons"], fee
    assert rows[("H19.05", "QD766_3_6")]["agrees"] is True and rows[("H19.05", "QD766_CLGQ")]["agrees"] is True
    assert result.messages == []
    assert result.line().startswith("portal reconciliation: 6 of 10 figure(s) differ")
    reconcile.write(result, tmp_path / "out")
    with (tmp_path / "out" / "reconciliation.csv").open(encoding="utf-8") as fh:
        written = list(csv.DictReader(fh))
    assert len(written) == len(result.rows) and list(written[0]) == reconcile.COLUMNS


def test_a_mapping_file_names_departments_whose_codes_differ(warehouse, tmp_path):
    con, relations = warehouse
    progress = {"parent": _dep("H19", "UBND tỉnh Thái Nguyên", None, totalReceived=8, totalOnTime=7, totalScore=17.5),
                "children": [_dep("X-999", "UBND xã Phủ Thông", "COMMUNE", totalReceived=3, totalOnTime=3, score=20.0)]}
    _portal(tmp_path / "portal", progress)
    unmatched = reconcile.reconcile(con, tmp_path / "portal", relations)
    assert _by(unmatched)[("X-999", "QD766_2_1")]["reasons"] == "department not matched"
    assert any("X-999" in m and "department_map.csv" in m for m in unmatched.messages)
    (tmp_path / "portal" / "department_map.csv").write_text("department_code,unit_code,agency_code\nX-999,,H19.120\n",
                                                             encoding="utf-8")
    mapped = _by(reconcile.reconcile(con, tmp_path / "portal", relations))
    assert mapped[("X-999", "QD766_2_1")]["agrees"] is True and mapped[("H19", "QD766_2_1")]["agrees"] is True


def test_malformed_and_unknown_files_are_named_and_skipped(warehouse, tmp_path):
    con, relations = warehouse
    portal = tmp_path / "portal"
    shutil.copytree(EXAMPLES, portal)  # the contract's own example answers read as they are
    (portal / "dvc-progress-tree_2026-09.json").write_text('{"code": "OK", "data": {', encoding="utf-8")
    requests = json.loads((portal / "requests.json").read_text(encoding="utf-8"))
    requests["dvc-progress-tree_2026-09.json"] = {"url": "/x/dvc-progress-tree", "payload": {"timeType": "month", "year": 2026, "month": 9}}
    requests["sipas-tree_2026-08.json"] = {"url": "/x/sipas-tree", "payload": {"timeType": "month", "year": 2026, "month": 8}}
    (portal / "requests.json").write_text(json.dumps(requests), encoding="utf-8")
    (portal / "sipas-tree_2026-08.json").write_text('{"code": "OK", "data": {}}', encoding="utf-8")
    (portal / "formality-online-payment-tree_2026-10.json").write_text('{"code": "OK", "data": {}}', encoding="utf-8")
    result = reconcile.reconcile(con, portal, relations)
    text = "\n".join(result.messages)
    assert "dvc-progress-tree_2026-09.json: not JSON" in text
    assert "unknown portal report 'sipas-tree'" in text
    assert "formality-online-payment-tree_2026-10.json: no period" in text
    # the examples themselves are reconciled: H19.05 and H19.120 match our agencies, H19 the province
    rows = _by(result)
    assert rows[("H19.120", "QD766_2_1")]["portal_denominator"] == 850 and rows[("H19.120", "QD766_2_1")]["our_denominator"] == 3


def test_a_department_is_matched_to_the_agency_version_of_its_period(warehouse, tmp_path):
    """H19.05 filed under province 06 until 2025-06-30 and under 19 from 2025-07-01: a June 2025 figure is set
    beside unit 06's row, an August 2026 figure beside unit 19's."""
    con, relations = warehouse
    assert reconcile.period_end("M", "2025-06").isoformat() == "2025-06-30"
    assert reconcile.period_end("Q", "2026-Q3").isoformat() == "2026-09-30"
    assert reconcile.period_end("Y", "2025").isoformat() == "2025-12-31"
    assert reconcile.period_end("M", "2024-12").isoformat() == "2024-12-31"
    portal = tmp_path / "portal"
    portal.mkdir()
    requests = {}
    for month, year in ((6, 2025), (8, 2026)):
        name = f"dvc-progress-tree_{year}-{month:02d}.json"
        dep = _dep("H19.05", "Sở Tư pháp", "PROVINCE", totalReceived=5, totalOnTime=4, score=16.0)
        (portal / name).write_text(json.dumps({"code": "OK", "data": {"parent": _dep("H19", "UBND tỉnh", None),
                                                                       "children": [dep]}}), encoding="utf-8")
        requests[name] = {"url": "/x/dvc-progress-tree", "payload": {"timeType": "month", "year": year, "month": month}}
    (portal / "requests.json").write_text(json.dumps(requests), encoding="utf-8")
    rows = {(r["period"], r["indicator_id"]): r for r in reconcile.reconcile(con, portal, relations).rows
            if r["department_code"] == "H19.05"}
    assert rows[("2025-06", "QD766_2_1")]["unit_code"] == "06"
    assert rows[("2026-08", "QD766_2_1")]["unit_code"] == "19" and rows[("2026-08", "QD766_2_1")]["agrees"] is True
