"""A snapshot of the whole asset graph (as Dagster's own platform keeps one, with syrupy): every asset key with its
group, upstream keys, partitioning and checks, and every job's selection. A renamed, regrouped or rewired asset
changes the snapshot and fails this test until the change is accepted on purpose:

    .venv/bin/python -m pytest tests/test_asset_graph.py --snapshot-update

and the diff of ``tests/__snapshots__/test_asset_graph.ambr`` is reviewed with the change."""

from orchestration.definitions import defs


def describe_graph() -> dict:
    graph = defs.resolve_asset_graph()
    checks: dict[str, list[str]] = {}
    for check in graph.asset_check_keys:
        checks.setdefault(check.asset_key.to_user_string(), []).append(check.name)
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        if not node.is_executable:
            continue
        name = key.to_user_string()
        assets[name] = {
            "group": node.group_name,
            "upstream": sorted(k.to_user_string() for k in node.parent_keys),
            "partitioned": node.is_partitioned,
            "checks": sorted(checks.get(name, [])),
        }
    jobs = {}
    for job in sorted(defs.resolve_all_job_defs(), key=lambda j: j.name):
        if job.name.startswith("__"):  # Dagster's implicit asset job
            continue
        jobs[job.name] = sorted(k.to_user_string() for k in job.asset_layer.executable_asset_keys)
    return {"assets": assets, "jobs": jobs, "schedules": sorted(s.name for s in defs.schedules),
            "sensors": sorted(s.name for s in defs.sensors)}


def test_asset_graph_matches_the_snapshot(snapshot):
    assert describe_graph() == snapshot
