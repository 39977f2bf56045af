"""The CLI's stage progress (issue 22 point 1), without a pipeline: StageProgress fed the events a run emits."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

from orchestration.lib.run_output import StageProgress, stage_detail


class Terminal(io.StringIO):
    def isatty(self) -> bool:  # what rich asks before drawing a live bar
        return True


def _materialised(key: str, metadata: dict | None = None):
    return SimpleNamespace(event_type_value="ASSET_MATERIALIZATION", asset_key=SimpleNamespace(to_user_string=lambda: key),
                           event_specific_data=SimpleNamespace(materialization=SimpleNamespace(metadata=metadata or {})))


def _checked(key: str, passed: bool = True, severity: str = "WARN"):
    data = SimpleNamespace(passed=passed, severity=SimpleNamespace(value=severity),
                           asset_key=SimpleNamespace(to_user_string=lambda: key))
    return SimpleNamespace(event_type_value="ASSET_CHECK_EVALUATION", event_specific_data=data)


def test_a_terminal_gets_a_live_bar_and_a_pipe_one_line_per_stage():
    groups = {"lake/a": "ingest", "lake/b": "ingest", "release": "publish"}
    totals = {"ingest": 3, "publish": 1}  # ingest: two assets and one check
    events = [_materialised("lake/a", {"files": 2, "rows_loaded": 10, "rows_quarantined": 1}),
              _materialised("lake/b", {"files": 1, "rows_loaded": 5, "rows_quarantined": 0}),
              _checked("lake/a", passed=False),
              _materialised("release", {"parts_written": 3, "parts_linked": 4})]
    pipe, tty = io.StringIO(), Terminal()
    for out in (pipe, tty):
        progress = StageProgress(groups, totals, out=out, check_totals={"ingest": 1})
        for e in events:
            progress.on_event(e)
        progress.close()
    lines = pipe.getvalue().splitlines()
    assert len(lines) == 2 and "\x1b[" not in pipe.getvalue()  # a pipe: no bar, no control code
    assert re.fullmatch(r"  landing +3 file\(s\), 15 record\(s\) loaded, 1 quarantined, 1/1 checks, 1 check\(s\) warned "
                        r"\(\d+\.\d s\)", lines[0]), lines[0]
    assert re.fullmatch(r"  release +3 part\(s\) written, 4 unchanged \(linked\) \(\d+\.\d s\)", lines[1]), lines[1]
    drawn = tty.getvalue()
    assert "\x1b[" in drawn and "━" in drawn  # rich's live bar was drawn on the terminal
    assert "3 file(s), 15 record(s) loaded" in drawn  # and the same stage lines printed above it


def test_stage_details_in_each_stages_terms():
    assert stage_detail("ingest", "lake partitions", {"lake/d": {"partitions_written": '{"2023-01": 5, "2023-02": 7}',
                                                               "months_in_run": 3}}, (3, 1), (3, 1)) \
        == "2 of 3 table-month(s) rewritten, 1/1 checks"
    assert stage_detail("transform", "warehouse (dbt)", {}, (76, 218), (76, 218)) == "76/76 dbt models and seeds, 218/218 dbt tests"


def test_every_dbt_layer_is_the_warehouse_stage():
    from orchestration.lib.run_output import stage_of

    assert [stage_of(g) for g in ("dbt_staging", "dbt_publish", "dbt_seeds", "ingest", "publish", None)] == [
        "transform", "transform", "transform", "ingest", "publish", ""]
