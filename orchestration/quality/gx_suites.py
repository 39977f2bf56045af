"""Great Expectations suites (committed JSON under ``expectations/``) run on pandas DataFrames.

GX cannot validate DuckDB through SQLAlchemy (ENGINEERING.md §2), so tables are read through a read-only
DuckDB connection (or from the lake's Parquet) into pandas and validated there. Each expectation carries
a ``severity``: ``critical`` failures block publication, ``warning`` ones are reported in the manifest.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from orchestration.lib.settings import EXPECTATIONS_DIR

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


@dataclass
class ExpectationOutcome:
    expectation: str
    column: str | None
    severity: str  # critical | warning | info
    success: bool
    unexpected_count: int | None = None
    examples: list = field(default_factory=list)
    observed: object = None

    def describe(self) -> str:
        where = f" on {self.column}" if self.column else ""
        detail = ""
        if self.unexpected_count:
            detail = f": {self.unexpected_count} unexpected value(s), e.g. {self.examples[:5]}"
        elif self.observed is not None:
            detail = f": observed {self.observed}"
        return f"{self.expectation}{where}{detail}"


@dataclass
class SuiteResult:
    suite: str
    batch: str
    rows: int
    outcomes: list[ExpectationOutcome]

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "critical"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity != "critical"]

    def to_dict(self) -> dict:
        return {
            "suite": self.suite, "batch": self.batch, "rows": self.rows,
            "success": not self.critical_failures,
            "outcomes": [o.__dict__ | {"examples": [str(x) for x in o.examples[:5]], "observed": str(o.observed) if o.observed is not None else None} for o in self.outcomes],
        }


def load_suite_json(name: str) -> dict:
    path = EXPECTATIONS_DIR / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _context():
    import great_expectations as gx

    ctx = gx.get_context(mode="ephemeral")
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    except Exception:  # progress bars are cosmetic
        pass
    return ctx


def validate_frame(suite_name: str, frame, batch: str) -> SuiteResult:
    """Validate a pandas DataFrame against a committed suite."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    spec = load_suite_json(suite_name)
    ctx = _context()
    uid = f"{suite_name}_{batch}".replace("/", "_").replace("=", "_")
    ds = ctx.data_sources.add_or_update_pandas(f"ds_{uid}")
    asset = ds.add_dataframe_asset(f"a_{uid}")
    batch_def = asset.add_batch_definition_whole_dataframe(f"b_{uid}")
    suite = gx.ExpectationSuite(name=f"s_{uid}")
    severities = []
    for exp in spec["expectations"]:
        suite.add_expectation_configuration(
            ExpectationConfiguration(type=exp["type"], kwargs=exp["kwargs"], meta=exp.get("meta", {}))
        )
        severities.append(exp.get("severity", "critical"))
    suite = ctx.suites.add_or_update(suite)
    result = batch_def.get_batch(batch_parameters={"dataframe": frame}).validate(suite)
    outcomes = []
    # GX returns results in suite order
    for exp, sev, res in zip(spec["expectations"], severities, result.results):
        r = res.result or {}
        outcomes.append(ExpectationOutcome(
            expectation=exp["type"], column=exp["kwargs"].get("column") or ",".join(exp["kwargs"].get("column_list", [])) or None,
            severity=sev, success=bool(res.success), unexpected_count=r.get("unexpected_count"),
            examples=list(r.get("partial_unexpected_list") or []), observed=r.get("observed_value"),
        ))
    ctx.data_sources.delete(f"ds_{uid}")
    return SuiteResult(suite=suite_name, batch=batch, rows=len(frame), outcomes=outcomes)


def write_results(results: list[SuiteResult], folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return path
