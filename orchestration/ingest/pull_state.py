"""What the source-database pull has landed so far (``lake/_state/source_db.json``), read by the lake assets.

Kept apart from the pull itself so landing and the lake assets can read it without importing SQLAlchemy code:

    {"source": "<masked url>",
     "tables": {"dossiers":   {"cursor": ["2023-03-31 17:59:00", "000.06.63.H06-230331-0042"],
                               "loads": [FileLoad, …], "pending_months": ["2023-03"]},
                "ratings":    {"cursor": […], "loads": […], "pending_months": […]},
                "procedures": {"loads": [FileLoad of the latest catalogue snapshot]}},
     "pulls": [{"started_at", "finished_at", "rows_read": {table: n}, "watermarks": {table: cursor}}, …]}

Each landed batch is a ``FileLoad`` like a raw file's (``file`` = ``source_db/<table>/<batch>``), so the lake
tables, the quarantine and the summaries treat a pulled batch exactly like a delivered file.
"""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.lib import layout


def state_path(lake_dir: Path) -> Path:
    return layout.pull_state_file(lake_dir)


def read_pull_state(lake_dir: Path) -> dict:
    path = state_path(lake_dir)
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {"source": None, "tables": {}, "pulls": []}


def write_pull_state(lake_dir: Path, state: dict) -> None:
    """Write beside, then rename: a crash never leaves half a state file (the cursor must stay consistent
    with the batches recorded)."""
    path = state_path(lake_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)


def pulled_load_dicts(lake_dir: Path, table: str) -> list[dict]:
    """The landed batches of ``table`` pulled from the source database (FileLoad dicts, pull order)."""
    return read_pull_state(lake_dir).get("tables", {}).get(table, {}).get("loads", [])


def pulled_pending_months(lake_dir: Path, table: str) -> set[str]:
    return set(read_pull_state(lake_dir).get("tables", {}).get(table, {}).get("pending_months", []))


def clear_pulled_pending(lake_dir: Path, table: str, months) -> None:
    """Months now rewritten in the lake: no longer pending for the pull."""
    state = read_pull_state(lake_dir)
    entry = state.get("tables", {}).get(table)
    if entry and entry.get("pending_months"):
        entry["pending_months"] = sorted(set(entry["pending_months"]) - set(months))
        write_pull_state(lake_dir, state)
