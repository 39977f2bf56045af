"""A generated district year, run end to end: the release carries every indicator for every unit and period,
target tracking for the seed case (Bạch Thông 2023, T1–T8), and the explain tables."""

import csv

import duckdb
import pytest

from orchestration.generate import generate
from orchestration.lib.settings import SEEDS_DIR, Settings
from orchestration.runner import run_pipeline

QD766_GROUPS = {"QD766_CKMB", "QD766_TDGQ", "QD766_TTTT", "QD766_CLGQ", "QD766_DVTT", "QD766_MDSH", "QD766_MDHL", "QD766_TOTAL"}


@pytest.fixture(scope="module")
def district_year(tmp_path_factory):
    raw = tmp_path_factory.mktemp("district_raw")
    generate(raw, seed=11, start="2023-01", end="2023-12", dossiers_per_year=4000)
    out = tmp_path_factory.mktemp("district_out")
    failures, warnings, _ = run_pipeline(Settings(raw_dir=raw, out_dir=out))
    assert failures == [], failures
    return (out / "publish" / "latest").resolve()


def qd766_rows_of(version: str) -> set[str]:
    with open(SEEDS_DIR / "indicator_definitions.csv", encoding="utf-8") as fh:
        return {r["indicator_id"] for r in csv.DictReader(fh)
                if r["formula_version"] == version and r["group_id"] in QD766_GROUPS - {"QD766_DVTT", "QD766_TOTAL"}}


def test_every_qd766_row_group_and_total_for_every_unit_and_period(district_year):
    con = duckdb.connect()
    obs = f"read_parquet('{district_year}/observations/*/*/part.parquet', hive_partitioning = false)"
    expected = qd766_rows_of("QD766-2022") | QD766_GROUPS
    cells = con.execute(f"""
        SELECT period_type, period, unit_code, list(DISTINCT indicator_id) FROM {obs}
        WHERE formula_version = 'QD766-2022' AND agency_code IS NULL AND ma_linh_vuc IS NULL AND ma_tthc IS NULL
        GROUP BY ALL""").fetchall()
    periods = {(pt, p) for pt, p, _, _ in cells}
    assert {pt for pt, _ in periods} == {"M", "Q", "H", "Y"} and len(periods) == 12 + 4 + 2 + 1
    units = {u for _, _, u, _ in cells}
    assert {"06", "063", "01969", "02017"} <= units
    for pt, p, unit, ids in cells:
        assert set(ids) == expected, (pt, p, unit, expected ^ set(ids))
    # district 063 has data in every period: its rows carry values, the 2023 total is graded and ranked — among the
    # districts WITH data only: the province's seven other districts have none (out of coverage, METHODOLOGY §1), so
    # they are M, ungraded, unranked, and not counted in rank_of (they used to make 063 "1/8")
    totals = con.execute(f"""SELECT unit_code, points, grade, rank, rank_of, obs_status, comment FROM {obs}
        WHERE indicator_id = 'QD766_TOTAL' AND unit_level = 'huyen' AND period = '2023' AND agency_code IS NULL""").fetchall()
    by_unit = {u: rest for u, *rest in totals}
    points, grade, rank, rank_of, status, _ = by_unit.pop("063")
    assert 0 < points <= 100 and grade and rank == rank_of == 1 and status == "P"
    assert len(by_unit) == 7 and all(r == [None, None, None, None, "M", "no data for this unit"] for r in map(list, by_unit.values()))


def test_sipas_and_monitoring_indicators_for_the_district(district_year):
    con = duckdb.connect()
    obs = f"read_parquet('{district_year}/observations/*/*/part.parquet', hive_partitioning = false)"
    ids = {r[0] for r in con.execute(f"SELECT DISTINCT indicator_id FROM {obs} WHERE unit_code = '063' AND period = '2023'").fetchall()}
    assert {"SIPAS", "SIPAS_TIEP_CAN", "SIPAS_TONG_THE", "RESULTS_DIGITISED", "ECERT_COPY_SHARE", "RATING_SATISFIED",
            "TTHC_REVIEWED_SHARE", "TTHC_REVIEWED_COUNT", "QD766_2_2"} <= ids
    assert any(i.startswith("SIPAS_TC_") for i in ids) and any(i.startswith("SIPAS_MD_") for i in ids)


def test_target_tracking_for_the_seed_case(district_year):
    rows = duckdb.sql(f"SELECT * FROM read_csv('{district_year}/target_tracking.csv', types={{'unit_code': 'VARCHAR'}})").df()
    bt = rows[(rows.unit_code == "063") & (rows.nam == 2023)]
    assert {f"T{i}" for i in range(1, 9)} <= set(bt.ma_chi_tieu)
    assert set(bt.attainment) <= {"met", "not_met", "on_track", "at_risk", "no_data"}


def test_explain_tables_are_published(district_year):
    names = {p.name for p in (district_year / "explain").iterdir()}
    assert {"explain_qd766_dossiers", "explain_qd766_causes", "explain_qd766_pakn", "explain_qd766_procedures"} <= names
    assert (district_year / "data_dictionary.md").read_text(encoding="utf-8").count("QD766_5_4") >= 1


def test_dossier_explain_is_published_at_the_failing_dossier_grain(district_year):
    """explain_qd766_dossiers: one row per failing dossier (never per period or ancestor unit), as Parquet parts keyed
    by province and reception month, row for row the warehouse's table; the dictionary names the part set."""
    import json

    from orchestration.quality.publish_checks import find_relation

    parts = sorted(district_year.glob("explain/explain_qd766_dossiers/province=*/period=*/part.parquet"))
    assert parts
    source = f"read_parquet('{district_year}/explain/explain_qd766_dossiers/*/*/part.parquet', hive_partitioning = false)"
    n, distinct, months = duckdb.sql(f"SELECT count(*), count(DISTINCT dossier_code), list(DISTINCT received_month ORDER BY 1) "
                                     f"FROM {source}").fetchall()[0]
    assert n == distinct > 0  # the failing-thing grain
    assert {p.parent.name.split("=", 1)[1] for p in parts} == set(months)  # keyed by reception month
    with duckdb.connect(str(district_year.parent.parent / "warehouse.duckdb"), read_only=True) as con:
        table = find_relation(con, "explain_qd766_dossiers")
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == n
    manifest = json.loads((district_year / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["row_counts"]["explain/explain_qd766_dossiers"] == n
    assert "explain/explain_qd766_dossiers/" in (district_year / "data_dictionary.csv").read_text(encoding="utf-8")
