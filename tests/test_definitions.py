"""The asset graph is a contract (asset keys, groups, checks, schedule, sensor): a rename cannot slip through."""

from orchestration.definitions import defs
from orchestration.transform.dbt_assets import dbt_build_args


def test_asset_groups_and_key_assets():
    graph = defs.resolve_asset_graph()
    groups = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_executable:
            groups.setdefault(node.group_name, set()).add(key.to_user_string())
    assert set(groups) == {"ingest", "transform", "quality", "publish"}
    assert {"lake/landed_dossier_files", "lake/dossiers", "lake/procedures", "lake/publications", "lake/reviews",
            "lake/petitions", "lake/ratings", "lake/survey_answers", "lake/ref_agencies", "lake/ref_targets",
            "lake/source_inventory", "lake/landed_petition_files", "lake/landed_rating_files"} == groups["ingest"]
    assert {"publish/indicator_observations", "publish/report_bieu06", "indicators/ind_qd766_2_1",
            "indicators/ind_bieu06", "marts/fct_dossiers"} <= groups["transform"]
    assert groups["quality"] == {"quality_gate"} and groups["publish"] == {"release"}
    assert graph.get(graph.get_all_asset_keys().__iter__().__next__()) is not None
    partitioned = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).is_partitioned}
    assert partitioned == {"lake/dossiers", "lake/petitions", "lake/ratings"}  # the time-based sources, by month


def test_blocking_checks_and_dbt_tests_are_asset_checks():
    graph = defs.resolve_asset_graph()
    checks = {f"{k.asset_key.to_user_string()}:{k.name}" for k in graph.asset_check_keys}
    assert "lake/dossiers:gx_lake_dossiers" in checks and "quality_gate:gx_publish_tables" in checks
    assert any(c.startswith("publish/report_bieu06:") for c in checks)  # dbt tests surface as checks


def test_schedule_and_sensor():
    assert [s.name for s in defs.schedules] == ["cchc_monthly"]
    assert [s.name for s in defs.sensors] == ["raw_files_sensor"]


def test_dbt_build_args():
    assert dbt_build_args(None) == ["build"]
    assert dbt_build_args("2023-03-31T18:00:00") == ["build", "--vars", '{"as_of": "2023-03-31T18:00:00"}']
