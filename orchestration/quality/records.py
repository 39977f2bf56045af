"""The check records: one JSON file per check, ``<out>/quality/checks/<asset>__<check>.json`` (name, asset, severity,
passed, message, details), written by the lake checks and the quality gate and read back by the gate's summary, the
release manifest and the CLI; beside them the GX results (JSON, and the HTML Data Docs under
``<out>/quality/data_docs/``) and the seconds the checks took (``overhead.json``).

A record is plain data (no Dagster here), so a worker process can hand it back; ``quality.assets.check_result`` turns
it into the Dagster asset-check result the assets yield.
"""


import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from orchestration.lib import layout
from orchestration.lib.settings import Settings
from orchestration.quality.gx_suites import SuiteResult, build_data_docs, store_gx_results, write_results


@dataclass
class CheckRecord:
    name: str
    asset: str
    severity: str  # critical | warning
    passed: bool
    message: str
    details: list[str] = field(default_factory=list)
    rows: int = 0
    batches: list[str] = field(default_factory=list)
    checked_at: str = ""

    @property
    def blocking(self) -> bool:
        return self.severity == "critical"

    def to_dict(self) -> dict:
        return asdict(self) | {"blocking": self.blocking}

def record_path(reports_dir: Path, asset: str, name: str) -> Path:
    return layout.check_records_dir(reports_dir) / f"{asset.replace('/', '.')}__{name}.json"


def write_record(reports_dir: Path, rec: CheckRecord) -> None:
    rec.checked_at = rec.checked_at or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    path = record_path(reports_dir, rec.asset, rec.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rec.to_dict(), ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def read_records(reports_dir: Path) -> list[dict]:
    """Every check's latest result under ``<out>/quality/checks/`` (what the manifest lists)."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(layout.check_records_dir(reports_dir).glob("*.json"))]


def suite_records(check_base: str, asset: str, results: list[SuiteResult], severities: set[str]) -> list[CheckRecord]:
    """One record per severity of the suite(s): critical → ``check_base``, warning → ``check_base_warnings``."""
    out = []
    for sev in ("critical", "warning"):
        if sev not in severities:
            continue
        failed = [(r, o) for r in results for o in r.failures(sev)]
        details = [f"{r.suite} [{r.batch}]: {o.describe()}" for r, o in failed]
        checked = sum(1 for r in results for o in r.outcomes if o.severity == sev)
        label = "critical expectations" if sev == "critical" else "warning expectations"
        if not results:
            message = f"nothing to validate in this run ({label})"
        elif failed:
            message = f"{len(failed)} of {checked} {label} failed: " + "; ".join(details[:3]) + (" …" if len(details) > 3 else "")
        else:
            message = f"all {checked} {label} passed on {sum(r.rows for r in results)} rows ({len(results)} batch(es))"
            reused = [r for r in results if r.reused_from]
            if reused:
                message += (f"; {len(reused)} unchanged period batch(es) ({sum(r.rows for r in reused)} rows) keep their result"
                            f" of {min(r.reused_from for r in reused)} or later (same rows, same suite: not re-validated)")
        out.append(CheckRecord(name=check_base + ("" if sev == "critical" else "_warnings"), asset=asset, severity=sev,
                               passed=not failed, message=message, details=details, rows=sum(r.rows for r in results),
                               batches=[r.batch for r in results]))
    return out


def write_outcome(settings: Settings, records: list[CheckRecord], results: list[SuiteResult], run_name: str,
                  report_name: str, docs: bool = False) -> list[CheckRecord]:
    """Write the records and the GX results (JSON; HTML Data Docs rebuilt when ``docs`` or when a check failed, so a
    blocked run has them too — the quality gate and the CLI rebuild them at the end). Returns the records (plain data,
    which a worker process can hand back)."""
    reports = settings.reports_dir
    for rec in records:
        write_record(reports, rec)
    if results:
        write_results(results, reports, report_name)
        store_gx_results(reports, results, run_name or "run")
    if settings.data_docs and (docs or any(not r.passed for r in records)):
        build_data_docs(reports)
    return records


def gate_summary(records: list[CheckRecord | dict]) -> str:
    recs = [r if isinstance(r, dict) else r.to_dict() for r in records]
    blocked = [r for r in recs if not r["passed"] and r["severity"] == "critical"]
    warned = [r for r in recs if not r["passed"] and r["severity"] != "critical"]
    lines = [f"{len(recs)} checks: {len(recs) - len(blocked) - len(warned)} passed, {len(blocked)} blocking failure(s), "
             f"{len(warned)} warning(s)."]
    for r in blocked:
        lines.append(f"BLOCKED by {r['asset']}:{r['name']} — {r['message']}")
    for r in warned:
        lines.append(f"warning {r['asset']}:{r['name']} — {r['message']}")
    return "\n".join(lines)


def note_overhead(settings: Settings, what: str, seconds: float) -> None:
    """Seconds spent in the quality checks of this output folder (GX overhead, reported by the CLI)."""
    path = layout.overhead_file(settings.reports_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except ValueError:
        data = {}
    data[what] = round(seconds, 3)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
