"""Great Expectations suites (committed JSON under ``expectations/``) run on pandas DataFrames.

GX cannot validate DuckDB through SQLAlchemy (ENGINEERING.md §2), so tables are read through a read-only
DuckDB connection (or from the lake's Parquet) into pandas and validated there.

Suite file format (``expectations/<name>.json``)::

    {"name": …, "description": …,
     "columns": {"<column>": "<DuckDB type>", …},        # optional: the schema contract (names and types)
     "derived_columns": ["…"],                           # optional: columns the reading query adds (joins)
     "expectations": [{"type": "expect_…", "kwargs": {…}, "severity": "critical" | "warning",
                       "index_columns": ["…"],           # optional: columns naming an unexpected row
                       "description": "…"}]}            # optional: plain words for the summary

``columns`` adds two GX expectations: ``expect_table_columns_to_match_set`` (exact) on the frame, and one
``expect_column_pair_values_to_be_equal`` (declared vs actual DuckDB type) on a schema frame built from the
relation the frame was read from. ``critical`` failures block publication; ``warning`` ones are reported
(Dagster WARN checks, release manifest). Kwargs may use GX suite parameters ``{"$PARAMETER": "name"}``,
filled by the caller (e.g. the volume-drop threshold).

One ephemeral context per process validates; the GX validation results are also kept as JSON under
``<out>/quality/gx_results/`` and rendered into HTML Data Docs (``<out>/quality/data_docs/index.html``) by a
file-backed context under ``<out>/quality/gx/`` — never under the repository, nothing fetched from the network,
analytics off.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from orchestration.lib import layout
from orchestration.lib.settings import EXPECTATIONS_DIR

# Frames of at least this many rows are followed by a full garbage collection once validated (validate_frame).
GC_FRAME_ROWS = 100_000

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

SEVERITIES = ("critical", "warning")


@dataclass
class ExpectationOutcome:
    expectation: str
    column: str | None
    severity: str  # critical | warning
    success: bool
    unexpected_count: int | None = None
    examples: list = field(default_factory=list)
    observed: object = None
    description: str | None = None
    error: str | None = None

    def describe(self) -> str:
        where = f" on {self.column}" if self.column else ""
        what = f" ({self.description})" if self.description else ""
        detail = ""
        if self.error:
            detail = f": GX error {self.error}"
        elif self.unexpected_count:
            detail = f": {self.unexpected_count} unexpected value(s), e.g. {[str(x) for x in self.examples[:5]]}"
        elif self.observed is not None:
            detail = f": observed {self.observed}"
        return f"{self.expectation}{where}{what}{detail}"


@dataclass
class SuiteResult:
    suite: str
    batch: str
    rows: int
    outcomes: list[ExpectationOutcome]
    gx_results: list = field(default_factory=list, repr=False)  # ExpectationSuiteValidationResult(s), for Data Docs
    reused_from: str | None = None  # set when this is a stored result of identical rows (not re-validated)

    @classmethod
    def from_dict(cls, d: dict, reused_from: str | None = None) -> "SuiteResult":
        """A result stored with ``to_dict`` (examples and observed values as text)."""
        return cls(suite=d["suite"], batch=d["batch"], rows=d["rows"],
                   outcomes=[ExpectationOutcome(**o) for o in d["outcomes"]], reused_from=reused_from)

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "critical"]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity != "critical"]

    def failures(self, severity: str) -> list[ExpectationOutcome]:
        return self.critical_failures if severity == "critical" else self.warnings

    def to_dict(self) -> dict:
        return {
            "suite": self.suite, "batch": self.batch, "rows": self.rows,
            "success": not self.critical_failures,
            "outcomes": [o.__dict__ | {"examples": [str(x) for x in o.examples[:5]],
                                       "observed": str(o.observed) if o.observed is not None else None}
                         for o in self.outcomes],
        }


def load_suite_json(name: str) -> dict:
    path = EXPECTATIONS_DIR / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def suite_severities(name: str) -> set[str]:
    """Severities present in a suite (a suite with ``columns`` always has critical schema expectations)."""
    spec = load_suite_json(name)
    found = {e.get("severity", "critical") for e in spec["expectations"]}
    return found | ({"critical"} if spec.get("columns") else set())


@lru_cache(maxsize=1)
def _context():
    """One ephemeral GX context per process (cheap to reuse; no files, no network)."""
    # lazy (GX in every function of this module): Great Expectations costs ≈2.5–3 s to import and every Dagster module
    # imports this one (orchestration.definitions); only a validation or the Data Docs need it
    import great_expectations as gx

    ctx = gx.get_context(mode="ephemeral")
    _quiet(ctx)
    return ctx


def _quiet(ctx) -> None:
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig  # lazy: GX, see _context

        ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    except Exception:  # progress bars are cosmetic
        pass


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def _run_suite(suite_name: str, expectations: list[dict], frame, batch: str, parameters: dict | None):
    """Validate ``frame`` with ``expectations`` (suite-JSON dicts); returns (outcomes, GX result)."""
    # lazy: GX, see _context
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    ctx = _context()
    uid = _slug(f"{suite_name}_{batch}")
    ds = ctx.data_sources.add_or_update_pandas(f"ds_{uid}")
    try:
        batch_def = ds.add_dataframe_asset(f"a_{uid}").add_batch_definition_whole_dataframe(f"b_{uid}")
        suite = gx.ExpectationSuite(name=suite_name)
        for i, exp in enumerate(expectations):
            meta = {**exp.get("meta", {}), "cchc_index": i, "severity": exp.get("severity", "critical")}
            if exp.get("description"):
                meta["notes"] = exp["description"]
            suite.add_expectation_configuration(ExpectationConfiguration(type=exp["type"], kwargs=exp["kwargs"], meta=meta))
        with contextlib.suppress(Exception):
            ctx.suites.delete(suite_name)
        suite = ctx.suites.add(suite)
        result = batch_def.get_batch(batch_parameters={"dataframe": frame}).validate(
            suite, result_format="SUMMARY", expectation_parameters=parameters or {})
    finally:
        ctx.data_sources.delete(f"ds_{uid}")
    # the in-memory batch definition names a throwaway data source: name the batch as the Data Docs show it
    result.meta["active_batch_definition"] = {"datasource_name": "cchc", "data_asset_name": f"{suite_name} [{batch}]",
                                              "batch_definition_name": batch}
    result.meta["batch_spec"] = {"batch": batch}
    by_index = {r.expectation_config.meta.get("cchc_index"): r for r in result.results}  # GX reorders results
    outcomes = []
    for i, exp in enumerate(expectations):
        res = by_index.get(i)
        r = (res.result or {}) if res else {}
        kw = exp["kwargs"]
        column = (kw.get("column")
                  or ",".join(kw.get("column_list", []) or [c for c in (kw.get("column_A"), kw.get("column_B")) if c]) or None)
        examples = list(r.get("partial_unexpected_list") or [])
        if exp.get("index_columns") and r.get("partial_unexpected_index_list"):
            idx = [i for i in r["partial_unexpected_index_list"] if i in frame.index]
            examples = [" ".join(f"{c}={row[c]}" for c in exp["index_columns"]) for _, row in frame.loc[idx].iterrows()]
        error = None
        if res is not None and res.exception_info and res.exception_info.get("raised_exception"):
            error = (res.exception_info.get("exception_message") or "")[:300]
        outcomes.append(ExpectationOutcome(
            expectation=exp["type"], column=column, severity=exp.get("severity", "critical"),
            success=bool(res.success) if res is not None else False, unexpected_count=r.get("unexpected_count"),
            examples=examples, observed=(r.get("details") or {}).get("mismatched") or r.get("observed_value"),
            description=exp.get("description"), error=error,
        ))
    return outcomes, result


def validate_frame(suite_name: str, frame, batch: str, types: dict[str, str] | None = None,
                   parameters: dict | None = None) -> SuiteResult:
    """Validate a pandas DataFrame against a committed suite.

    ``types``: the actual DuckDB column types of the relation the frame was read from; with the suite's
    ``columns`` it gives the schema expectations. ``parameters``: values of the suite's ``$PARAMETER``s.
    """
    spec = load_suite_json(suite_name)
    expectations = list(spec["expectations"])
    outcomes, gx_results = [], []
    declared = spec.get("columns")
    if declared:
        expectations.insert(0, {"type": "expect_table_columns_to_match_set", "severity": "critical",
                                "kwargs": {"column_set": [*declared, *spec.get("derived_columns", [])], "exact_match": True},
                                "description": "the lake/publish contract's columns, no more, no fewer"})
    o, res = _run_suite(suite_name, expectations, frame, batch, parameters)
    outcomes += o
    gx_results.append(res)
    if declared and types is not None:
        schema = pd.DataFrame([{"column": c, "declared_type": t, "actual_type": types.get(c, "(missing)")}
                               for c, t in declared.items()])
        o, res = _run_suite(f"{suite_name}.schema", [{
            "type": "expect_column_pair_values_to_be_equal", "severity": "critical",
            "kwargs": {"column_A": "declared_type", "column_B": "actual_type"}, "index_columns": ["column", "actual_type"],
            "description": "every column has its declared DuckDB type"}], schema, batch, None)
        outcomes += [ExpectationOutcome(**{**x.__dict__, "expectation": "column types (" + x.expectation + ")"}) for x in o]
        gx_results.append(res)
    if len(frame) >= GC_FRAME_ROWS:
        # GX's validation objects hold the frame in reference cycles, which only a full collection frees — and
        # allocating a few large frames never triggers one: a worker validating a 20 M year's 13 monthly frames kept
        # them all (9.7 GB peak; 4 months 5.8 GB, 3.0 GB with this collection; docs/benchmarks.md, run 11).
        gc.collect()
    return SuiteResult(suite=suite_name, batch=batch, rows=len(frame), outcomes=outcomes, gx_results=gx_results)


def gx_frame(con, query: str, params: list | None = None):
    """A table (a lake partition, a publish table or one period of it) as the frame GX validates. Text columns
    become pandas categoricals straight from Arrow: these tables repeat a few codes millions of times, and GX's
    pandas engine copies the frame's rows for every expectation — with Arrow-backed strings that copying and
    DuckDB's conversion were 100 of the gate's 173 s at 1 M dossiers (issue 7 profile)."""
    # a relation (DuckDB 2.0: Arrow from an execute() result is an extra copy), after finishing any result the
    # caller left unread on the connection (2.0 refuses a relation while one is pending)
    con.complete()
    table = con.sql(query, params=params or None).to_arrow_table()
    return table.to_pandas(strings_to_categorical=True)



def write_results(results: list[SuiteResult], folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return path


# --- Data Docs -------------------------------------------------------------------------------------------

def store_gx_results(reports_dir: Path, results: list[SuiteResult], run_name: str) -> None:
    """Keep the raw GX validation results (one JSON each) for the Data Docs of this output folder."""
    folder = layout.gx_results_dir(reports_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%f")
    for r in results:
        for j, res in enumerate(r.gx_results):
            suite = res.suite_name
            doc = {"suite": suite, "batch": r.batch, "run_name": run_name, "run_time": stamp, "result": res.to_json_dict()}
            (folder / _slug(f"{suite}__{r.batch}__{j}.json")).write_text(
                json.dumps(doc, ensure_ascii=False, default=str), encoding="utf-8")


@contextlib.contextmanager
def _lock(path: Path):
    import fcntl  # lazy: POSIX-only; the rest of this module (imported by every Dagster module) does not need it

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build_data_docs(reports_dir: Path) -> Path:
    """Render every stored validation result of this output folder into ``<reports_dir>/data_docs/``
    (a file-backed GX context under ``<reports_dir>/gx/``, local filesystem site). Returns index.html."""
    # lazy: GX, see _context
    import great_expectations as gx
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier, ValidationResultIdentifier

    site_dir = layout.data_docs_dir(reports_dir)
    with _lock(reports_dir / ".data_docs.lock"):
        ctx = gx.get_context(mode="file", project_root_dir=str(reports_dir))
        _quiet(ctx)
        sites = ctx.get_config().data_docs_sites or {}
        if "cchc" not in sites:
            for name in list(sites):
                ctx.delete_data_docs_site(name)
            ctx.add_data_docs_site("cchc", {
                "class_name": "SiteBuilder", "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            })
        store = ctx.validation_results_store
        for p in sorted(layout.gx_results_dir(reports_dir).glob("*.json")):
            doc = json.loads(p.read_text(encoding="utf-8"))
            run_time = dt.datetime.strptime(doc["run_time"], "%Y%m%dT%H%M%S%f").replace(tzinfo=dt.timezone.utc)
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=doc["suite"]),
                run_id=RunIdentifier(run_name=doc["run_name"], run_time=run_time), batch_identifier=_slug(doc["batch"]))
            if not store.has_key(key):
                store.set(key, ExpectationSuiteValidationResult(**_result_kwargs(doc["result"])))
        ctx.build_data_docs(site_names=["cchc"])
    return layout.data_docs_index(reports_dir)


def _result_kwargs(d: dict) -> dict:
    # lazy: GX, see _context
    from great_expectations.core.expectation_validation_result import ExpectationValidationResult
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    results = []
    for r in d.get("results", []):
        cfg = r.get("expectation_config") or {}
        results.append(ExpectationValidationResult(
            success=r.get("success"), result=r.get("result"), meta=r.get("meta"), exception_info=r.get("exception_info"),
            expectation_config=ExpectationConfiguration(type=cfg.get("type"), kwargs=cfg.get("kwargs", {}), meta=cfg.get("meta"))))
    return {"success": d.get("success"), "results": results, "suite_name": d.get("suite_name"),
            "statistics": d.get("statistics"), "meta": d.get("meta") or {}}
