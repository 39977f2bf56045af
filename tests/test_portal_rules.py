"""The national portal's rules (issue 18) end to end through the pipeline, on the committed sample changed the way
real raw roots differ from it:

* ``procedures/applicability.csv`` where the communes differ (METHODOLOGY §1, DATA_CONTRACT §1.2): Phủ Thông's agency
  000.01.63.H06 is applied every commune procedure, Vi Hương's 000.02.63.H06 every commune procedure but two of the
  fee-bearing ones, the district agencies the district procedures;
* no ``publications*`` file in ``procedures/`` (a missing source is detected per file, not per folder);
* the SIPAS sheet replaced by one taken in October 2023 — after the dossiers' as-of (2023-03) — where 20 of 30
  respondents answered the ``tthc`` element, plus 2 respondents dated 2021 (no published period);
* a provincial department with a portal department code (``H06.03``): one dossier and one PAKN.

The seed province 19 has no data at all: it must be out of coverage (M, no grade, no rank, not in rank_of).
"""

import csv
import json
import shutil
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest

from orchestration.lib.settings import REPO_ROOT, Settings
from orchestration.runner import run_pipeline

SAMPLE = REPO_ROOT / "raw" / "sample"
PHU_THONG, VI_HUONG, DEPT = "000.01.63.H06", "000.02.63.H06", "H06.03"
GROUPS = ("QD766_CKMB", "QD766_TDGQ", "QD766_TTTT", "QD766_CLGQ", "QD766_MDSH", "QD766_MDHL")


def _levels(row):
    return row["cap_thuc_hien"].split(";")


@pytest.fixture(scope="module")
def portal_run(tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw_portal")
    shutil.copytree(SAMPLE, raw, dirs_exist_ok=True)
    (raw / "procedures" / "publications.csv").unlink()

    with open(raw / "procedures" / "procedures.csv", encoding="utf-8") as f:
        procedures = list(csv.DictReader(f))
    xa = [p["ma_tthc"] for p in procedures if "xa" in _levels(p)]
    huyen = [p["ma_tthc"] for p in procedures if "huyen" in _levels(p)]
    fee_xa = [p["ma_tthc"] for p in procedures if "xa" in _levels(p) and p["co_phi"] == "1"]
    left_out = fee_xa[-2:]  # Vi Hương is not applied the last two fee-bearing commune procedures
    with open(raw / "reference" / "agencies.csv", encoding="utf-8") as f:
        agencies = list(csv.DictReader(f))
    rows = []
    for a in agencies:
        codes = huyen if a["unit_code"] == "063" else xa
        rows += [(c, a["agency_code"]) for c in codes if not (a["agency_code"] == VI_HUONG and c in left_out)]
    with open(raw / "procedures" / "applicability.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["ma_tthc", "agency_code", "hieu_luc_tu", "hieu_luc_den", "co_phi"])
        w.writerows([(c, a, "", "", "") for c, a in rows])

    # a provincial department with the portal's department code: registry row, one dossier, one PAKN
    with open(raw / "reference" / "agencies.csv", "a", encoding="utf-8", newline="") as f:
        f.write(f"{DEPT},Sở Tư pháp tỉnh Bắc Kạn,06,2020-01-01,\n")
    batch = json.loads((raw / "dossiers" / "dongbo_202302_001.json").read_text(encoding="utf-8"))
    dossier = dict(batch["data"][0], MaHoSo=f"{DEPT}-230210-0001", MaDonViXuLy=DEPT, DonViXuLy="Sở Tư pháp")
    (raw / "dossiers" / "dongbo_dept.json").write_text(
        json.dumps({"service": "DongBoHoSoMC", "isUpdating": False, "data": [dossier]}, ensure_ascii=False), encoding="utf-8")
    with open(raw / "petitions" / "petitions.csv", "a", encoding="utf-8", newline="") as f:
        f.write(f"PAKN-2023-9001,{DEPT},2023-02-10 09:00,quy_dinh_tthc,,da_xu_ly,,,,2023-02-13 10:00,2023-02-14 10:00,1,0,0\n")

    # SIPAS: 30 respondents of Phủ Thông on 2023-10-05, 20 of them answered tthc (4); 2 respondents in 2021
    for f in (raw / "surveys").iterdir():
        f.unlink()
    with open(raw / "surveys" / "sipas_2023_q4.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["ma_phieu", "unit_code", "ngay_khao_sat", "ho_ten", "so_dien_thoai", "ma_tthc", "hl_tiep_can",
                    "hl_tthc", "hl_cong_chuc", "hl_ket_qua", "hl_pakn", "hl_tong_the"])
        for r in range(1, 31):
            w.writerow([f"P{r:02d}", "01969", "2023-10-05", f"Người {r}", f"09{r:08d}", "", 5, 4 if r <= 20 else "",
                        "", "", "", 5])
        for r in (1, 2):
            w.writerow([f"OLD{r}", "01969", "2021-05-01", f"Người cũ {r}", f"08{r:08d}", "", 3, "", "", "", "", 3])

    out = tmp_path_factory.mktemp("out_portal")
    settings = Settings(raw_dir=raw, out_dir=out)
    failures, warnings, _ = run_pipeline(settings)
    assert failures == [], failures
    release = settings.publish_dir / "latest"
    obs = duckdb.sql(f"SELECT * FROM read_csv('{release}/by_province/*/*/indicator_observations.csv', all_varchar=true)")
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    return raw, release, obs, manifest, left_out, fee_xa


def _rows(obs, where):
    return obs.query("o", f"SELECT * FROM o WHERE {where}").fetchall(), obs.columns


def _one(obs, where):
    rows, cols = _rows(obs, where)
    assert len(rows) == 1, (where, rows)
    return dict(zip(cols, rows[0]))


def _paid_online_procedures(raw, agency, codes):
    """Independent count: procedures of ``codes`` with ≥ 1 dossier of ``agency`` received in 2023-Q1 and paid online."""
    return {r[0] for r in duckdb.sql(f"""
        SELECT DISTINCT d.MaTTHC FROM (
            SELECT unnest(data, recursive := true) FROM read_json('{raw}/dossiers/*.json', union_by_name := true)) d
        WHERE coalesce(d.MaDonViXuLy, regexp_extract(d.MaHoSo, '^(.+)-[0-9]{{6}}-[0-9]+$', 1)) = '{agency}' AND CAST(d.TrangThaiHoSo AS INTEGER) NOT IN (1, 3)
          AND CAST(d.DuocThanhToanTrucTuyen AS INTEGER) IN (1, 2)
          AND substr(CAST(d.NgayTiepNhan AS VARCHAR), 1, 6) BETWEEN '202301' AND '202303'""").fetchall()} & set(codes)  # noqa: E501


def test_agency_rows_count_every_applied_procedure_and_communes_differ(portal_run):
    raw, _, obs, _, left_out, fee_xa = portal_run
    vi_huong_fee = [c for c in fee_xa if c not in left_out]
    for agency, unit, fee in ((PHU_THONG, "01969", fee_xa), (VI_HUONG, "01975", vi_huong_fee)):
        row = _one(obs, f"indicator_id = 'QD766_3_5' AND period = '2023-Q1' AND agency_code = '{agency}'")
        # denominator: every fee-bearing procedure applied to the agency, with or without dossiers (the portal's
        # 12/35, not 12/12); numerator: those with one of the agency's own dossiers paid online in the quarter
        assert float(row["denominator"]) == len(fee)
        assert float(row["numerator"]) == len(_paid_online_procedures(raw, agency, fee))
        unit_row = _one(obs, f"indicator_id = 'QD766_3_5' AND period = '2023-Q1' AND unit_code = '{unit}' "
                             "AND agency_code IS NULL AND ma_linh_vuc IS NULL")
        assert float(unit_row["denominator"]) == len(fee)  # a commune's set = its agencies' sets
    assert len(fee_xa) - len(vi_huong_fee) == 2


def test_a_missing_publications_file_publishes_1_1_and_1_2_as_missing(portal_run):
    _, _, obs, _, _, _ = portal_run
    rows, cols = _rows(obs, "indicator_id IN ('QD766_1_1', 'QD766_1_2') AND agency_code IS NULL")
    assert rows
    for r in rows:
        r = dict(zip(cols, r))
        assert (r["obs_status"], r["ratio"]) == ("M", None)
        assert "source absent from the raw root: publications" in r["comment"]
    # the group comment names the missing rows with the points they got: 0 for publications, the row's maximum
    # for a commune without PAKN (empty rule "full"), never "(0 points)" for those
    ckmb = _one(obs, "indicator_id = 'QD766_CKMB' AND period = '2023-01' AND unit_code = '063' AND agency_code IS NULL")
    assert "QD766_1_1 (0.0 points)" in ckmb["comment"] and "QD766_1_2 (0.0 points)" in ckmb["comment"]
    # a commune without PAKN in the month: 5_2 is M under the empty rule "full" — named with its 6 points
    no_pakn = _rows(obs, "indicator_id = 'QD766_5_2' AND period = '2023-01' AND unit_level = 'xa' AND agency_code IS NULL "
                         "AND obs_status = 'M' AND points = '6.0'")[0]
    assert no_pakn, "the sample has communes without PAKN in 2023-01"
    unit = dict(zip(obs.columns, no_pakn[0]))["unit_code"]
    mdhl = _one(obs, f"indicator_id = 'QD766_MDHL' AND period = '2023-01' AND unit_code = '{unit}' AND agency_code IS NULL")
    assert "QD766_5_2 (6.0 points)" in mdhl["comment"] and "(0 points)" not in mdhl["comment"]


def test_row_points_are_rounded_to_two_decimals_and_groups_sum_them(portal_run):
    _, _, obs, _, _, _ = portal_run
    rows = obs.query("o", "SELECT points FROM o WHERE points IS NOT NULL AND indicator_id LIKE 'QD766_%'").fetchall()
    assert rows
    for (p,) in rows:
        assert Decimal(p) == Decimal(p).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), p
    # every group score is exactly the sum of its rounded row points (group membership from the definitions seed)
    with open(REPO_ROOT / "dbt_project" / "seeds" / "indicator_definitions.csv", encoding="utf-8") as f:
        group_of = {(r["indicator_id"], r["formula_version"]): r["group_id"] for r in csv.DictReader(f)}
    sums, groups = {}, {}
    # keyed by unit version: a reused code (01969) is two units, and the new one's comparable series (E) has points too
    for iid, ver, unit, period, pts in obs.query("o", """SELECT indicator_id, formula_version,
                   unit_code || '@' || unit_valid_from, period, points
            FROM o WHERE agency_code IS NULL AND ma_linh_vuc IS NULL AND ma_tthc IS NULL AND points IS NOT NULL
              AND indicator_id LIKE 'QD766_%'""").fetchall():
        if iid in GROUPS:
            groups[(iid, unit, period)] = Decimal(pts)
        elif group_of.get((iid, ver)) in GROUPS:
            key = (group_of[(iid, ver)], unit, period)
            sums[key] = sums.get(key, Decimal(0)) + Decimal(pts)
    assert len(groups) > 50
    for key, total in groups.items():
        assert total == sums.get(key, Decimal(0)), key


def test_a_province_without_data_is_out_of_coverage_and_not_ranked(portal_run):
    _, _, obs, _, _, _ = portal_run
    lost = _one(obs, "indicator_id = 'QD766_TOTAL' AND period = '2023-01' AND unit_code = '19' AND agency_code IS NULL")
    assert (lost["obs_status"], lost["points"], lost["grade"], lost["rank"], lost["rank_of"]) == ("M", None, None, None, None)
    assert lost["comment"] == "no data for this unit"
    kept = _one(obs, "indicator_id = 'QD766_TOTAL' AND period = '2023-01' AND unit_code = '06' AND agency_code IS NULL")
    assert (kept["rank"], kept["rank_of"]) == ("1", "1") and kept["grade"] is not None
    # every row of an out-of-coverage unit is M without points
    # (the units of 2025-07-01 carry the comparable series of the sample's 2023 dossiers: E, not this unit's)
    rows, cols = _rows(obs, "unit_code = '19' AND unit_valid_from = '2020-01-01' AND agency_code IS NULL")
    assert rows and all(dict(zip(cols, r))["obs_status"] == "M" and dict(zip(cols, r))["points"] is None for r in rows)


def test_sipas_counts_respondents_for_small_cells_and_follows_the_survey_date(portal_run):
    _, _, obs, manifest, _, _ = portal_run
    # 20 valid tthc answers of 30 respondents: published (the small-cell rule counts respondents), n = 20; the
    # survey of October counts for the year 2023, running at the as-of (March) ⇒ provisional
    tthc = _one(obs, "indicator_id = 'SIPAS_TTHC' AND period = '2023' AND unit_code = '01969'")
    assert (tthc["numerator"], tthc["denominator"], tthc["n"], tthc["obs_status"]) == ("20.0", "20.0", "20", "P")
    assert float(tthc["ratio"]) == 100.0
    assert _rows(obs, "indicator_id LIKE 'SIPAS%' AND period LIKE '2023-Q%'")[0] == []  # Q4 2023 is not published
    # the two respondents of 2021 fall in no published period: named by a warning in the manifest
    check = next(c for c in manifest["quality"]["checks"] if c["name"] == "source_rows_in_published_periods")
    assert not check["passed"] and "survey_answers: 2 respondents dated 2021-05-01" in check["message"]


def test_department_codes_are_valid_agency_codes(portal_run):
    _, _, obs, manifest, _, _ = portal_run
    by_name = {c["name"]: c for c in manifest["quality"]["checks"]}
    for name in ("gx_lake_dossiers_warnings", "gx_lake_petitions_warnings", "gx_lake_ref_agencies_warnings",
                 "gx_lake_applicability_warnings"):
        assert by_name[name]["passed"], by_name[name]["message"]
    # its dossier is attributed: the department has its own rows under the province
    dept = _rows(obs, f"agency_code = '{DEPT}' AND indicator_id = 'QD766_2_1' AND period = '2023-02' AND ma_linh_vuc IS NULL")[0]
    assert len(dept) == 1
