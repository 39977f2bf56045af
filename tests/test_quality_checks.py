"""Quality gates (issue 4, items 1 and 5): GX suites → Dagster asset checks, severities, volume and
completeness warnings, cross-table consistency, Data Docs, the release manifest's quality section."""

import json
import shutil

import dagster as dg
import duckdb
import pandas as pd
import pytest

from orchestration.lib.settings import EXPECTATIONS_DIR, REPO_ROOT, Settings, settings_from_env
from orchestration.quality import assets as quality_assets
from orchestration.quality import lake_checks, publish_checks, records
from orchestration.quality.gx_suites import build_data_docs, load_suite_json, store_gx_results, validate_frame

SAMPLE = REPO_ROOT / "raw" / "sample"


def _ratings(**over):
    row = {"ma_ho_so": "000.01.63.H06-230101-0001", "ngay_danh_gia": pd.Timestamp("2023-01-05"), "muc_do": "hai_long",
           "_source_file": "ratings/r.csv", "_source_sha256": "a" * 64, "_source_record": 1,
           "_loaded_at": pd.Timestamp("2023-02-01"), "thang_danh_gia": "2023-01"}
    return {**row, **over}


# --- suites ---------------------------------------------------------------------------------------------

def test_every_suite_is_valid_json_with_severities():
    for path in EXPECTATIONS_DIR.glob("*.json"):
        spec = json.loads(path.read_text(encoding="utf-8"))
        assert spec["name"] == path.stem
        assert spec["expectations"], path
        assert {e.get("severity") for e in spec["expectations"]} <= {"critical", "warning"}, path


def test_lake_suites_declare_the_lake_contract():
    """The schema part of each lake suite is the lake_schema contract (+ the partition column): a column added to
    the lake without its suite, or the other way round, fails here."""
    from orchestration.lib import lake_schema

    for table, suite in lake_checks.LAKE_SUITES.items():
        schema, _, part = lake_schema.TABLES[table]
        expected = {**schema, **({part: "VARCHAR"} if part else {})}
        assert load_suite_json(suite)["columns"] == expected, suite


def test_critical_failure_fails_the_blocking_check_and_a_warning_does_not():
    good = pd.DataFrame([_ratings(), _ratings(ma_ho_so="X2")])
    ok = validate_frame("lake_ratings", good, "2023-01")
    assert not ok.critical_failures and not ok.warnings
    bad = pd.DataFrame([_ratings(), _ratings(muc_do="tuyet_voi"), _ratings()])  # unknown rating, duplicate key
    res = validate_frame("lake_ratings", bad, "2023-01")
    failed = {(o.expectation, o.column) for o in res.critical_failures}
    assert ("expect_column_values_to_be_in_set", "muc_do") in failed
    assert ("expect_column_values_to_be_unique", "ma_ho_so") in failed
    (crit,) = records.suite_records("gx_lake_ratings", "lake/ratings", [res], {"critical"})
    assert not crit.passed and crit.blocking and "tuyet_voi" in crit.message
    assert quality_assets.check_result(crit).severity == dg.AssetCheckSeverity.ERROR

    # procedures: an unknown service level is a warning expectation
    proc = pd.DataFrame([{"ma_tthc": "1.000001", "ten_tthc": "x", "cap_thuc_hien": "xa", "don_vi_thoi_han": "ngay",
                          "muc_do_dvc": "hoan_toan", "thoi_han": 5.0}])
    res = validate_frame("lake_procedures", proc, "all")
    assert not [o for o in res.critical_failures if o.column == "muc_do_dvc"]
    assert [o for o in res.warnings if o.column == "muc_do_dvc"]
    recs = {r.name: r for r in records.suite_records("gx_lake_procedures", "lake/procedures", [res], {"critical", "warning"})}
    warn = recs["gx_lake_procedures_warnings"]
    assert not warn.passed and not warn.blocking and quality_assets.check_result(warn).severity == dg.AssetCheckSeverity.WARN


def test_schema_types_are_checked():
    frame = pd.DataFrame([_ratings()])
    types = {c: t for c, t in load_suite_json("lake_ratings")["columns"].items()} | {"ngay_danh_gia": "VARCHAR"}
    res = validate_frame("lake_ratings", frame, "2023-01", types=types)
    (fail,) = [o for o in res.critical_failures if o.expectation.startswith("column types")]
    assert "ngay_danh_gia" in str(fail.examples)
    missing = validate_frame("lake_ratings", frame.drop(columns=["muc_do"]), "2023-01")
    assert any(o.expectation == "expect_table_columns_to_match_set" for o in missing.critical_failures)


def _gate(severity: str, passed: bool):
    """upstream (one check) → downstream, materialised in process."""
    rec = records.CheckRecord(name="c", asset="up", severity=severity, passed=passed, message="m")

    @dg.asset(check_specs=[dg.AssetCheckSpec("c", asset="up", blocking=rec.blocking)])
    def up():
        yield dg.MaterializeResult()
        yield quality_assets.check_result(rec)

    @dg.asset(deps=[up])
    def down():
        return None

    result = dg.materialize([up, down], raise_on_error=False)
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_critical_blocks_downstream_warning_does_not():
    assert _gate("critical", False) == {"up"}
    assert _gate("warning", False) == {"up", "down"}
    assert _gate("critical", True) == {"up", "down"}


def test_every_lake_table_has_blocking_checks():
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    specs = {f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys}
    for table, suite in lake_checks.LAKE_SUITES.items():
        assert f"lake/{table}:gx_{suite}" in specs
    for t in lake_checks.TIME_BASED:
        assert f"lake/{t}:volume_lake_{t}" in specs
    assert {"quality_gate:gx_publish_tables", "quality_gate:gx_publish_tables_warnings",
            "quality_gate:publish_consistency", "lake/dossiers:completeness_lake_dossiers"} <= specs
    blocking = {(s.asset_key.to_user_string(), s.name): s.blocking for a in defs.assets for s in getattr(a, "check_specs", [])}
    assert blocking[("lake/dossiers", "gx_lake_dossiers")] and not blocking[("lake/dossiers", "volume_lake_dossiers")]
    assert blocking[("quality_gate", "publish_consistency")] and not blocking[("quality_gate", "gx_publish_tables_warnings")]


# --- volume and completeness ----------------------------------------------------------------------------

SERIES = {"2023-01": 1000, "2023-02": 550, "2023-03": 1000,  # Tết 2023 in January–February: a dip of 45 %
          "2023-12": 1000, "2024-01": 980, "2024-02": 300, "2024-03": 1000}  # Feb 2024: −69 % vs Jan, −45 % vs Feb 2023


def test_volume_drop_vs_previous_month_and_same_month_last_year(tmp_path, monkeypatch):
    settings = Settings(raw_dir=tmp_path, out_dir=tmp_path)  # volume_drop_warn 0.5 by default
    rec, res = lake_checks.check_volume(settings, "dossiers", ["2023-02", "2024-02", "2024-03"], counts=SERIES, current_month=None)
    assert rec.severity == "warning" and not rec.blocking and not rec.passed
    assert quality_assets.check_result(rec).severity == dg.AssetCheckSeverity.WARN
    text = "\n".join(rec.details)
    assert "month=2024-02" in text and "previous month" in text  # 300 vs 980: −69 %
    assert "2023-02" not in text and "2024-03" not in text  # −45 % is within the default 50 %
    # a stricter threshold also flags the drop against the same month a year earlier (300 vs 550)
    rec, _ = lake_checks.check_volume(settings.replace(volume_drop_warn=0.4), "dossiers", ["2023-02", "2024-02"], counts=SERIES,
                                 current_month=None)
    text = "\n".join(rec.details)
    assert "same month a year earlier" in text and "same_month_last_year_rows=550" in text
    assert "month=2023-02" in text  # the Tết dip of 2023 (−45 %) against January
    # the month still in progress is not judged
    rec, _ = lake_checks.check_volume(settings, "dossiers", ["2024-02"], counts=SERIES, current_month="2024-02")
    assert rec.passed
    monkeypatch.setenv(lake_checks.VOLUME_ENV, "1.5")  # read from the environment at the boundary, refused there
    with pytest.raises(ValueError, match=lake_checks.VOLUME_ENV):
        settings_from_env(tmp_path, tmp_path)


def test_volume_frame_comparisons():
    frame = lake_checks.volume_frame(SERIES, ["2024-02"], None)
    row = frame.iloc[0]
    assert (row["previous_month_rows"], row["same_month_last_year_rows"]) == (980, 550)
    assert row["drop_vs_previous_month"] == pytest.approx(1 - 300 / 980, abs=1e-4)
    assert row["drop_vs_same_month_last_year"] == pytest.approx(1 - 300 / 550, abs=1e-4)
    assert pd.isna(lake_checks.volume_frame(SERIES, ["2023-01"], None).iloc[0]["drop_vs_previous_month"])  # nothing before


def test_completeness_warns_for_an_agency_that_went_silent(tmp_path):
    settings = Settings(raw_dir=tmp_path, out_dir=tmp_path)
    con = duckdb.connect()
    for month, agencies in {"2023-01": ["A", "B"], "2023-02": ["A"], "2023-03": ["A", "B"]}.items():
        folder = tmp_path / "lake" / "dossiers" / f"thang_tiep_nhan={month}"
        folder.mkdir(parents=True)
        values = ", ".join(f"('{a}', TIMESTAMP '{month}-15')" for a in agencies)
        con.execute(f"COPY (SELECT * FROM (VALUES {values}) t(ma_don_vi_xu_ly, ngay_cap_nhat)) TO '{folder}/part-0.parquet'")
    settings = Settings(raw_dir=tmp_path, out_dir=tmp_path, as_of="2023-04-02T00:00:00")
    rec, _ = lake_checks.check_completeness(settings, ["2023-02", "2023-03"])
    assert not rec.passed and rec.severity == "warning"
    assert rec.details == ["agency with dossiers in the previous month has none this month: agency=B month=2023-02 previous_month_rows=1"]


# --- Data Docs and manifest -----------------------------------------------------------------------------

def test_data_docs_are_built_under_the_output_folder(tmp_path):
    res = validate_frame("lake_ratings", pd.DataFrame([_ratings(muc_do="x")]), "2023-01")
    reports = tmp_path / "quality"
    store_gx_results(reports, [res], "testrun")
    index = build_data_docs(reports)
    assert index == reports / "data_docs" / "index.html" and index.exists()
    assert "lake_ratings" in index.read_text(encoding="utf-8")
    assert list((reports / "data_docs" / "validations").rglob("*.html"))
    assert not (REPO_ROOT / "gx").exists()


def test_manifest_quality_section_lists_every_check_and_the_warnings(tmp_path):
    from orchestration.publish.release import quality_section

    settings = Settings(raw_dir=tmp_path, out_dir=tmp_path)
    records.write_record(settings.reports_dir, records.CheckRecord("gx_lake_x", "lake/x", "critical", True, "all passed"))
    records.write_record(settings.reports_dir, records.CheckRecord("volume_lake_x", "lake/x", "warning", False, "2024-02 fell 69 %",
                                                                 details=["month=2024-02"]))
    q = quality_section(settings)
    assert q["passed"] is True
    assert [(c["name"], c["severity"], c["passed"]) for c in q["checks"]] == [
        ("gx_lake_x", "critical", True), ("volume_lake_x", "warning", False)]
    assert q["warnings"] == [{"check": "lake/x:volume_lake_x", "message": "2024-02 fell 69 %"}]
    assert "1 warning" in q["summary"]


# --- end to end on the sample ---------------------------------------------------------------------------

def test_sample_run_publishes_with_every_check_in_the_manifest(sample_run):
    settings, failures, warnings = sample_run[:3]
    assert failures == []
    manifest = json.loads((settings.publish_dir / "latest" / "manifest.json").read_text(encoding="utf-8"))
    q = manifest["quality"]
    names = {f"{c['asset']}:{c['name']}" for c in q["checks"]}
    for table, suite in lake_checks.LAKE_SUITES.items():
        assert f"lake/{table}:gx_{suite}" in names
    assert {"quality_gate:gx_publish_tables", "quality_gate:publish_consistency", "lake/dossiers:volume_lake_dossiers"} <= names
    assert all({"name", "severity", "passed", "message"} <= set(c) for c in q["checks"])
    assert q["passed"] and all(c["passed"] for c in q["checks"] if c["severity"] == "critical")
    assert q["warnings"] == [{"check": f"{c['asset']}:{c['name']}", "message": c["message"]}
                             for c in q["checks"] if not c["passed"] and c["severity"] == "warning"]
    assert (settings.out_dir / q["data_docs"]).exists()
    index = (settings.reports_dir / "data_docs" / "index.html").read_text(encoding="utf-8")
    assert "publish_consistency" in index and "lake_dossiers" in index


def test_hacked_bieu06_row_breaks_consistency(sample_run, tmp_path):
    settings = sample_run[0]
    hacked = Settings(raw_dir=settings.raw_dir, out_dir=tmp_path)
    shutil.copy(settings.warehouse_path, hacked.warehouse_path)
    with duckdb.connect(str(hacked.warehouse_path)) as con:
        con.execute("""UPDATE publish.report_bieu06 SET received_total = received_total + 1
                       WHERE unit_code = '063' AND period = '2023-01' AND ma_linh_vuc IS NULL""")
        con.execute("""UPDATE publish.indicator_observations SET points = points + 5
                       WHERE indicator_id = 'QD766_2_1' AND unit_code = '063' AND period = '2023-02' AND agency_code IS NULL
                         AND ma_linh_vuc IS NULL AND ma_tthc IS NULL AND period_type = 'M'""")
    results, consistency = publish_checks.publish_results(hacked)
    recs = {r.name: r for r in publish_checks.publish_records(results, consistency)}
    rec = recs["publish_consistency"]
    assert not rec.passed and rec.blocking
    text = "\n".join(rec.details)
    assert "received (3) = resolved (7) + pending (11)" in text and "2023-01 063" in text
    assert "received (3) = online (4)" in text
    assert "QD766_TDGQ 2023-02 063" in text  # the group no longer equals the sum of its rows


def test_consistency_computed_period_by_period_equals_the_whole_warehouse_query(sample_run):
    """The gate computes the consistency relations one period at a time (bounded DuckDB memory at 20 M dossiers):
    the same relations, violations included, as the single query over the whole warehouse."""
    settings = sample_run[0]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        whole = con.execute(publish_checks.consistency_query(con)).fetchall()
        frame = publish_checks.consistency_frame(con)
        periods = con.execute("SELECT count(DISTINCT (period_type, period)) FROM publish.report_bieu06").fetchone()[0]
    per_period = [tuple(None if pd.isna(v) else v for v in row) for row in frame[["rule", "violation"]].itertuples(index=False)]
    assert periods > 1 and len(whole) > 1000
    assert sorted(per_period, key=repr) == sorted(whole, key=repr)

def test_cli_summary_in_plain_words(sample_run, capsys):
    from orchestration.run_summary import print_summary

    settings, failures, warnings = sample_run[:3]
    print_summary(settings, failures, warnings)
    out = capsys.readouterr().out
    assert "In plain words:" in out and "dossiers: " in out and "loaded" in out
    assert "Quality checks (Great Expectations):" in out and "Data Docs:" in out


def test_large_publish_tables_are_validated_period_by_period(sample_run, tmp_path, monkeypatch):
    """Above CCHC_GX_CHUNK_ROWS a publish table is validated one period at a time (bounded memory at national
    scale); a broken row is still found, in its period's batch."""
    settings = sample_run[0]
    hacked = Settings(raw_dir=settings.raw_dir, out_dir=tmp_path)
    shutil.copy(settings.warehouse_path, hacked.warehouse_path)
    with duckdb.connect(str(hacked.warehouse_path)) as con:
        periods = con.execute("SELECT count(DISTINCT (period_type, period)) FROM publish.indicator_observations").fetchone()[0]
        con.execute("""UPDATE publish.indicator_observations SET obs_status = 'Z'
                       WHERE indicator_id = 'QD766_2_1' AND unit_code = '063' AND period = '2023-02' AND period_type = 'M'""")
    monkeypatch.setenv("CCHC_GX_CHUNK_ROWS", "100")
    results, _ = publish_checks.publish_results(hacked)
    obs = [r for r in results if r.batch.startswith("indicator_observations ")]
    assert len(obs) == periods > 5
    failed = [r.batch for r in obs if r.critical_failures]
    assert failed == ["indicator_observations M 2023-02"]


def test_unchanged_periods_keep_their_result_and_changed_ones_are_validated_again(sample_run, tmp_path, monkeypatch):
    """Per-period validation remembers the periods that passed (fingerprint of their rows): a second gate on the
    same rows re-validates nothing, a period whose rows changed is validated again (and its failure found), and a
    period that failed is never remembered."""
    settings = sample_run[0]
    out = Settings(raw_dir=settings.raw_dir, out_dir=tmp_path)
    shutil.copy(settings.warehouse_path, out.warehouse_path)
    monkeypatch.setenv("CCHC_GX_CHUNK_ROWS", "100")
    first, _ = publish_checks.publish_results(out)
    obs_first = {r.batch: r for r in first if r.batch.startswith("indicator_observations ")}
    assert len(obs_first) > 5 and not any(r.reused_from for r in obs_first.values())
    assert all(not r.critical_failures for r in obs_first.values())

    second, _ = publish_checks.publish_results(out)
    obs_second = {r.batch: r for r in second if r.batch.startswith("indicator_observations ")}
    assert set(obs_second) == set(obs_first) and all(r.reused_from for r in obs_second.values())
    assert [(o.expectation, o.column, o.success) for o in obs_second["indicator_observations M 2023-02"].outcomes] == \
           [(o.expectation, o.column, o.success) for o in obs_first["indicator_observations M 2023-02"].outcomes]
    rec = next(r for r in publish_checks.publish_records(second, _) if r.name == "gx_publish_tables")
    assert rec.passed and "not re-validated" in rec.message

    with duckdb.connect(str(out.warehouse_path)) as con:  # one row of one month becomes invalid
        con.execute("""UPDATE publish.indicator_observations SET obs_status = 'Z'
                       WHERE indicator_id = 'QD766_2_1' AND unit_code = '063' AND period = '2023-02' AND period_type = 'M'""")
    third, _ = publish_checks.publish_results(out)
    obs_third = {r.batch: r for r in third if r.batch.startswith("indicator_observations ")}
    validated = sorted(b for b, r in obs_third.items() if not r.reused_from)
    assert validated == ["indicator_observations M 2023-02"]
    assert obs_third["indicator_observations M 2023-02"].critical_failures
    fourth, _ = publish_checks.publish_results(out)  # still failing: validated again, not remembered
    assert [b for b, r in ((r.batch, r) for r in fourth) if b.startswith("indicator_observations ") and not r.reused_from] \
        == ["indicator_observations M 2023-02"]


def test_large_tables_are_checked_in_a_worker_process_with_the_same_outcome(sample_run, monkeypatch):
    """Above LAKE_CHECK_WORKER_ROWS the lake checks and the gate's suites run in a spawned worker (its pandas memory
    goes back to the system when it exits — the orchestrator kept it through dbt and the release): the checks,
    their outcome and their messages are those of the in-process route."""
    import os

    settings = sample_run[0]
    months = sorted(p.name.split("=")[1] for p in (settings.lake_dir / "dossiers").glob("thang_tiep_nhan=2*"))
    assert lake_checks.lake_rows(settings, "dossiers", months) > 0
    outcome = lambda results: [(r.check_name, r.passed, r.severity, r.description) for r in results]  # noqa: E731
    # patched where run_lake_checks and quality_gate look them up: quality/assets.py imports both from lake_checks
    monkeypatch.setattr(quality_assets, "LAKE_CHECK_WORKER_ROWS", 10**12)
    in_process = outcome(quality_assets.run_lake_checks(settings, "dossiers", months))
    worker_pids = []
    real = quality_assets.in_worker
    monkeypatch.setattr(quality_assets, "in_worker", lambda fn, *a: worker_pids.append(os.getpid()) or real(fn, *a))
    monkeypatch.setattr(quality_assets, "LAKE_CHECK_WORKER_ROWS", 0)
    assert outcome(quality_assets.run_lake_checks(settings, "dossiers", months)) == in_process and worker_pids
    # the gate's records, computed in a worker, are those computed here
    key = lambda recs: [(r.name, r.passed, r.message) for r in recs]  # noqa: E731
    assert key(real(publish_checks.gate_records, settings, "w")) == key(publish_checks.gate_records(settings, "p"))


def test_a_large_validated_frame_is_freed_as_soon_as_it_is_dropped(monkeypatch):
    # GX's validation objects hold the frame in reference cycles; allocating a few large frames never triggers the
    # collection that frees them, so a worker validating a 20 M year's 13 monthly frames kept all of them (9.7 GB,
    # docs/benchmarks.md run 11). validate_frame collects after a frame of GC_FRAME_ROWS rows or more. Automatic
    # collection is off here so that only that collection can free the frame.
    import gc
    import weakref

    from orchestration.quality import gx_suites

    monkeypatch.setattr(gx_suites, "GC_FRAME_ROWS", 2)
    frame = pd.DataFrame([_ratings(), _ratings(ma_ho_so="X2")])
    alive = weakref.ref(frame)
    gc.disable()
    try:
        validate_frame("lake_ratings", frame, "2023-01")
        del frame
        assert alive() is None
    finally:
        gc.enable()


def test_a_finding_stays_in_force_until_its_month_changes(tmp_path):
    """Issue 22: the lake checks judge only the months a run rewrote; a warning found on a month that has not changed
    since is still listed (and the check still warned) on the next run, until that month is rewritten."""
    settings = Settings(raw_dir=tmp_path, out_dir=tmp_path)
    for month in ("2023-01", "2023-02", "2023-03"):
        (settings.lake_dir / "dossiers" / f"thang_tiep_nhan={month}").mkdir(parents=True)

    def record(details):
        return records.CheckRecord(name="completeness_lake_dossiers", asset="lake/dossiers", severity="warning",
                                  passed=not details, message="fresh", details=details, batches=[])

    found = "agency with dossiers in the previous month has none this month: agency=A1 month=2023-02 previous_month_rows=2"
    first = lake_checks.carry_forward(settings, "dossiers", record([found]), ["2023-01", "2023-02", "2023-03"])
    assert not first.passed and first.details == [found]  # nothing carried: every month was judged now
    # run 2 rewrites no month: the finding of 2023-02 is still in force
    second = lake_checks.carry_forward(settings, "dossiers", record([]), [])
    assert not second.passed and len(second.details) == 1 and second.details[0].startswith(found)
    assert "month unchanged since" in second.details[0] and "1 finding(s) of 1 unchanged month(s)" in second.message
    # run 3 rewrites 2023-03 only: 2023-02's finding still holds
    third = lake_checks.carry_forward(settings, "dossiers", record([]), ["2023-03"])
    assert not third.passed and "2023-02" in third.message
    # run 4 rewrites 2023-02 and the agency is back: the finding is gone
    fourth = lake_checks.carry_forward(settings, "dossiers", record([]), ["2023-02"])
    assert fourth.passed and fourth.details == [] and fourth.message == "fresh"
    # a month that left the lake takes its findings with it
    lake_checks.carry_forward(settings, "dossiers", record([found]), ["2023-02"])
    (settings.lake_dir / "dossiers" / "thang_tiep_nhan=2023-02").rmdir()
    assert lake_checks.carry_forward(settings, "dossiers", record([]), []).passed


def test_the_bieu06_identities_are_defined_once_and_the_gate_names_each_one():
    """The seed bieu06_identities is the one definition (dbt's assert_bieu06_invariants and the gate's consistency
    query read it); the publication gate's suite has an expectation for each of its rules, and no other Biểu 06 rule."""
    from orchestration.quality.publish_checks import bieu06_identities

    rules = [r for r, _, _, _ in bieu06_identities()]
    assert len(rules) == 4 and all(len(parts) >= 2 for _, _, parts, _ in bieu06_identities())
    suite = json.loads((EXPECTATIONS_DIR / "publish_consistency.json").read_text(encoding="utf-8"))
    named = [e["kwargs"]["row_condition"].split('"')[1] for e in suite["expectations"]
             if e["kwargs"].get("row_condition", "").startswith('rule == "bieu06_')]
    assert sorted(named) == sorted(rules)
    singular = (REPO_ROOT / "dbt_project" / "tests" / "singular" / "assert_bieu06_invariants.sql").read_text(encoding="utf-8")
    assert "ref('bieu06_identities')" in singular and "received_total <>" not in singular
