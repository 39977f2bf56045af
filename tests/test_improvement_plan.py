"""The improvement planner's promise checked by recomputation (issue 23 point 3): the committed sample is run, the
plan's top action of a commune in the latest year is applied to the raw dossiers it names (all of them), the first
item of another commune's top action likewise (one dossier), the pipeline runs again on the changed raw root
(incrementally, in the same output) and the two rows' published points must have risen by exactly the plan's
``gain_to_full`` and ``gain_first_item``. The arithmetic of the gains themselves is the dbt unit test
``planner_gains_linear_and_threshold``; this test proves the plan, its named items and the indicators agree."""

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.settings import REPO_ROOT, Settings
from orchestration.runner import run_pipeline

SAMPLE = REPO_ROOT / "raw" / "sample"


def _e_result(d: dict) -> None:
    results = d.get("DanhSachGiayToKetQua") or [{"MaGiayToKetQua": f"KQ-{d['MaHoSo']}"}]
    d["DanhSachGiayToKetQua"] = [dict(r, DuongDanTepTinKetQua=f"https://dvc.example/kq/{d['MaHoSo']}.pdf") for r in results]


def _paid_online(d: dict) -> None:
    d["DuocThanhToanTrucTuyen"] = 1


def _synced(d: dict) -> None:
    d["TrangThaiDongBoDVC"] = 1


# what fixing one failing dossier of a row means in the source extract (DATA_CONTRACT §1.1 fields)
FIXERS = {"QD766_4_1": _e_result, "QD766_3_6": _paid_online, "QD766_1_4": _synced}


def _plan(release: Path) -> list[dict]:
    with open(release / "improvement_plan.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _points(release: Path, row: dict) -> float:
    """The published points of a plan row's (formula version, unit, row, period), whole unit, in its province's
    folder (another province's folder may carry the unit's comparable series, E, since the 2025 reorganisation)."""
    unit, indicator, version, period_type, period = (row["unit_code"], row["indicator_id"], row["formula_version"],
                                                     row["period_type"], row["period"])
    rows = duckdb.sql(f"""
        SELECT points FROM read_csv('{release}/by_province/{row["province_code"]}/*/indicator_observations.csv', all_varchar = true)
        WHERE unit_code = '{unit}' AND indicator_id = '{indicator}' AND period_type = '{period_type}'
          AND period = '{period}' AND formula_version = '{version}' AND coalesce(agency_code, '') = '' AND coalesce(ma_linh_vuc, '') = ''
          AND coalesce(ma_tthc, '') = ''""").fetchall()
    assert len(rows) == 1, (unit, indicator, period, rows)
    return float(rows[0][0])


def _key(r: dict) -> tuple:
    return r["formula_version"], r["unit_code"], r["indicator_id"], r["period_type"], r["period"]


def _apply(raw: Path, fixes: dict[str, callable]) -> int:
    """Apply ``fixes`` (dossier code → fixer) to every version of those dossiers in the raw batches."""
    changed = 0
    for path in sorted((raw / "dossiers").glob("*.json")):
        batch = json.loads(path.read_text(encoding="utf-8"))
        hit = False
        for d in batch["data"]:
            if d.get("MaHoSo") in fixes:
                fixes[d["MaHoSo"]](d)
                hit, changed = True, changed + 1
        if hit:
            path.write_text(json.dumps(batch, ensure_ascii=False), encoding="utf-8")
    return changed


@pytest.fixture(scope="module")
def recomputed(sample_run, tmp_path_factory):
    # the session's sample run, copied (raw root and output), is the "before": its plan is applied to the copy
    raw = tmp_path_factory.mktemp("raw_plan")
    shutil.copytree(SAMPLE, raw, dirs_exist_ok=True)
    out = tmp_path_factory.mktemp("out_plan")
    shutil.copytree(sample_run[0].out_dir, out, symlinks=True, dirs_exist_ok=True)
    assert sample_run[1] == [], sample_run[1]
    settings = Settings(raw_dir=raw, out_dir=out)
    before = (settings.publish_dir / "latest").resolve()
    plan = _plan(before)
    year = max(r["period"] for r in plan if r["period_type"] == "Y")
    # the top action (rank 1) of each commune in the latest year, where every item to fix is named and the row is
    # one a dossier field fixes
    tops = [r for r in plan if r["period_type"] == "Y" and r["period"] == year and r["unit_level"] == "xa"
            and r["action_rank"] == "1" and r["item_kind"] == "dossier" and r["indicator_id"] in FIXERS
            and int(r["items_to_full"]) <= len(r["named_items"].split(";"))]
    assert len(tops) >= 2, f"the sample should give two communes a fixable top action: {tops}"
    whole, first = tops[0], tops[1]
    fixes = {code: FIXERS[whole["indicator_id"]]
             for code in whole["named_items"].split(";")[: int(whole["items_to_full"])]}
    fixes[first["named_items"].split(";")[0]] = FIXERS[first["indicator_id"]]
    assert _apply(raw, fixes) >= len(fixes)
    old = {k: _points(before, r) for k, r in (("whole", whole), ("first", first))}
    failures, _, _ = run_pipeline(settings)  # incremental: only the changed months are rebuilt
    assert failures == [], failures
    after = (settings.publish_dir / "latest").resolve()
    assert after != before, "the changed raw root must publish a new release"
    new = {k: _points(after, r) for k, r in (("whole", whole), ("first", first))}
    return {"whole": whole, "first": first, "old": old, "new": new, "plan_after": _plan(after), "year": year}


def test_applying_the_top_action_recovers_the_promised_points(recomputed):
    # e.g. on the sample: 02005's top action in 2023 is 3_6 (0/2 fee-bearing dossiers paid online, 0 of 6 points):
    # both paid online → 2/2 → 6.00, the promised +6.00
    a = recomputed["whole"]
    assert float(a["points"]) == recomputed["old"]["whole"]
    gained = round(recomputed["new"]["whole"] - recomputed["old"]["whole"], 2)
    assert gained == float(a["gain_to_full"]), (a, recomputed["old"], recomputed["new"])
    assert recomputed["new"]["whole"] == float(a["max_points"])  # a linear row: all items fixed = full points
    # and the new plan no longer lists the row for that commune and year
    assert not [r for r in recomputed["plan_after"] if _key(r) == _key(a)]


def test_fixing_one_named_item_recovers_the_first_item_gain(recomputed):
    a = recomputed["first"]
    gained = round(recomputed["new"]["first"] - recomputed["old"]["first"], 2)
    assert gained == float(a["gain_first_item"]), (a, recomputed["old"], recomputed["new"])
    after = [r for r in recomputed["plan_after"] if _key(r) == _key(a)]
    assert len(after) == 1 and int(after[0]["failing_items"]) == int(a["failing_items"]) - 1
    assert a["named_items"].split(";")[0] not in after[0]["named_items"].split(";")
