"""The asset graph is a contract (asset keys, groups, checks, schedule, sensor): a rename cannot slip through."""

import dagster as dg

from orchestration.definitions import defs
from orchestration.transform.dbt_assets import dbt_build_args


def test_asset_groups_and_key_assets():
    graph = defs.resolve_asset_graph()
    groups = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_executable:
            groups.setdefault(node.group_name, set()).add(key.to_user_string())
    # the dbt assets are grouped by layer, as the project's folders
    assert set(groups) == {"ingest", "dbt_seeds", "dbt_staging", "dbt_intermediate", "dbt_marts", "dbt_indicators",
                           "dbt_publish", "quality", "publish"}
    assert {k.split("/")[0] for k in groups["dbt_indicators"]} == {"indicators", "analyst"}
    assert all(k.startswith("publish/") for k in groups["dbt_publish"])
    assert {"lake/landed_dossier_files", "lake/dossiers", "lake/procedures", "lake/publications", "lake/reviews",
            "lake/petitions", "lake/ratings", "lake/survey_answers", "lake/ref_agencies", "lake/ref_targets",
            "lake/source_inventory", "lake/landed_petition_files", "lake/landed_rating_files",
            "lake/source_db_pull", "lake/ref_admin_units", "lake/ref_unit_lineage",
            "lake/applicability"} == groups["ingest"]
    transform = set().union(*(keys for g, keys in groups.items() if g.startswith("dbt_")))
    assert {"publish/indicator_observations", "publish/report_bieu06", "indicators/ind_values_qd766_2_1",
            "indicators/ind_scored_values", "indicators/ind_qd766_groups", "indicators/ind_observations_all",
            "indicators/ind_bieu06", "marts/fct_dossiers"} <= transform
    assert groups["quality"] == {"quality_gate"} and groups["publish"] == {"portal_reconciliation", "release", "postgres_publication"}
    partitioned = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).is_partitioned}
    assert partitioned == {"lake/dossiers", "lake/petitions", "lake/ratings"}  # the time-based sources, by month
    # the source-database pull feeds the dossier and rating partitions and the catalogue
    for key in ("lake/dossiers", "lake/ratings", "lake/procedures"):
        assert dg.AssetKey(["lake", "source_db_pull"]) in graph.get(dg.AssetKey(key.split("/"))).parent_keys


def test_blocking_checks_and_dbt_tests_are_asset_checks():
    graph = defs.resolve_asset_graph()
    checks = {f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys}
    assert "lake/dossiers:gx_lake_dossiers" in checks and "quality_gate:gx_publish_tables" in checks
    assert any(c.startswith("publish/report_bieu06:") for c in checks)  # dbt tests surface as checks


def test_schedule_and_sensor():
    assert [s.name for s in defs.schedules] == ["cchc_monthly"]
    assert [s.name for s in defs.sensors] == ["raw_files_sensor"]


def test_dbt_build_args():
    # unit tests test the code (tests/test_dbt_build.py runs them), not each run's data
    assert dbt_build_args(None) == ["build", "--no-use-colors", "--exclude", "resource_type:unit_test"]
    assert dbt_build_args("2023-03-31T18:00:00") == ["build", "--no-use-colors", "--exclude", "resource_type:unit_test",
                                                     "--vars", '{"as_of": "2023-03-31T18:00:00"}']


def test_sensor_notices_new_raw_files(tmp_path, monkeypatch):
    import dagster as dg

    from orchestration.lib.partitions import RANGE_END_TAG, RANGE_START_TAG
    from orchestration.lib.sensors import raw_files_sensor

    (tmp_path / "dossiers").mkdir()
    (tmp_path / "dossiers" / "a.json").write_text("{}", encoding="utf-8")
    monkeypatch.setenv("CCHC_RAW_DIR", str(tmp_path))
    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance)
        first = raw_files_sensor(ctx)
        assert isinstance(first, dg.RunRequest)
        assert first.tags[RANGE_START_TAG] == "2010-01-01" and first.tags[RANGE_END_TAG] > "2026-01-01"
        assert isinstance(raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=ctx.cursor)), dg.SkipReason)
        (tmp_path / "dossiers" / "b.json").write_text("{}", encoding="utf-8")
        again = raw_files_sensor(dg.build_sensor_context(instance=instance, cursor=ctx.cursor))
        assert isinstance(again, dg.RunRequest) and again.run_key != first.run_key


def test_monthly_schedule_covers_every_month_up_to_the_new_one():
    import datetime as dt

    import dagster as dg

    from orchestration.lib.partitions import RANGE_END_TAG, RANGE_START_TAG

    schedule = defs.get_schedule_def("cchc_monthly")
    assert schedule.cron_schedule == "0 2 1 * *"
    ctx = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2024, 4, 1, 2, 0, tzinfo=dt.timezone.utc))
    (request,) = schedule.evaluate_tick(ctx).run_requests
    # March 2024 just ended; April is the running month (end_offset=1); earlier months only if their files changed
    assert (request.tags[RANGE_START_TAG], request.tags[RANGE_END_TAG]) == ("2010-01-01", "2024-04-01")


def test_each_dbt_folder_reads_only_the_folders_before_it():
    """staging → intermediate → marts → indicators → publish: a model reads models of its own layer or earlier ones
    (seeds anywhere), so a layer can be understood without the ones after it."""
    import json

    from orchestration.lib.settings import DBT_PROJECT_DIR

    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))
    order = ["staging", "intermediate", "marts", "indicators", "publish"]
    models = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    wrong = [f"{n['name']} ({n['fqn'][1]}) reads {models[p]['name']} ({models[p]['fqn'][1]})"
             for n in models.values() for p in n["depends_on"]["nodes"]
             if p in models and order.index(models[p]["fqn"][1]) > order.index(n["fqn"][1])]
    assert wrong == []
