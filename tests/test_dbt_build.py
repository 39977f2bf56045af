"""dbt build on hand-made lakes, with hand-computed Biểu 06 and QD766_2_1 values.

The sample lake is dbt_project/dev/dev_lake.py (SAMPLE_DOSSIERS): Bắc Kạn (06) › Bạch Thông (063) ›
communes Phủ Thông (01969, agency 000.01.63.H06) and Vi Hương (01975, agency 000.02.63.H06), plus the district
land-registry branch 000.20.63.H06 (unit 063). As-of = latest NgayCapNhat = 2024-04-10 12:00, so 2024-03 and
2024-Q1 are closed (P_end = 03-31) and 2024-04 is running (P_end = 04-10).

Per dossier (class from METHODOLOGY §2; ch = channel):
  X1 01969 ch2 rec 01-15 due 01-18, ended 01-17            → early (January)
  X2 01969 ch1 rec 02-26 due 03-05, open                    → carried into March, overdue at 03-31
  X3 01969 ch2 rec 03-04 due 03-07, ended 03-06             → early
  X4 01969 ch∅ rec 03-04 due 03-07, ended 03-07             → on time (same date)
  X5 01969 ch3 rec 03-04 due 03-07, ended 03-11             → late
  X6 01969 ch2 rec 03-05 due 03-08, ended 03-12, 1 supplement 03-06→03-11 (5 days) → adjusted 03-07 → early
  X7 01969 ch2 rec 03-25 due 04-05, open                    → March: within (04-05 ≥ 03-31); April: overdue
  X8 status 1 (never received), X9 status 3 (refused at reception) → never counted
  Y1 01975 ch2 no due, limit 0.5 wd = 4 h, 03-12 08:00→11:00 = 3 office h = 3.2 h → on time
  Y2 01975 ch1 no due, 03-12 15:00→03-13 10:00 = 4.5 office h = 4.8 h > 4 → late
  Y3 01975 ch1 withdrawn (7), ended 03-20 after due 03-15     → on time
  Y4 01975 ch2 status 5, one supplement requested 03-15, never completed → ended 03-15 < due 03-19 → early
  Y5 01975 ch1 (Hộ tịch) open with 2 supplements            → pending overdue (whatever the due date)
  Z1 063 ch1 no due, limit 30 calendar days, 03-01→03-28 = 27 ≤ 30 → on time
  Z2 063 ch1 rec 02-01, stopped (8), NgayTra 03-29 (no NgayKetThucXuLy) → carried into March, on time
  Z3 063 ch2 rec 03-20 due 04-19, NgayTra 04-05             → March: pending within; April: early
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "dbt_project"


def _dev_lake():
    spec = importlib.util.spec_from_file_location("dev_lake", PROJECT / "dev" / "dev_lake.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dbt_build(lake: Path, warehouse: Path, work: Path):
    from dbt.cli.main import dbtRunner

    env = {
        "CCHC_LAKE_DIR": str(lake),
        "CCHC_WAREHOUSE": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        result = dbtRunner().invoke([
            "build", "--project-dir", str(PROJECT), "--profiles-dir", str(PROJECT),
            "--target-path", str(work / "target"), "--log-path", str(work / "logs"), "--quiet",
        ])
    finally:
        _close_dbt_duckdb()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return result


def _close_dbt_duckdb():
    # dbt-duckdb keeps its DuckDB instance open in-process after an invocation (class attribute _ENV); a later
    # duckdb.connect() on the same file with another configuration (read_only) then fails. Close it.
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            try:
                DuckDBConnectionManager._ENV.close()
            finally:
                DuckDBConnectionManager._ENV = None


@pytest.fixture(scope="module")
def sample_warehouse(tmp_path_factory):
    work = tmp_path_factory.mktemp("dbt_sample")
    dev = _dev_lake()
    dev.write_lake(work / "lake", dev.SAMPLE_DOSSIERS, dev.SAMPLE_PROCEDURES)
    result = _dbt_build(work / "lake", work / "warehouse.duckdb", work)
    assert result.success, f"dbt build failed: {result.exception}"
    con = duckdb.connect(str(work / "warehouse.duckdb"), read_only=True)
    con.execute(f"set variable manifest = '{work / 'target' / 'manifest.json'}'")
    yield con
    con.close()


def test_dbt_build_on_empty_lake(tmp_path):
    from orchestration.lib.lake_schema import write_empty_lake

    write_empty_lake(str(tmp_path / "lake"))
    result = _dbt_build(tmp_path / "lake", tmp_path / "warehouse.duckdb", tmp_path)
    assert result.success, f"dbt build failed on an empty lake: {result.exception}"
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    assert con.sql("select count(*) from publish.indicator_observations").fetchall()[0][0] == 0
    assert con.sql("select count(*) from publish.report_bieu06").fetchall()[0][0] == 0
    con.close()


B06_COLS = ("received_total, received_online, received_direct_postal, carried_over, resolved_total, resolved_early, "
            "resolved_on_time, resolved_late, pending_total, pending_within_time, pending_overdue")


def _b06(con, unit, period, field=None):
    rows = con.execute(
        f"select {B06_COLS} from publish.report_bieu06 where unit_code = ? and period = ? "
        "and ma_linh_vuc is not distinct from ?", [unit, period, field]).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def _qd(con, unit, period, agency=None, field=None, valid_from="2020-01-01"):
    """The QD766_2_1 row of a unit version (the fixture's 2024 units as they were; a reused code's unit of
    2025-07-01 carries the comparable series, E)."""
    rows = con.execute(
        "select numerator, denominator, ratio, points, max_points, obs_status, formula_version "
        "from publish.indicator_observations where indicator_id = 'QD766_2_1' and unit_code = ? "
        "and unit_valid_from = cast(? as date) and period = ? "
        "and agency_code is not distinct from ? and ma_linh_vuc is not distinct from ?",
        [unit, valid_from, period, agency, field]).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


# Biểu 06 columns: 3 received (4 online, 5 direct/postal, 6 carried) | 7 resolved (8 early, 9 on time, 10 late)
#                  | 11 pending (12 within, 13 overdue)
EXPECTED_BIEU06 = {
    # March, commune 01969: received online X3 X6 X7 = 3, direct X4 (empty channel) X5 (postal) = 2, carried X2 = 1
    # → 6; resolved early X3 X6, on time X4, late X5 → 4; pending within X7, overdue X2 → 2. 6 = 4 + 2.
    ("01969", "2024-03"): (6, 3, 2, 1, 4, 2, 1, 1, 2, 1, 1),
    # March, commune 01975: online Y1 Y4, direct Y2 Y3 Y5 → 5; early Y4, on time Y1 Y3, late Y2 → 4; overdue Y5.
    ("01975", "2024-03"): (5, 2, 3, 0, 4, 1, 2, 1, 1, 0, 1),
    # March, district 063 = its own agency (online Z3, direct Z1, carried Z2; on time Z1 Z2; within Z3)
    # + 01969 + 01975: online 3+2+1 = 6, direct 2+3+1 = 6, carried 1+0+1 = 2 → 14;
    # early 2+1+0 = 3, on time 1+2+2 = 5, late 1+1+0 = 2 → 10; within 1+0+1 = 2, overdue 1+1+0 = 2 → 4.
    ("063", "2024-03"): (14, 6, 6, 2, 10, 3, 5, 2, 4, 2, 2),
    # Province 06: only Bạch Thông has data → same as 063.
    ("06", "2024-03"): (14, 6, 6, 2, 10, 3, 5, 2, 4, 2, 2),
    # Q1, commune 01969: adds X1 (Jan, online, early) and X2 is received in Q1 (direct), nothing carried:
    # online X1 X3 X6 X7 = 4, direct X2 X4 X5 = 3 → 7; early X1 X3 X6, on time X4, late X5 → 5; within X7, overdue X2.
    ("01969", "2024-Q1"): (7, 4, 3, 0, 5, 3, 1, 1, 2, 1, 1),
    # Q1, district 063: online 4+2+1 = 7, direct 3+3+2 (Z1, Z2) = 8 → 15; early 3+1 = 4, on time 1+2+2 = 5,
    # late 1+1 = 2 → 11; within X7 Z3 = 2, overdue X2 Y5 = 2 → 4. 15 = 11 + 4.
    ("063", "2024-Q1"): (15, 7, 8, 0, 11, 4, 5, 2, 4, 2, 2),
    ("06", "2024-Q1"): (15, 7, 8, 0, 11, 4, 5, 2, 4, 2, 2),
    # April (running, P_end 04-10), district 063: carried X2, X7, Y5, Z3 = 4; Z3 resolved early 04-05;
    # pending X2 (due 03-05), X7 (due 04-05 < 04-10), Y5 (2 supplements) all overdue.
    ("063", "2024-04"): (4, 0, 0, 4, 1, 1, 0, 0, 3, 0, 3),
    # A commune of the district with no dossier still has its zero row.
    ("01978", "2024-03"): (0,) * 11,
}


@pytest.mark.parametrize("unit,period", list(EXPECTED_BIEU06))
def test_bieu06_hand_computed(sample_warehouse, unit, period):
    assert _b06(sample_warehouse, unit, period) == EXPECTED_BIEU06[(unit, period)]


def test_bieu06_field_row(sample_warehouse):
    # March, 063, Hộ tịch (G09-HT) = all of 01969 (X2–X7) + Y5: online 3, direct 2 + Y5 = 3, carried X2 = 1 → 7;
    # resolved 2/1/1 → 4; pending within X7, overdue X2 Y5 → 3.
    assert _b06(sample_warehouse, "063", "2024-03", "G09-HT") == (7, 3, 3, 1, 4, 2, 1, 1, 3, 1, 2)


# QD766_2_1 = (early + on time + pending within) / (resolved + pending); points = 20 × ratio / 100, rounded to 2
# decimals as the portal publishes row points (METHODOLOGY §3 "Rounding"; the ratio keeps full precision).
EXPECTED_QD766_2_1 = {
    ("01969", "2024-03"): (4, 6, "A", 13.33),    # (2 + 1 + 1) / (4 + 2) = 66.67 % → 13.333… → 13.33 points
    ("01975", "2024-03"): (3, 5, "A", 12.0),     # (1 + 2 + 0) / (4 + 1) = 60 % → 12 points
    ("063", "2024-03"): (10, 14, "A", 14.29),    # (3 + 5 + 2) / (10 + 4) = 71.43 % → 14.2857… → 14.29 points
    ("06", "2024-03"): (10, 14, "A", 14.29),
    ("01969", "2024-Q1"): (5, 7, "A", 14.29),    # (3 + 1 + 1) / (5 + 2) = 71.43 % → 14.29 points
    ("063", "2024-Q1"): (11, 15, "A", 14.67),    # (4 + 5 + 2) / (11 + 4) = 73.33 % → 14.666… → 14.67 points
    ("06", "2024-Q1"): (11, 15, "A", 14.67),
    ("063", "2024-04"): (1, 4, "P", 5.0),        # running: (1 + 0 + 0) / (1 + 3) = 25 % → 5 points, provisional
}


@pytest.mark.parametrize("unit,period", list(EXPECTED_QD766_2_1))
def test_qd766_2_1_hand_computed(sample_warehouse, unit, period):
    num, den, status, expected_points = EXPECTED_QD766_2_1[(unit, period)]
    numerator, denominator, ratio, points, max_points, obs_status, version = _qd(sample_warehouse, unit, period)
    assert (numerator, denominator, obs_status) == (num, den, status)
    # published to 9 decimals (var published_decimals): byte-stable releases whatever the summation order
    assert ratio == pytest.approx(round(100.0 * num / den, 9), abs=1e-12)
    assert points == expected_points
    assert max_points == 20
    assert version == "QD766-2022"


def test_qd766_2_1_empty_unit_is_missing(sample_warehouse):
    # Sĩ Bình (01978) had no dossier, no PAKN, no survey in March: out of coverage (METHODOLOGY §1) — ratio NULL,
    # no points (not the empty rule's 0: a unit without data is not scored), obs_status M.
    numerator, denominator, ratio, points, _, obs_status, _ = _qd(sample_warehouse, "01978", "2024-03")
    assert (numerator, denominator, ratio, points, obs_status) == (0, 0, None, None, "M")


def test_qd766_2_1_agency_and_field_rows(sample_warehouse):
    # Agency 000.20.63.H06, published under its unit 063, March: on time Z1 Z2 + within Z3 = 3 / 3 = 100 % → 20.
    row = _qd(sample_warehouse, "063", "2024-03", agency="000.20.63.H06")
    assert row[:4] == (3, 3, 100.0, 20.0)
    # 063 × Hộ tịch, March: (2 + 1 + 1) / (4 + 3) = 57.14 %.
    row = _qd(sample_warehouse, "063", "2024-03", field="G09-HT")
    assert row[:2] == (4, 7)


def test_never_received_dossiers_not_counted(sample_warehouse):
    rows = sample_warehouse.sql(
        "select dossier_code from intermediate.int_dossier_period_status where dossier_code in ('X8', 'X9')"
    ).fetchall()
    assert rows == []


def test_codes_keep_leading_zeros(sample_warehouse):
    codes = {r[0] for r in sample_warehouse.sql("select distinct unit_code from publish.report_bieu06").fetchall()}
    assert {"06", "063", "01969"} <= codes


def test_every_model_and_column_documented(sample_warehouse):
    # The YAML is the data dictionary provinces read: every model and seed, and every column it really has.
    import json

    manifest = json.loads(Path(sample_warehouse.sql("select getvariable('manifest')").fetchall()[0][0]).read_text())
    missing = []
    by_name = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    for node in manifest["nodes"].values():
        if node["resource_type"] not in ("model", "seed"):
            continue
        if not node.get("description"):
            missing.append(node["name"])
        documented = {name.lower() for name, col in node["columns"].items() if col.get("description")}
        # a published copy (macros/published_copy.sql) is documented by its source, under the renamed columns
        meta = node["config"].get("meta") or {}
        if "published_copy_of" in meta:
            source = by_name[meta["published_copy_of"]]
            renamed = meta["published_names"]
            documented |= {renamed.get(name, name).lower() for name, col in source["columns"].items() if col.get("description")}
        actual = sample_warehouse.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [node["schema"], node["alias"]]).fetchall()
        assert actual, node["name"]
        missing += [f"{node['name']}.{c}" for (c,) in actual if c.lower() not in documented]
    assert missing == []


def test_plain_dbt_build_on_an_existing_warehouse_rebuilds_the_incremental_models(tmp_path):
    """`dbt build` without the orchestration's incremental plan, on a warehouse that already has the incremental
    models' tables: every row is rebuilt in place (macros/incremental.sql), never left stale or duplicated."""
    dev = _dev_lake()
    dev.write_lake(tmp_path / "lake", dev.SAMPLE_DOSSIERS, dev.SAMPLE_PROCEDURES)
    assert _dbt_build(tmp_path / "lake", tmp_path / "warehouse.duckdb", tmp_path).success
    # the lake loses X3 (online, received 2024-03-04, resolved early). Biểu 06, March, commune 01969 was
    # (6, 3, 2, 1, 4, 2, 1, 1, 2, 1, 1) (EXPECTED_BIEU06); without X3: received 6 - 1 = 5, online 3 - 1 = 2,
    # resolved 4 - 1 = 3, early 2 - 1 = 1, the rest unchanged.
    dev.write_lake(tmp_path / "lake", [d for d in dev.SAMPLE_DOSSIERS if d["ma_ho_so"] != "X3"], dev.SAMPLE_PROCEDURES)
    assert _dbt_build(tmp_path / "lake", tmp_path / "warehouse.duckdb", tmp_path).success
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    for table in ("staging.stg_dossiers__dossiers", "intermediate.int_dossier_lifecycle", "marts.fct_dossiers",
                  "intermediate.int_qd766_dossier_flags"):
        codes = [r[0] for r in con.execute(f"select dossier_code from {table}").fetchall()]
        assert "X3" not in codes and len(codes) == len(set(codes)), table
    assert con.execute("select count(*) from intermediate.int_dossier_period_status where dossier_code = 'X3'").fetchall()[0][0] == 0
    assert _b06(con, "01969", "2024-03") == (5, 2, 2, 1, 3, 1, 1, 1, 2, 1, 1)
    con.close()
