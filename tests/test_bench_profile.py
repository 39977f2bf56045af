"""The bench's stage profile is read from a run's own log (orchestration/bench/profile.py): Dagster's step
durations in every format Dagster prints, dbt's per-model lines (with the colour codes of a terminal), the records
landing read and the release's parts."""

import pytest

from orchestration.bench.profile import STAGES, parse_duration, profile_lines, run_profile

LOG = """\
2026-11-27 09:49:07 +0000 - dagster - INFO - job - r1 - lake__landed_petition_files - [1/1] petitions/petitions_202507.csv: landed, read \
4060, loaded 4060, quarantined 0 , duplicates 0
2026-11-27 09:49:08 +0000 - dagster - DEBUG - job - r1 - 9329 - lake__landed_petition_files - STEP_SUCCESS - Finished execution of step \
"lake__landed_petition_files" in 2.03s.
2026-11-27 09:49:15 +0000 - dagster - INFO - job - r1 - lake__ref_agencies - reference/agencies.csv: landed, read 634, loaded 634, \
quarantined 0 {}, duplicates 0
2026-11-27 09:49:15 +0000 - dagster - INFO - job - r1 - lake__ref_agencies - reference/targets.csv: unchanged, read 28, loaded 28, \
quarantined 0 {}, duplicates 0
2026-11-27 09:49:15 +0000 - dagster - DEBUG - job - r1 - 9329 - lake__ref_agencies - STEP_SUCCESS - Finished execution of step \
"lake__ref_agencies" in 317ms.
2026-11-27 09:49:30 +0000 - dagster - INFO - job - r1 - lake__landed_dossier_files - [1/2] dossiers/dongbo_202507_01_001.json: landed, \
read 8933, loaded 8930, quarantined 3 , duplicates 0
2026-11-27 09:49:31 +0000 - dagster - INFO - job - r1 - lake__landed_dossier_files - [2/2] dossiers/dongbo_202507_04_001.json.gz: landed, \
read 1067, loaded 1067, quarantined 0 , duplicates 0
2026-11-27 09:50:29 +0000 - dagster - DEBUG - job - r1 - 9329 - lake__landed_dossier_files - STEP_SUCCESS - Finished execution of step \
"lake__landed_dossier_files" in 50.0s.
2026-11-27 09:50:51 +0000 - dagster - DEBUG - job - r1 - 9329 - lake__dossiers - STEP_SUCCESS - Finished execution of step \
"lake__dossiers" in 22.24s.
12 of 293 \x1b[32mOK\x1b[0m created sql table model intermediate.int_qd766_procedure_items ........ [\x1b[32mOK\x1b[0m in 37.52s]
13 of 293 \x1b[32mOK\x1b[0m created sql view model staging.stg_dossiers__dossiers ................ [\x1b[32mOK\x1b[0m in 4.87s]
14 of 293 \x1b[32mOK\x1b[0m created sql table model publish.indicator_observations .............. [\x1b[32mOK\x1b[0m in 18.65s]
15 of 293 \x1b[32mOK\x1b[0m created sql incremental model intermediate.int_dossier_period_status .. [\x1b[32mOK\x1b[0m in 3.25s]
2026-11-27 09:51:00 +0000 - dagster - INFO - job - r2 - cchc_dbt_models - incremental build: periods ending on or after 2026-06-20 (or the \
as-of date), dossiers of 1 rewritten month(s) 2026-07; 1 lake rewrite(s) since the last build
2026-11-27 09:53:07 +0000 - dagster - INFO - job - r2 - cchc_dbt_models - periods rebuilt by digest: ind_qd766_groups 7 of 23, \
ind_scored_values 7 of 23
2026-11-27 09:53:08 +0000 - dagster - DEBUG - job - r2 - 9329 - cchc_dbt_models - STEP_SUCCESS - Finished execution of step \
"cchc_dbt_models" in 2m17s.
2026-11-27 09:57:30 +0000 - dagster - INFO - job - r2 - release - release parts: national CSV files 40.2 s, Parquet, workbooks and \
province cuts 120.5 s, scorecards 68.0 s
2026-11-27 09:57:31 +0000 - dagster - DEBUG - job - r2 - 9329 - release - STEP_SUCCESS - Finished execution of step "release" in 1h2m3s.
"""


@pytest.mark.parametrize("text, seconds", [("368ms", 0.368), ("58.93s", 58.93), ("2m17s", 137.0), ("1h2m3s", 3723.0),
                                           ("5m", 300.0)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


def test_parse_duration_refuses_other_text():
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_profile_of_a_run_log():
    p = run_profile(LOG)
    assert p["steps"]["lake__ref_agencies"] == pytest.approx(0.317)
    assert p["steps"]["cchc_dbt_models"] == 137.0 and p["steps"]["release"] == 3723.0
    # the small sources are one stage: 2.03 + 0.317 = 2.347 s
    assert p["stages"]["other sources (catalogue, ratings, PAKN, surveys, reference)"] == pytest.approx(2.35)
    assert p["stages"][STAGES["lake__landed_dossier_files"]] == 50.0
    assert p["dbt_models"] == [["intermediate.int_qd766_procedure_items", 37.52], ["publish.indicator_observations", 18.65],
                               ["staging.stg_dossiers__dossiers", 4.87], ["intermediate.int_dossier_period_status", 3.25]]
    assert p["dbt_plan"].startswith("incremental build: periods ending on or after 2026-06-20")
    assert p["dbt_rescored"] == "periods rebuilt by digest: ind_qd766_groups 7 of 23, ind_scored_values 7 of 23"
    assert p["landed_records"] == 8933 + 1067
    # records/s per source: the files landed this run (an "unchanged" file read nothing new) over its steps' time
    assert p["landing_by_source"] == {"dossiers": {"records": 10000, "seconds": 50.0},
                                      "petitions": {"records": 4060, "seconds": 2.03},
                                      "reference": {"records": 634, "seconds": 0.317}}
    assert p["release_parts"] == {"national CSV files": 40.2, "Parquet, workbooks and province cuts": 120.5,
                                  "scorecards": 68.0}


def test_profile_lines_share_of_the_wall_time():
    p = run_profile(LOG)
    lines = profile_lines(p, wall_seconds=4000.0)
    assert lines[0].split() == ["3,723.0", "s", "93.1", "%", "release"] + STAGES["release"].split()[1:]
    # 10,000 records in 50 s
    assert any(line.strip() == "dossier landing: 10,000 records in 50.0 s = 200 records/s" for line in lines)
    # 10,000 / 50 = 200; 4,060 / 2.03 = 2,000; 634 / 0.317 = 2,000
    assert ("  landing records/s by source: dossiers 10,000 in 50.0 s = 200/s; petitions 4,060 in 2.0 s = 2,000/s; "
            "reference 634 in 0.3 s = 2,000/s") in lines
    # 4000 - (3723 + 137 + 50 + 22.24 + 2.347) = 65.413 s outside the steps
    assert any(line.strip().startswith("65.4 s   1.6 %  outside the steps") for line in lines)
    assert lines[-3].startswith("  dbt: incremental build: periods ending on or after 2026-06-20")
    assert lines[-2] == "  dbt: periods rebuilt by digest: ind_qd766_groups 7 of 23, ind_scored_values 7 of 23"
    assert lines[-1] == ("  dbt's slowest models: int_qd766_procedure_items 37.5 s, indicator_observations 18.6 s, "
                         "stg_dossiers__dossiers 4.9 s, int_dossier_period_status 3.2 s")
