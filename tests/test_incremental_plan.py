"""The pieces of incremental builds, in isolation: the change frontier of two dossier versions (DuckDB on
hand-made digests), the full-or-incremental decision (pure), the fingerprint and the dbt command."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from orchestration.ingest import changes
from orchestration.lib.settings import DBT_PROJECT_DIR, settings_from_env
from orchestration.transform.dbt_assets import dbt_build_args
from orchestration.transform.incremental import BuildPlan, BuildState, Interrupted, fingerprint, plan_build


def _digest(rows: list[dict]) -> str:
    """A digest relation (as changes._digest_query yields) from rows of {ma_ho_so, attributes_hash, <dates>}."""
    if not rows:
        return ("SELECT * FROM (SELECT NULL::VARCHAR AS ma_ho_so, " + ", ".join(f"NULL::TIMESTAMP AS {c}" for c in changes.DATE_COLUMNS)
                + ", NULL::UBIGINT AS attributes_hash) WHERE false")
    selects = []
    for r in rows:
        dates = ", ".join(f"CAST({repr(r[c]) if r.get(c) else 'NULL'} AS TIMESTAMP) AS {c}" for c in changes.DATE_COLUMNS)
        selects.append(f"SELECT '{r['ma_ho_so']}' AS ma_ho_so, {dates}, CAST({r.get('h', 1)} AS UBIGINT) AS attributes_hash")
    return " UNION ALL ".join(selects)


def _frontier(before: list[dict], after: list[dict]):
    row = duckdb.sql(changes.frontier_sql(_digest(before), _digest(after))).fetchall()[0]
    return (row[0].date().isoformat() if row[0] else None), row[1], row[2], row[3]


RECEIVED = {"ma_ho_so": "A", "ngay_nop_ho_so": "2026-03-30 08:00", "ngay_tiep_nhan": "2026-04-01 09:00",
            "ngay_hen_tra": "2026-04-10 17:00"}


def test_frontier_of_a_normal_update_is_its_new_event_date():
    # returned on 2026-06-03: only ngay_ket_thuc_xu_ly and ngay_tra appear ⇒ least(new dates) = 2026-06-03
    returned = {**RECEIVED, "ngay_ket_thuc_xu_ly": "2026-06-03 10:00", "ngay_tra": "2026-06-04 08:00"}
    assert _frontier([RECEIVED], [returned]) == ("2026-06-03", 0, 0, 1)


def test_frontier_of_a_moved_due_date_is_the_earlier_of_the_two():
    # due 2026-04-10 → 2026-04-08: min(old, new) = 2026-04-08; the other dates are equal and do not count
    assert _frontier([RECEIVED], [{**RECEIVED, "ngay_hen_tra": "2026-04-08 17:00"}])[0] == "2026-04-08"


def test_frontier_of_an_attribute_change_is_the_whole_life():
    # channel (hashed attribute) changed: the earliest date of either version = submission 2026-03-30
    assert _frontier([RECEIVED], [{**RECEIVED, "h": 2}]) == ("2026-03-30", 0, 0, 1)


def test_frontier_of_new_and_gone_dossiers_is_their_whole_life():
    gone = {"ma_ho_so": "G", "ngay_nop_ho_so": "2026-02-01 08:00", "ngay_tiep_nhan": "2026-02-02 08:00"}
    new = {**RECEIVED, "ma_ho_so": "N", "ngay_nop_ho_so": "2026-05-01 08:00"}
    # gone G's life starts 2026-02-01; new N's earliest date is its reception 2026-04-01 ⇒ min = 2026-02-01
    assert _frontier([RECEIVED, gone], [RECEIVED, new]) == ("2026-02-01", 1, 1, 0)


def test_no_frontier_when_only_the_version_stamp_changed():
    # the digest leaves out ngay_cap_nhat and provenance: the same record sent again changes nothing
    assert "ngay_cap_nhat" not in changes.DATE_COLUMNS and "ngay_cap_nhat" not in changes.ATTRIBUTE_COLUMNS
    assert "_loaded_at" not in changes.ATTRIBUTE_COLUMNS and "kenh_thuc_hien" in changes.ATTRIBUTE_COLUMNS
    assert _frontier([RECEIVED], [dict(RECEIVED)]) == (None, 0, 0, 0)


def _entry(seq, months, frontier, complete=True, log_id="L"):
    return {"log_id": log_id, "seq": seq, "months": months, "frontier": frontier, "complete": complete}


STATE = BuildState(fingerprint="F", log_id="L", change_seq=2, as_of_date="2026-06-30")
LOG = [_entry(1, ["2025-07"], "2025-07-01"), _entry(2, ["2026-06"], "2026-06-02"),
       _entry(3, ["2026-05", "2026-07"], "2026-07-01"), _entry(4, ["2026-04"], "2026-06-20")]


def test_plan_is_incremental_from_the_earliest_unconsumed_frontier():
    plan = plan_build(STATE, "F", LOG)
    # entries 3 and 4 are new: min(2026-07-01, 2026-06-20, previous as-of 2026-06-30) = 2026-06-20
    assert not plan.full and plan.recompute_from == "2026-06-20"
    assert plan.reception_months == ("2026-04", "2026-05", "2026-07") and plan.change_seq == 4
    assert plan.dbt_vars() == {"incremental_plan": {"recompute_from": "2026-06-20",
                                                    "reception_months": ["2026-04", "2026-05", "2026-07"]}}


def test_plan_without_new_changes_still_rebuilds_from_the_previous_as_of():
    # the period that was running at the last build (as-of 2026-06-30) is closed now: it is rebuilt
    plan = plan_build(STATE, "F", LOG[:2])
    assert not plan.full and plan.recompute_from == "2026-06-30" and plan.reception_months == ()


@pytest.mark.parametrize("state, fp, log, full_requested, reason", [
    (None, "F", LOG, False, "no complete previous build"),
    (STATE, "G", LOG, False, "changed since the last build"),
    (STATE, "F", LOG, True, "requested"),
    (STATE, "F", [{**e, "log_id": "M"} for e in LOG], False, "lake rebuilt"),
    (STATE, "F", LOG[:1], False, "shorter than"),
    (STATE, "F", LOG[:3] + [_entry(4, ["2026-04"], None, complete=False)], False, "did not finish"),
    (BuildState("F", "L", 2, None), "F", LOG, False, "no as-of date"),
])
def test_plan_is_full_when_incremental_would_be_unsafe(state, fp, log, full_requested, reason):
    plan = plan_build(state, fp, log, full_requested)
    assert plan.full and reason in plan.reason and plan.dbt_vars() == {}
    assert plan.change_seq == log[-1]["seq"]  # a full build consumes the whole log


def test_dbt_command_of_each_plan():
    full = BuildPlan(full=True, reason="x")
    assert dbt_build_args(None, full) == ["build", "--no-use-colors", "--exclude", "resource_type:unit_test", "--full-refresh"]
    inc = plan_build(STATE, "F", LOG)
    args = dbt_build_args("2026-07-31T23:59:59", inc)
    assert args[:5] == ["build", "--no-use-colors", "--exclude", "resource_type:unit_test", "--vars"] and "--full-refresh" not in args
    assert json.loads(args[5]) == {"as_of": "2026-07-31T23:59:59", **inc.dbt_vars()}


def test_fingerprint_follows_the_project_and_the_reference_tables(tmp_path):
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    settings = settings_from_env(tmp_path / "raw", tmp_path / "out")
    (settings.lake_dir / "procedures").mkdir(parents=True)
    (settings.lake_dir / "procedures" / "part-0.parquet").write_bytes(b"v1")
    first = fingerprint(settings, project)
    assert fingerprint(settings, project) == first
    (settings.lake_dir / "ratings").mkdir()
    (settings.lake_dir / "ratings" / "part-0.parquet").write_bytes(b"grows every month")
    assert fingerprint(settings, project) == first  # ratings feed only models rebuilt in full
    (settings.lake_dir / "procedures" / "part-0.parquet").write_bytes(b"v2")
    second = fingerprint(settings, project)
    assert second != first
    # a new applicability list changes which procedures an agency handles in closed periods too
    (settings.lake_dir / "applicability").mkdir()
    (settings.lake_dir / "applicability" / "part-0.parquet").write_bytes(b"agency lists")
    third = fingerprint(settings, project)
    assert third not in (first, second)
    model = project / "models" / "intermediate" / "int_dossier_lifecycle.sql"
    model.write_text(model.read_text(encoding="utf-8") + "\n-- edited\n", encoding="utf-8")
    assert fingerprint(settings, project) not in (first, second, third)


# ------------------------------------------------------------------------------------------ interrupted builds

def _interrupted(full=False, fp="F", recompute_from="2026-06-20", months=("2026-04",), as_of="2026-07-31"):
    return Interrupted(full=full, fingerprint=fp, recompute_from=recompute_from, reception_months=months,
                       started_at="2026-08-01 02:00:00 UTC", as_of_date=as_of)


def test_an_interrupted_incremental_build_is_resumed_incrementally_over_both_scopes():
    # the interrupted build (entries 3–4: from 2026-06-20, month 2026-04) got no further; a new delivery
    # (entry 5: 2026-08, frontier 2026-08-02) came since. The plan: min(2026-06-20, 2026-08-02, as-of 2026-06-30,
    # the interrupted build's 2026-06-20 and its as-of 2026-07-31) = 2026-06-20; months 04, 05, 07 (3) + 08 (5) + 04
    log = LOG + [_entry(5, ["2026-08"], "2026-08-02")]
    plan = plan_build(STATE, "F", log, interrupted=_interrupted())
    assert not plan.full and plan.recompute_from == "2026-06-20" and plan.change_seq == 5
    assert plan.reception_months == ("2026-04", "2026-05", "2026-07", "2026-08")
    assert "interrupted" in plan.reason


def test_an_interrupted_build_with_an_earlier_as_of_widens_the_periods():
    # the interrupted build ran --as-of 2026-03-15: it rewrote every period ending on or after that date; they are
    # all rebuilt again, and its months (none here) are added to the plan's
    plan = plan_build(STATE, "F", LOG[:2], interrupted=_interrupted(recompute_from="2026-06-30", months=(), as_of="2026-03-15"))
    assert not plan.full and plan.recompute_from == "2026-03-15" and plan.reception_months == ()


@pytest.mark.parametrize("interrupted, reason", [
    (_interrupted(full=True), "full build started at 2026-08-01 02:00:00 UTC was interrupted"),
    (_interrupted(fp="G"), "was interrupted and was made from another dbt project"),
])
def test_an_interrupted_full_build_is_followed_by_a_full_one(interrupted, reason):
    plan = plan_build(STATE, "F", LOG, interrupted=interrupted)
    assert plan.full and reason in plan.reason


def test_a_killed_build_leaves_its_log_and_its_attempt_and_the_next_plan_resumes_it(tmp_path):
    """Real DuckDB files and a real SIGKILL: a warehouse with a complete build; a build records its attempt, then a
    process writing the warehouse (as dbt does) is killed before any checkpoint. The write-ahead log is left;
    recover_wal replays it into the file; the last complete state is still there, the attempt is found with the
    warehouse's as-of date, and the next plan is incremental and covers the interrupted one."""
    import subprocess
    import sys

    from orchestration.transform import incremental

    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA intermediate")
        con.execute("CREATE TABLE intermediate.int_as_of AS SELECT DATE '2026-06-30' AS as_of_date")
    done = incremental.write_state(warehouse, BuildPlan(full=True, reason="first", log_id="L", change_seq=2), "F")
    assert done == STATE
    plan = plan_build(STATE, "F", LOG)
    incremental.begin_build(warehouse, plan, "F")
    killed = subprocess.run([sys.executable, "-c", f"""
import duckdb, os, signal
con = duckdb.connect({str(warehouse)!r})
con.execute("SET checkpoint_threshold = '1GB'")
con.execute("CREATE OR REPLACE TABLE intermediate.int_as_of AS SELECT DATE '2026-07-31' AS as_of_date")
con.execute("CREATE TABLE intermediate.half_built AS SELECT range AS x FROM range(1000)")
os.kill(os.getpid(), signal.SIGKILL)"""])
    assert killed.returncode == -9
    wal = tmp_path / "warehouse.duckdb.wal"
    assert wal.exists()
    note = incremental.recover_wal(warehouse)
    assert note.startswith("recovered warehouse.duckdb.wal") and not wal.exists()
    assert incremental.recover_wal(warehouse) is None  # nothing left to recover
    with duckdb.connect(str(warehouse), read_only=True) as con:  # the committed writes of the killed process
        assert con.execute("SELECT count(*) FROM intermediate.half_built").fetchall() == [(1000,)]
    assert incremental.read_state(warehouse) == STATE  # the last complete build is not forgotten
    interrupted = incremental.read_interrupted(warehouse)
    assert (interrupted.full, interrupted.recompute_from, interrupted.reception_months, interrupted.as_of_date) == (
        False, "2026-06-20", ("2026-04", "2026-05", "2026-07"), "2026-07-31")
    resumed = plan_build(STATE, "F", LOG, interrupted=interrupted)
    assert not resumed.full and resumed.recompute_from == "2026-06-20" and "interrupted" in resumed.reason
    # the resumed build finishes: one state, no attempt left
    incremental.write_state(warehouse, resumed, "F")
    assert incremental.read_interrupted(warehouse) is None
    assert incremental.last_build(warehouse)["kind"] == "incremental"
    # a failed build forgets both: the next one is full
    incremental.begin_build(warehouse, resumed, "F")
    incremental.clear_state(warehouse)
    assert incremental.read_state(warehouse) is None and incremental.read_interrupted(warehouse) is None
