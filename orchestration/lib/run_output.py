"""What a ``cchc run`` shows (issue 22): one line per stage with its progress — a live bar on a terminal — while the
full Dagster and dbt log goes to a file under the output root (``<out>/logs/run-<time>.log``), and to the terminal
only with ``--verbose``.

The stages are the asset groups (ingest, quality, publish), the dbt layers' groups (dbt_staging … dbt_publish)
being one stage, transform (``stage_of``). Progress is read from the run's own events
by a Dagster logger (``progress_logger``): every asset materialised and every check evaluated advances its group.
The loggers are Definitions-level (orchestration.definitions): in ``dagster dev`` the file logger has no path
(nothing written) and, with no CLI watching, the progress logger does nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
from pathlib import Path

import dagster as dg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

STAGE_LABELS = {"ingest": "landing", "transform": "warehouse (dbt)", "quality": "checks", "publish": "release"}
FORMAT = "%(asctime)s %(levelname)-7s %(message)s"


def stage_of(group: str | None) -> str:
    """The stage a group belongs to: every dbt layer's group (dbt_staging, …, dbt_seeds) is the warehouse stage."""
    return "transform" if (group or "").startswith("dbt_") else (group or "")


def _meta(metadata: dict, name: str, default=0):
    value = metadata.get(name, default)
    return getattr(value, "value", value)


def stage_detail(group: str, label: str, assets: dict[str, dict], done: tuple[int, int], total: tuple[int, int]) -> str:
    """What a stage did, in its own terms, from the metadata of the assets it materialised (``assets``: key →
    metadata) and its counts of (assets, checks) done and expected."""
    checks = f"{done[1]}/{total[1]} checks" if total[1] else ""
    if group == "ingest" and label == "landing":
        files = sum(_meta(m, "files") for m in assets.values())
        loaded = sum(_meta(m, "rows_loaded") for m in assets.values())
        quarantined = sum(_meta(m, "rows_quarantined") for m in assets.values())
        text = f"{files} file(s), {loaded:,} record(s) loaded, {quarantined:,} quarantined"
    elif group == "ingest":
        written = in_run = 0
        for _key, m in assets.items():
            if "partitions_written" in m:
                written += len(json.loads(_meta(m, "partitions_written", "{}")))
                in_run += _meta(m, "months_in_run")
        text = f"{written} of {in_run} table-month(s) rewritten"
    elif group == "transform":
        text = f"{done[0]}/{total[0]} dbt models and seeds, {done[1]}/{total[1]} dbt tests"
        checks = ""
    elif group == "publish" and any("parts_written" in m for m in assets.values()):
        m = next(m for m in assets.values() if "parts_written" in m)
        text = f"{_meta(m, 'parts_written')} part(s) written, {_meta(m, 'parts_linked')} unchanged (linked)"
    elif group == "quality":
        text = "publication gate (Great Expectations on the published tables)"
    else:
        text = f"{done[0]}/{total[0]} step(s)"
    return ", ".join(t for t in (text, checks) if t)


class StageProgress:
    """Counts, per stage, the steps of a run (assets materialised, checks evaluated) against what the run selected;
    prints one line per stage when it ends — what it did in its own terms (files landed, months rewritten, dbt
    models built, checks run, release parts written) — and a live bar on a terminal meanwhile (rich)."""

    def __init__(self, groups: dict[str, str], totals: dict[str, int], out=None, live: bool | None = None,
                 labels: dict[str, str] | None = None, check_totals: dict[str, int] | None = None):
        self.groups = groups  # asset key (user string) → group
        self.totals = totals  # group → steps expected (assets + checks selected)
        self.check_totals = check_totals or {}  # group → checks among them
        self.checks_done: dict[str, int] = {g: 0 for g in totals}
        self.metadata: dict[str, dict[str, dict]] = {g: {} for g in totals}  # group → asset → its metadata
        self.labels = {**STAGE_LABELS, **(labels or {})}
        self.out = out or sys.stdout
        self.live = self.out.isatty() if live is None else live
        self.done: dict[str, int] = {g: 0 for g in totals}
        self.failed: dict[str, int] = {g: 0 for g in totals}
        self.warned: dict[str, int] = {g: 0 for g in totals}
        self.started: dict[str, float] = {}
        self.mark = time.monotonic()  # the stages run one after the other: each takes from the previous one's end
        self.ended: set[str] = set()
        self._bar = None
        self._tasks: dict[str, int] = {}
        if self.live:
            # the terminal itself, bound now: dbt's output may be redirected while the bar runs
            self._bar = Progress(TextColumn("  {task.description:<18}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), transient=True, console=Console(file=self.out))
            self._bar.start()

    def _step(self, key: str, outcome: str = "ok") -> None:
        group = self.groups.get(key)
        if group not in self.totals:
            return
        if group not in self.started:
            self.started[group] = time.monotonic()
            for g in self.totals:  # the stages run in order: a later stage starting ends the earlier ones
                if g != group and g in self.started and g not in self.ended and list(self.totals).index(g) < list(self.totals).index(group):
                    self._end(g)
            if self._bar is not None:
                self._tasks[group] = self._bar.add_task(self.labels.get(group, group), total=self.totals[group])
        self.done[group] += 1
        self.failed[group] += outcome == "failed"
        self.warned[group] += outcome == "warned"
        if self._bar is not None:
            self._bar.update(self._tasks[group], completed=self.done[group])
        if self.done[group] >= self.totals[group]:
            self._end(group)

    def _end(self, group: str) -> None:
        if group in self.ended:
            return
        self.ended.add(group)
        if self._bar is not None:
            self._bar.remove_task(self._tasks[group])
        now = time.monotonic()
        seconds, self.mark = now - self.mark, now
        notes = "".join(f", {n} {what}" for n, what in ((self.failed[group], "check(s) failed"),
                                                         (self.warned[group], "check(s) warned")) if n)
        label = self.labels.get(group, group)
        checks = self.check_totals.get(group, 0)
        detail = stage_detail(group, label, self.metadata[group],
                              (self.done[group] - self.checks_done[group], self.checks_done[group]),
                              (self.totals[group] - checks, checks))
        line = f"  {label:<18} {detail}{notes} ({seconds:.1f} s)"
        (self._bar.console.print(line, highlight=False) if self._bar is not None else print(line, file=self.out, flush=True))

    def on_event(self, event) -> None:
        kind = event.event_type_value
        if kind == "ASSET_MATERIALIZATION":
            key = event.asset_key.to_user_string()
            group = self.groups.get(key)
            if group in self.metadata:
                self.metadata[group][key] = dict(event.event_specific_data.materialization.metadata or {})
            self._step(key)
        elif kind == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            outcome = "ok" if data.passed else ("failed" if data.severity.value == "ERROR" else "warned")
            key = data.asset_key.to_user_string()
            if self.groups.get(key) in self.checks_done:
                self.checks_done[self.groups[key]] += 1
            self._step(key, outcome)

    def close(self) -> None:
        for group in list(self.started):
            self._end(group)
        if self._bar is not None:
            self._bar.stop()


def stage_progress(graph, keys, months: int, enabled: bool, labels: dict | None = None) -> StageProgress | None:
    """A StageProgress over the assets ``keys`` of an asset graph (a partitioned asset counts once per month) and
    their checks; None when not ``enabled``."""
    if not enabled:
        return None
    order = ["ingest", "transform", "quality", "publish"]
    groups, totals, checks = {}, {}, {}
    for k in keys:
        node = graph.get(k)
        stage = stage_of(node.group_name)
        groups[k.to_user_string()] = stage
        totals[stage] = totals.get(stage, 0) + (months if node.is_partitioned else 1)
    for check in graph.asset_check_keys:
        if check.asset_key in keys:
            group = stage_of(graph.get(check.asset_key).group_name)
            totals[group] = totals.get(group, 0) + 1
            checks[group] = checks.get(group, 0) + 1
    ordered = {g: totals[g] for g in sorted(totals, key=lambda g: order.index(g) if g in order else 9)}
    return StageProgress(groups, ordered, labels=labels, check_totals=checks)


_CURRENT: StageProgress | None = None  # the CLI's progress while its run goes on (loggers are built by Dagster)


class _ProgressHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        event = (getattr(record, "dagster_meta", None) or {}).get("dagster_event")
        if _CURRENT is not None and event is not None:
            try:
                _CURRENT.on_event(event)
            except Exception:  # progress is cosmetic: it never fails a run
                logging.getLogger(__name__).debug("progress display failed", exc_info=True)


@dg.logger(description="Stage progress of a cchc run (a no-op when no CLI is watching)")
def progress_logger(init_context) -> logging.Logger:
    log = logging.getLogger("cchc.progress")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    if not any(isinstance(h, _ProgressHandler) for h in log.handlers):
        log.addHandler(_ProgressHandler())
    return log


@dg.logger(config_schema={"path": dg.Field(str, is_required=False, default_value="")},
           description="The whole run log (Dagster events, dbt output) appended to a file")
def file_logger(init_context) -> logging.Logger:
    path = init_context.logger_config["path"]
    log = logging.getLogger(f"cchc.runlog.{path or 'none'}")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    if path and not log.handlers:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter(FORMAT))
        log.addHandler(handler)
    return log


LOGGERS = {"console": dg.colored_console_logger, "file": file_logger, "progress": progress_logger}


def logger_config(log_path: Path | None, verbose: bool) -> dict:
    """run_config['loggers'] of a CLI run: the console only with --verbose (else errors only), the file always."""
    return {"console": {"config": {"log_level": "DEBUG" if verbose else "CRITICAL"}},
            "file": {"config": {"path": str(log_path) if log_path else ""}},
            "progress": {}}


_DBT_OUTPUT: Path | None = None  # where dbt's own output goes during a quiet CLI run (None: the terminal)


def watch(progress: StageProgress | None, dbt_output: Path | None = None) -> None:
    """Install (or, with None, remove) the CLI's progress display and the file dbt's output goes to."""
    global _CURRENT, _DBT_OUTPUT
    _CURRENT, _DBT_OUTPUT = progress, dbt_output


@contextlib.contextmanager
def dbt_output():
    """dagster-dbt writes every dbt line to sys.stdout: during a quiet CLI run they go to the run's log file."""
    if _DBT_OUTPUT is None:
        yield
        return
    with open(_DBT_OUTPUT, "a", encoding="utf-8") as fh, contextlib.redirect_stdout(fh):
        yield
