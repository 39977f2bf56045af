"""The spec's own example raw root (a copy of ../shared/spec/examples in tests/fixtures/spec_examples), run end to
end, against values computed by hand.

The three example dossiers (as-of = latest NgayCapNhat = 2023-08-10 16:05, so 2023-08 and 2023-Q3 are running):
  A 000.05.63.H06-230612-0031  Lục Bình (the raw root's reference/agencies.csv maps 000.05 → 01990, overriding
    the seed), received 2023-06-12, due 06-13, ended 06-13 09:30 → on time (same day as due), online.
  B 000.00.63.H06-230703-0102  district agency (no MaDonViXuLy: attributed by the code prefix), received 07-03,
    in person, due 08-01; one supplement requested 07-10 10:00, received 07-17 08:30 (6 d 22 h 30 min);
    ended 08-10 16:00 → adjusted 08-03 17:30 → 08-03 > 08-01: late.
  C 000.05.63.H06-230630-0044  Lục Bình, received 06-30 15:15 online, due 06-30, status 4 (open).

2023-06 (P_end 06-30): resolved A on time; pending C, due 06-30 ≥ 06-30 → within time.
  Biểu 06 063: received 2 online + 0 direct + 0 carried = 2 = resolved 1 (on time) + pending 1 (within).
  QD766_2_1 = (1 + 1) / 2 = 100 % → 20 points.
2023-07 (P_end 07-31): received B (direct) 1, carried over C 1; nothing resolved; pending B (due 08-01 ≥ 07-31:
  within) and C (06-30 < 07-31: overdue).  QD766_2_1 = 1 / 2 = 50 % → 10 points.
2023-Q3 (running, P_end = 08-10): received B 1 + carried C 1 = 2 = resolved B (late) 1 + pending C (overdue) 1.
  QD766_2_1 = 0 / 2 = 0 %, obs_status P.  Commune 01990 in Q3: only C → 0 / 1, P.
"""

import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.settings import Settings
from orchestration.runner import run_pipeline

EXAMPLES = Path(__file__).parent / "fixtures" / "spec_examples"


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    raw = tmp_path_factory.mktemp("examples_raw")
    shutil.copytree(EXAMPLES, raw, dirs_exist_ok=True)
    out = tmp_path_factory.mktemp("examples_out")
    failures, _, _ = run_pipeline(Settings(raw_dir=raw, out_dir=out))
    assert failures == []
    return (out / "publish" / "latest").resolve()


def bieu06(release: Path, unit: str, period: str, valid_from: str = "2020-01-01"):
    cols = ("received_online, received_direct_postal, carried_over, received_total, resolved_early, resolved_on_time,"
            " resolved_late, resolved_total, pending_within_time, pending_overdue, pending_total")
    return duckdb.sql(f"""SELECT {cols} FROM read_parquet('{release}/bieu06/*/*/part.parquet', hive_partitioning = false)
                          WHERE unit_code = '{unit}' AND unit_valid_from = DATE '{valid_from}' AND period = '{period}'
                            AND ma_linh_vuc IS NULL""").fetchall()


def qd766_2_1(release: Path, unit: str, period: str, valid_from: str = "2020-01-01"):
    """The whole-unit QD766_2_1 row of a unit version (the 2023 examples: the units as they were, v2020-01-01)."""
    return duckdb.sql(f"""SELECT numerator, denominator, ratio, points, obs_status
        FROM read_parquet('{release}/observations/*/*/part.parquet', hive_partitioning = false)
        WHERE indicator_id = 'QD766_2_1' AND unit_code = '{unit}' AND unit_valid_from = DATE '{valid_from}'
          AND period = '{period}' AND agency_code IS NULL AND ma_linh_vuc IS NULL""").fetchall()


def test_examples_by_hand(release):
    #                       online direct carried | total early ontime late | resolved within overdue | pending
    assert bieu06(release, "063", "2023-06") == [(2, 0, 0, 2, 0, 1, 0, 1, 1, 0, 1)]
    assert bieu06(release, "063", "2023-07") == [(0, 1, 1, 2, 0, 0, 0, 0, 1, 1, 2)]
    assert bieu06(release, "063", "2023-Q3") == [(0, 1, 1, 2, 0, 0, 1, 1, 0, 1, 1)]
    assert bieu06(release, "01990", "2023-06") == [(2, 0, 0, 2, 0, 1, 0, 1, 1, 0, 1)]
    assert qd766_2_1(release, "063", "2023-06") == [(2, 2, 100.0, 20.0, "A")]
    assert qd766_2_1(release, "063", "2023-07") == [(1, 2, 50.0, 10.0, "A")]
    assert qd766_2_1(release, "063", "2023-Q3") == [(0, 2, 0.0, 0.0, "P")]
    assert qd766_2_1(release, "01990", "2023-Q3") == [(0, 1, 0.0, 0.0, "P")]
    # the province rolls up the district's subtree; a commune with no data at all in the period is out of coverage
    # (METHODOLOGY §1): missing (M), without points — not scored 0
    assert qd766_2_1(release, "06", "2023-06") == [(2, 2, 100.0, 20.0, "A")]
    assert qd766_2_1(release, "01969", "2023-06") == [(0, 0, None, None, "M")]
    # the comparable series of the new commune Phủ Thông (01969 v2025-07-01 ← TT Phủ Thông, Vi Hương, Tân Tú, Lục
    # Bình 01990): in June 2023 only Lục Bình had dossiers, so the back-cast value is Lục Bình's, marked E
    assert qd766_2_1(release, "01969", "2023-06", "2025-07-01") == [(2, 2, 100.0, 20.0, "E")]


def test_a_raw_root_with_only_dossiers_publishes(tmp_path):
    """Every source but dossiers is optional: the absent ones become empty lake tables, recorded as absent."""
    raw = tmp_path / "raw"
    shutil.copytree(EXAMPLES / "dossiers", raw / "dossiers")
    out = tmp_path / "out"
    failures, _, _ = run_pipeline(Settings(raw_dir=raw, out_dir=out))
    assert failures == []
    inventory = dict(duckdb.sql(f"SELECT source_name, present FROM read_parquet('{out}/lake/source_inventory/*.parquet')").fetchall())
    assert inventory["dossiers"] is True and inventory["petitions"] is False and inventory["ratings"] is False
    assert inventory["procedures"] is False and inventory["survey_answers"] is False
    # same dossiers, same values as with every source present (QD766_2_1 needs only dossiers and agencies;
    # the example's agency 000.05.63.H06 now resolves through the committed seed, to Đôn Phong 01984)
    assert qd766_2_1((out / "publish" / "latest").resolve(), "063", "2023-07") == [(1, 2, 50.0, 10.0, "A")]
