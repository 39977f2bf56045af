"""Full or incremental warehouse build: the decision (pure, unit-tested) and the build state it rests on.

A build is incremental only when the warehouse records a complete previous build (``main.cchc_build_state``) made
from the same **fingerprint** — the dbt project's files (models, macros, seeds, settings), the dbt/DuckDB versions
and the reference tables the incremental models read — and the lake's dossier change log
(``orchestration.ingest.changes``) tells exactly what changed since. Then dbt rebuilds only the dossiers of the
rewritten lake months and the periods ending on or after the earliest unconsumed change frontier or the previous
build's as-of date (the period that was running then is closed now). Anything else is a full build, and the
reason is logged and printed in the run summary.

Interrupted builds: before dbt starts, the build records itself in ``main.cchc_build_attempt`` (its plan) and keeps
the last complete build's state; only a build that finishes replaces the state and removes the attempt, in one
transaction. A run killed during dbt (power cut, ``kill -9``, out of memory) leaves the attempt — and usually a
``warehouse.duckdb.wal``, whose committed transactions DuckDB replays on the next open (``recover_wal`` does it
first, and says so). The next build is then still incremental when the interrupted one was: its plan covers the
interrupted plan too (its rewritten months, and its periods from the earliest of its recompute date and its as-of
date), so every row the interrupted build deleted or rewrote is rebuilt — incremental models are idempotent over
their scope. An interrupted full build, or a build that failed (dbt error, failed test), is followed by a full one.
See docs/incremental.md.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import duckdb

from orchestration.lib import layout
from orchestration.lib.settings import DBT_PROJECT_DIR, Settings

STATE_TABLE = "main.cchc_build_state"
ATTEMPT_TABLE = "main.cchc_build_attempt"
# Lake tables read by the incremental models besides the dossiers (a change ⇒ full build): the catalogue, its
# publication decisions and per-agency applicability list (int_unit_period_procedures …), the registries. Ratings,
# petitions and surveys only feed models rebuilt in full, or by period digest, so their monthly growth keeps builds
# incremental.
REFERENCE_TABLES = ("procedures", "publications", "applicability", "ref_agencies", "ref_admin_units",
                    "ref_unit_lineage")
PROJECT_PARTS = ("models", "macros", "seeds", "dbt_project.yml", "profiles.yml")


@dataclass(frozen=True)
class BuildState:
    """What the warehouse records about its last complete build."""

    fingerprint: str
    log_id: str | None  # identity of the lake's change log the build consumed (None: no log yet)
    change_seq: int  # last change-log entry consumed
    as_of_date: str | None  # ISO date of the build's as-of time


@dataclass(frozen=True)
class Interrupted:
    """A build that started and never finished (``main.cchc_build_attempt``), as the next build finds it."""

    full: bool
    fingerprint: str
    recompute_from: str | None
    reception_months: tuple[str, ...]
    started_at: str  # when it started (UTC, ISO)
    as_of_date: str | None = None  # the warehouse's as-of date now: the interrupted build's if it got that far


@dataclass(frozen=True)
class BuildPlan:
    full: bool
    reason: str
    recompute_from: str | None = None  # ISO date: periods ending on/after it (or the as-of date) are rebuilt
    reception_months: tuple[str, ...] = ()  # lake months whose dossiers are rebuilt
    log_id: str | None = None
    change_seq: int = 0  # the change-log entry this build consumes up to

    def dbt_vars(self) -> dict:
        if self.full:
            return {}
        return {"incremental_plan": {"recompute_from": self.recompute_from, "reception_months": list(self.reception_months)}}

    def describe(self) -> str:
        if self.full:
            return f"full build: {self.reason}"
        return (f"incremental build: periods ending on or after {self.recompute_from} (or the as-of date), dossiers of "
                f"{len(self.reception_months)} rewritten month(s) {', '.join(self.reception_months) or '(none)'}; {self.reason}")


def plan_build(state: BuildState | None, fingerprint: str, changes: list[dict], full_requested: bool = False,
               interrupted: Interrupted | None = None) -> BuildPlan:
    """Decide between a full and an incremental build (pure). ``changes`` are the lake's change-log entries;
    ``interrupted`` the build that started after ``state``'s and never finished, if any."""
    log_id = changes[0]["log_id"] if changes else None
    last_seq = changes[-1]["seq"] if changes else 0

    def full(reason: str) -> BuildPlan:
        return BuildPlan(full=True, reason=reason, log_id=log_id, change_seq=last_seq)

    if full_requested:
        return full("requested (--full-build)")
    if interrupted is not None and interrupted.full:
        return full(f"the full build started at {interrupted.started_at} was interrupted before it finished")
    if interrupted is not None and interrupted.fingerprint != fingerprint:
        return full(f"the build started at {interrupted.started_at} was interrupted and was made from another dbt "
                    "project, dbt/DuckDB version or reference data")
    if state is None:
        return full("the warehouse records no complete previous build")
    if state.fingerprint != fingerprint:
        return full("the dbt project, the dbt/DuckDB versions or a reference table changed since the last build")
    if state.as_of_date is None:
        return full("the last build had no as-of date (no dossier)")
    if changes and state.log_id != log_id:
        return full("the lake's change log is not the one the last build consumed (lake rebuilt)")
    if state.change_seq > last_seq:
        return full("the lake's change log is shorter than what the last build consumed")
    pending = [c for c in changes if c["seq"] > state.change_seq]
    open_entries = [c["seq"] for c in pending if not c.get("complete")]
    if open_entries:
        return full(f"a lake rewrite did not finish recording its changes (change-log entries {open_entries})")
    frontiers = [c["frontier"] for c in pending if c.get("frontier")] + [state.as_of_date]
    months = {m for c in pending for m in c["months"]}
    reason = f"{len(pending)} lake rewrite(s) since the last build"
    if interrupted is not None:
        # whatever the interrupted build deleted or rewrote is in scope again: its months, and its periods (those
        # ending on or after its recompute date or its as-of date, whichever was earlier)
        frontiers += [d for d in (interrupted.recompute_from, interrupted.as_of_date) if d]
        months |= set(interrupted.reception_months)
        reason += (f"; the incremental build started at {interrupted.started_at} was interrupted: its scope is rebuilt "
                   f"too (periods ending on or after {min(frontiers)}, months {', '.join(interrupted.reception_months) or 'none'})")
    return BuildPlan(full=False, reason=reason, recompute_from=min(frontiers), reception_months=tuple(sorted(months)),
                     log_id=log_id, change_seq=last_seq)


def fingerprint(settings: Settings, project_dir: Path = DBT_PROJECT_DIR) -> str:
    """Hash of everything besides the dossiers that the incremental models' kept rows depend on."""
    h = hashlib.sha256()
    files: list[Path] = []
    for part in PROJECT_PARTS:
        p = project_dir / part
        files += sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p] if p.exists() else []
    for table in REFERENCE_TABLES:
        files += sorted(layout.lake_table_dir(settings.lake_dir, table).rglob("*.parquet"))
    for f in files:
        h.update(str(f.relative_to(project_dir if f.is_relative_to(project_dir) else settings.lake_dir)).encode())
        h.update(hashlib.sha256(f.read_bytes()).digest())
    for package in ("dbt-core", "dbt-duckdb", "duckdb"):
        h.update(f"{package}=={metadata.version(package)}".encode())
    return h.hexdigest()


def _table_exists(con, qualified: str) -> bool:
    schema, name = qualified.split(".")
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                            [schema, name]).fetchall()[0][0])


def _state_table_exists(con) -> bool:
    return _table_exists(con, STATE_TABLE)


def recover_wal(warehouse: Path) -> str | None:
    """A ``warehouse.duckdb.wal`` left by a run killed while writing: open the warehouse for writing (DuckDB replays
    the log's committed transactions; a transaction cut by the kill is dropped whole) and checkpoint them into the
    file, so every later reader and the analysts' copy see one clean file. Returns what was done, or None."""
    wal = Path(str(warehouse) + ".wal")
    if not warehouse.exists() or not wal.exists():
        return None
    size = wal.stat().st_size
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CHECKPOINT")
    note = f"recovered {wal.name} ({size:,} bytes) left by an interrupted run: its committed transactions are now in {warehouse.name}"
    if wal.exists() and wal.stat().st_size:
        note += " (an unreadable remainder is ignored; DuckDB overwrites it)"
    return note


def read_interrupted(warehouse: Path) -> Interrupted | None:
    """The build recorded as started and never finished, with the warehouse's as-of date as it is now."""
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not _table_exists(con, ATTEMPT_TABLE):
            return None
        rows = con.execute(f"""SELECT full_build, fingerprint, CAST(recompute_from AS VARCHAR), reception_months,
                                      strftime(started_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S UTC')
                               FROM {ATTEMPT_TABLE}""").fetchall()
        if not rows:
            return None
        as_of = None
        if _table_exists(con, "intermediate.int_as_of"):
            found = con.execute("SELECT CAST(min(as_of_date) AS VARCHAR) FROM intermediate.int_as_of").fetchall()
            as_of = found[0][0] if found else None
    full, fp, recompute_from, months, started = rows[0]
    return Interrupted(bool(full), fp, recompute_from, tuple(json.loads(months or "[]")), started, as_of)


def begin_build(warehouse: Path, plan: BuildPlan, fingerprint_: str) -> None:
    """Record the build about to start (the state of the last complete build is kept): a build killed before
    ``write_state`` is found by ``read_interrupted`` and the next plan covers it."""
    if not warehouse.exists():  # a first build: dbt creates the file (in the configured storage format)
        return
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"""CREATE TABLE IF NOT EXISTS {ATTEMPT_TABLE} (full_build BOOLEAN, fingerprint VARCHAR,
                        recompute_from DATE, reception_months VARCHAR, reason VARCHAR, started_at TIMESTAMPTZ)""")
        con.execute("BEGIN")
        con.execute(f"DELETE FROM {ATTEMPT_TABLE}")
        con.execute(f"INSERT INTO {ATTEMPT_TABLE} VALUES (?, ?, ?, ?, ?, now())",
                    [plan.full, fingerprint_, plan.recompute_from, json.dumps(list(plan.reception_months)), plan.reason])
        con.execute("COMMIT")


def last_build(warehouse: Path) -> dict | None:
    """The last complete build: kind, reason, built_at (epoch seconds); None when the warehouse records none."""
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not _state_table_exists(con):
            return None
        rows = con.execute(f"SELECT kind, reason, epoch(built_at) FROM {STATE_TABLE}").fetchall()
    return {"kind": rows[0][0], "reason": rows[0][1], "built_at": rows[0][2]} if len(rows) == 1 else None


def read_state(warehouse: Path) -> BuildState | None:
    if not warehouse.exists():
        return None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not _state_table_exists(con):
            return None
        rows = con.execute(f"SELECT fingerprint, log_id, change_seq, CAST(as_of_date AS VARCHAR) FROM {STATE_TABLE}").fetchall()
    return BuildState(*rows[0]) if len(rows) == 1 else None


PERIOD_SCOPE_TABLE = "main.cchc_period_scope"  # dbt_project/macros/period_digests.sql


def rescored_periods(warehouse: Path) -> str | None:
    """What the models rebuilt by period digest did in the last build, for the dbt step's log:
    'periods rebuilt by digest: ind_qd766_groups 7 of 23, …' (None before the first such build)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not _table_exists(con, PERIOD_SCOPE_TABLE):
            return None
        rows = con.execute(f"SELECT model, count(*) FILTER (WHERE changed), count(*) FROM {PERIOD_SCOPE_TABLE} "
                           "GROUP BY model ORDER BY model").fetchall()
    return "periods rebuilt by digest: " + ", ".join(f"{m} {c} of {n}" for m, c, n in rows) if rows else None


def clear_state(warehouse: Path) -> None:
    """Forget the last build (and any started one) after a build failed: the next build is a full one."""
    if not warehouse.exists():
        return
    with duckdb.connect(str(warehouse)) as con:
        for table in (STATE_TABLE, ATTEMPT_TABLE):
            if _table_exists(con, table):
                con.execute(f"DELETE FROM {table}")


def write_state(warehouse: Path, plan: BuildPlan, fingerprint_: str) -> BuildState:
    """Record the finished build: its fingerprint, the change-log entry consumed and its as-of date."""
    with duckdb.connect(str(warehouse)) as con:
        as_of = con.execute("SELECT CAST(as_of_date AS VARCHAR) FROM intermediate.int_as_of").fetchall()
        state = BuildState(fingerprint_, plan.log_id, plan.change_seq, as_of[0][0] if as_of else None)
        con.execute(f"""CREATE TABLE IF NOT EXISTS {STATE_TABLE} (fingerprint VARCHAR, log_id VARCHAR, change_seq INTEGER,
                        as_of_date DATE, kind VARCHAR, reason VARCHAR, recompute_from DATE, reception_months VARCHAR,
                        built_at TIMESTAMPTZ)""")
        con.execute("BEGIN")  # the new state and the end of the attempt together, or neither
        con.execute(f"DELETE FROM {STATE_TABLE}")
        con.execute(f"INSERT INTO {STATE_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())",
                    [state.fingerprint, state.log_id, state.change_seq, state.as_of_date,
                     "full" if plan.full else "incremental", plan.reason, plan.recompute_from,
                     json.dumps(list(plan.reception_months))])
        if _table_exists(con, ATTEMPT_TABLE):
            con.execute(f"DELETE FROM {ATTEMPT_TABLE}")
        con.execute("COMMIT")
    return state
