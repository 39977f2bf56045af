"""Revisions against the previous release (``publish/latest`` before the swap).

Both releases are read from their published files into one *long* table of values, one row per published value.
With layout v2 (orchestration.publish.parts) only the parts this release **rewrote** are compared — with the
previous release's parts of the same keys, and the previous parts that no longer exist: a linked part is the same
file, so it holds no revision.

* observations (``indicator_observations.csv``): value = ``ratio`` (or ``points`` where the indicator has no ratio: QD766 group
  scores and the total), points = ``points``, obs_status as published;
* ``report_bieu06.csv``: its 11 counts as indicators ``BIEU06_COL03`` … ``BIEU06_COL13`` (agency and procedure
  empty), obs_status ``B`` on the first period of a unit after a series break (the manifest's ``bieu06_breaks``:
  METHODOLOGY §7, B before P and A), else ``P`` for a running period and ``A`` otherwise (the manifest's
  ``bieu06_running``; for a release before layout v2 read back from its ``sdmx/BIEU06.csv``; unknown before the
  SDMX files existed).

The key of a value is (indicator_id, formula_version, period, unit_code, unit_valid_from, agency_code, ma_linh_vuc,
ma_tthc). A value present in both releases is **revised** when its value or its points differ by more than 1e-9
(or one side is empty and the other not), or its obs_status differs (when both are known). A value of the
previous release absent from this one is listed as withdrawn (new side empty, cause ``withdrawn``). New keys are
not revisions. Cause, when known (several are joined with ``; ``): ``provisional → final`` (obs_status P → A),
``input changed`` (the manifests' input files/sha256 differ), ``code changed`` (code_version differs).
"""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.lib import layout
from orchestration.lib.safe_cells import neutralised_query
from orchestration.publish.parts import read_parts_sql

TOLERANCE = 1e-9
KEY = ["indicator_id", "formula_version", "period", "unit_code", "unit_valid_from", "agency_code", "ma_linh_vuc",
       "ma_tthc"]
REVISION_COLUMNS = KEY + ["old_value", "new_value", "old_points", "new_points", "old_obs_status", "new_obs_status",
                          "cause"]
BIEU06_COUNTS = {
    "received_total": "BIEU06_COL03", "received_online": "BIEU06_COL04", "received_direct_postal": "BIEU06_COL05",
    "carried_over": "BIEU06_COL06", "resolved_total": "BIEU06_COL07", "resolved_early": "BIEU06_COL08",
    "resolved_on_time": "BIEU06_COL09", "resolved_late": "BIEU06_COL10", "pending_total": "BIEU06_COL11",
    "pending_within_time": "BIEU06_COL12", "pending_overdue": "BIEU06_COL13",
}
LONG_COLUMNS = ["indicator_id", "formula_version", "period_type", "period", "unit_code", "unit_valid_from",
                "agency_code", "ma_linh_vuc", "ma_tthc", "value", "points", "obs_status", "province", "source_table"]


def _csv(path: Path) -> str:
    return f"read_csv('{path}', header=true, all_varchar=true, quote='\"', escape='\"')"


def _obs_long(source: str, province: str = "CAST(NULL AS VARCHAR)") -> str:
    return f"""
        SELECT indicator_id, formula_version, period_type, period, unit_code, CAST(unit_valid_from AS VARCHAR) AS unit_valid_from,
               coalesce(agency_code, '') AS agency_code, coalesce(ma_linh_vuc, '') AS ma_linh_vuc,
               coalesce(ma_tthc, '') AS ma_tthc,
               coalesce(TRY_CAST(ratio AS DOUBLE), TRY_CAST(points AS DOUBLE)) AS value,
               TRY_CAST(points AS DOUBLE) AS points, obs_status, {province} AS province,
               'observations' AS source_table
        FROM {source}"""


def _b06_long(source: str, status_join: str, status_col: str, bieu06_formula_version: str,
              province: str = "CAST(NULL AS VARCHAR)") -> str:
    cases = " ".join(f"WHEN '{c}' THEN '{i}'" for c, i in BIEU06_COUNTS.items())
    return f"""
        SELECT CASE col {cases} END AS indicator_id, '{bieu06_formula_version}' AS formula_version, period_type,
               period, unit_code, CAST(unit_valid_from AS VARCHAR) AS unit_valid_from, '' AS agency_code,
               coalesce(ma_linh_vuc, '') AS ma_linh_vuc, '' AS ma_tthc, TRY_CAST(v AS DOUBLE) AS value,
               CAST(NULL AS DOUBLE) AS points, {status_col} AS obs_status, province, 'bieu06' AS source_table
        FROM (UNPIVOT (SELECT period_type, period, unit_code, unit_valid_from, ma_linh_vuc, {province} AS province,
                              {', '.join(f'CAST({c} AS VARCHAR) AS {c}' for c in BIEU06_COUNTS)} FROM {source})
              ON {', '.join(BIEU06_COUNTS)} INTO NAME col VALUE v) b {status_join}"""


def _running_join(bieu06_running: dict[str, bool], bieu06_breaks: list | None = None) -> tuple[str, str]:
    """The join and the column giving a Biểu 06 value its obs_status: B for a (period, unit version) of
    ``bieu06_breaks`` ([period, unit_code, unit_valid_from] triples), else P (running period) or A."""
    rows = ", ".join(f"('{p}', '{'P' if r else 'A'}')" for p, r in bieu06_running.items()) or "(NULL, NULL)"
    join = f"LEFT JOIN (VALUES {rows}) s(period, obs_status) USING (period)"
    if not bieu06_breaks:
        return join, "s.obs_status"
    breaks = ", ".join(f"('{p}', '{u}', '{vf}')" for p, u, vf in bieu06_breaks)
    join += (f" LEFT JOIN (VALUES {breaks}) k(k_period, k_unit, k_valid_from) ON k.k_period = b.period "
             "AND k.k_unit = b.unit_code AND k.k_valid_from = CAST(b.unit_valid_from AS VARCHAR)")
    return join, "CASE WHEN k.k_period IS NOT NULL THEN 'B' ELSE s.obs_status END"


def _create_long(mem, table: str, parts: list[str], kind: str = "TABLE") -> None:
    if not parts:
        parts.append("SELECT " + ", ".join(f"CAST(NULL AS {'DOUBLE' if c in ('value', 'points') else 'VARCHAR'}) AS {c}"
                                           for c in LONG_COLUMNS) + " WHERE false")
    mem.execute(f"CREATE OR REPLACE {kind} {table} AS " + " UNION ALL ".join(
        f"SELECT {', '.join(LONG_COLUMNS)} FROM ({p})" for p in parts))


def load_long_parts(mem, table: str, obs_files: list[Path], b06_files: list[Path], bieu06_formula_version: str,
                    bieu06_running: dict[str, bool], bieu06_breaks: list | None = None) -> None:
    """Create the view ``table`` (the long table, read from the files each time it is used: a national release is
    tens of millions of values, never held in memory) over Parquet parts of layout v2
    (orchestration.publish.parts): the observation parts and the Biểu 06 parts given, each row with its part's
    province."""
    parts = []
    if obs_files:
        parts.append(_obs_long(read_parts_sql(obs_files), "province"))
    if b06_files:
        join, col = _running_join(bieu06_running, bieu06_breaks)
        parts.append(_b06_long(read_parts_sql(b06_files), join, col, bieu06_formula_version, "province"))
    _create_long(mem, table, parts, kind="VIEW")


def load_long(mem, folder: Path, table: str, bieu06_formula_version: str = "TT01-2020",
              bieu06_running: dict[str, bool] | None = None) -> None:
    """Create ``table`` (the long table described above) from the root files of a release written before layout v2
    (``indicator_observations.csv`` or its Parquet twin, ``report_bieu06.csv``). Key parts that are empty (whole
    unit / all fields / all procedures) are '' so that keys join plainly; province is unknown (NULL)."""
    parts = []
    obs = folder / "indicator_observations.csv"
    twin = folder / "indicator_observations.parquet"
    if obs.exists():
        # the Parquet twin holds the same rows and (neutralised) text; reading it instead of the CSV saves parsing
        # millions of rows twice per release (keys as text either way, so the two routes join alike)
        parts.append(_obs_long(f"read_parquet('{twin}')" if twin.exists() else _csv(obs)))
    b06 = folder / "report_bieu06.csv"
    if b06.exists():
        if bieu06_running is not None:
            status_join, status_col = _running_join(bieu06_running)
        elif (folder / "sdmx" / "BIEU06.csv").exists():
            status_join = f"""LEFT JOIN (SELECT DISTINCT replace(TIME_PERIOD, '-S', '-H') AS period, OBS_STATUS AS obs_status
                              FROM {_csv(folder / 'sdmx' / 'BIEU06.csv')} WHERE ACTION <> 'D') s USING (period)"""
            status_col = "s.obs_status"
        else:
            status_join, status_col = "", "CAST(NULL AS VARCHAR)"
        parts.append(_b06_long(_csv(b06), status_join, status_col, bieu06_formula_version))
    _create_long(mem, table, parts)


def _differs(a: str, b: str) -> str:
    return f"(({a} IS NULL) <> ({b} IS NULL) OR abs({a} - {b}) > {TOLERANCE})"


def compute_revisions(mem, previous: Path | None, current_manifest: dict, cur: str = "cur", prev: str = "prev") -> dict:
    """Create table ``revisions`` (REVISION_COLUMNS + action R/D) comparing ``cur`` with ``prev``; returns the
    summary for the manifest."""
    prev_manifest = {}
    if previous is not None and layout.release_manifest(previous).exists():
        prev_manifest = json.loads(layout.release_manifest(previous).read_text(encoding="utf-8"))
    sig = lambda m: sorted((i.get("table"), i.get("file"), i.get("sha256")) for i in m.get("inputs", []))  # noqa: E731
    input_changed = bool(prev_manifest) and sig(prev_manifest) != sig(current_manifest)
    code_changed = bool(prev_manifest) and prev_manifest.get("code_version") != current_manifest.get("code_version")
    on = " AND ".join(f"c.{k} = p.{k}" for k in KEY)
    extra = []
    if input_changed:
        extra.append("'input changed'")
    if code_changed:
        extra.append("'code changed'")
    extra_list = ", ".join(extra)
    mem.execute(f"""
        CREATE OR REPLACE TABLE revisions AS
        WITH j AS (
            SELECT {', '.join(f'coalesce(c.{k}, p.{k}) AS {k}' for k in KEY)},
                   p.value AS old_value, c.value AS new_value, p.points AS old_points, c.points AS new_points,
                   p.obs_status AS old_obs_status, c.obs_status AS new_obs_status,
                   c.indicator_id IS NULL AS withdrawn
            FROM {cur} c FULL OUTER JOIN {prev} p ON {on}
            WHERE p.indicator_id IS NOT NULL)
        SELECT {', '.join(KEY)}, old_value, new_value, old_points, new_points, old_obs_status, new_obs_status,
               array_to_string(list_filter([
                   CASE WHEN withdrawn THEN 'withdrawn' END,
                   CASE WHEN old_obs_status = 'P' AND new_obs_status = 'A' THEN 'provisional → final' END
                   {', ' + extra_list if extra_list else ''}], lambda x: x IS NOT NULL), '; ') AS cause,
               CASE WHEN withdrawn THEN 'D' ELSE 'R' END AS action
        FROM j
        WHERE withdrawn OR {_differs('old_value', 'new_value')} OR {_differs('old_points', 'new_points')}
              OR (old_obs_status IS NOT NULL AND new_obs_status IS NOT NULL AND old_obs_status <> new_obs_status)
        ORDER BY {', '.join(KEY)}""")
    total = mem.execute("SELECT count(*) FROM revisions").fetchone()[0]
    return {
        "previous_release": previous.name if previous is not None else None,
        "revised": mem.execute("SELECT count(*) FROM revisions WHERE action = 'R'").fetchone()[0],
        "withdrawn": mem.execute("SELECT count(*) FROM revisions WHERE action = 'D'").fetchone()[0],
        "total": total,
        "input_changed": input_changed,
        "code_changed": code_changed,
        "by_indicator": dict(mem.execute("SELECT indicator_id, count(*) FROM revisions GROUP BY 1 ORDER BY 1").fetchall()),
        "by_cause": dict(mem.execute("SELECT cause, count(*) FROM revisions GROUP BY 1 ORDER BY 1").fetchall()),
    }


def write_revisions_csv(mem, path: Path) -> int:
    cols = ", ".join(f"nullif({k}, '') AS {k}" if k in ("agency_code", "ma_linh_vuc", "ma_tthc", "cause") else k
                     for k in REVISION_COLUMNS)
    q = f"SELECT {cols} FROM revisions ORDER BY {', '.join(KEY)}"
    return mem.execute(f"COPY ({neutralised_query(mem, q)}) TO '{path}' (HEADER, DELIMITER ',')").fetchone()[0]
