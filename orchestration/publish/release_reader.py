"""Reading a release folder for the pages (the province scorecard, the leadership report): ``load_release`` returns a
``Release`` — the small files as pandas frames, and an in-memory DuckDB over the large ones (observations, explain
tables), which hands each province's page only its own rows. Reads layout v2 parts, else the root CSVs of a release
written before layout v2; every cell is text, an empty cell ''."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.lib import layout
from orchestration.lib.settings import limit_memory
from orchestration.publish.parts import table_sql


def _read(path: Path, usecols: list[str] | None = None) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame(columns=usecols or [])
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    if usecols:
        for c in usecols:
            if c not in df.columns:
                df[c] = ""
        df = df[usecols]
    return df


def _csv_sql(path: Path) -> str:
    """A release CSV as DuckDB reads it for the pages: every cell text, an empty cell '' (as pandas with
    keep_default_na=False), so the frames are the same whichever reader made them."""
    return f"read_csv('{path}', header=true, all_varchar=true, quote='\"', escape='\"')"


def _text_frame(con, query: str, params: list | None = None) -> pd.DataFrame:
    """Rows of an all-text query as a frame of Python strings ('' for empty): plain object columns, because the
    pages turn rows into dicts and Arrow-backed strings are slow to iterate."""
    cur = con.execute(f"SELECT coalesce(COLUMNS(*), '') FROM ({query})", params or [])
    cols = [d[0] for d in cur.description]
    return pd.DataFrame(cur.fetchnumpy(), columns=cols).astype(object)


@dataclass
class Release:
    root: Path
    release_id: str
    created_at: str
    names_vi: dict[str, str]   # indicator_id → Vietnamese name
    units: pd.DataFrame
    targets: pd.DataFrame
    fields: dict[str, str]
    procedures: dict[str, str]
    has_data: dict[str, bool] = field(default_factory=dict)
    con: object = None         # in-memory DuckDB over the release's files (explain tables are read once)
    _tables: set[str] = field(default_factory=set)  # explain tables loaded into ``con``
    reconciliation: pd.DataFrame | None = None  # reconciliation.csv (the portal's figures vs ours), when published
    peers: dict = field(default_factory=dict)  # (indicator, period type, period, unit, valid_from) → peer_benchmarks row
    plan: pd.DataFrame | None = None  # improvement_plan.csv (the planner's actions), when published

    def province_obs(self, province: str) -> pd.DataFrame:
        """The whole-unit QD766 rows (no agency / field / procedure) of one province's subtree, with
        province_code. They stay in DuckDB (table ``obs_whole``): a national release has millions of them."""
        return _text_frame(self.con, "SELECT * EXCLUDE (_rn) FROM obs_whole WHERE province_code = ? ORDER BY _rn", [province])

    def provinces_scored(self) -> list[str]:
        """Provinces with a QD766 total in the release (each gets a page)."""
        return [r[0] for r in self.con.execute(
            "SELECT DISTINCT province_code FROM obs_whole WHERE indicator_id = 'QD766_TOTAL' AND province_code <> ''"
            " ORDER BY 1").fetchall()]

    def explain(self, name: str, year: str, keys: set | None = None, unit_code: str | None = None,
                columns: list[str] | None = None) -> pd.DataFrame:
        """The year's rows (period_type Y) of the explain table ``name`` (``explain_qd766_2_1``; published as CSV,
        the dossier-level one as Parquet) for the units ``keys`` ((unit_code, unit_valid_from) pairs) or the unit
        ``unit_code``. A national release holds millions of explain rows: each table is loaded once (its Y rows)
        into DuckDB and every province's page takes its own slice."""
        source = _release_table(self.root, f"explain/{name}", f"explain/{name}.csv")
        if source is None:
            return pd.DataFrame()
        table = "x_" + name
        if table not in self._tables:
            cols = [d[0] for d in self.con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
            where = "WHERE period_type = 'Y'" if "period_type" in cols else ""
            # _rn keeps the file's order (first occurrence wins where a page drops duplicates)
            self.con.execute(f"CREATE TABLE {table} AS SELECT row_number() OVER () AS _rn, * FROM {source} {where}")
            self._tables.add(table)
        select = "x.* EXCLUDE (_rn)"
        if columns is not None:  # only what the page uses: a national year is millions of rows of text
            present = {d[0] for d in self.con.execute(f"DESCRIBE {table}").fetchall()}
            select = ", ".join(f'x."{c}"' for c in columns if c in present) or "x.* EXCLUDE (_rn)"
        q, params = f"SELECT {select} FROM {table} x WHERE x.period = ?", [year]
        if keys is not None:
            self.con.execute("CREATE OR REPLACE TEMP TABLE _keys (unit_code VARCHAR, unit_valid_from VARCHAR)")
            if keys:
                self.con.executemany("INSERT INTO _keys VALUES (?, ?)", sorted(keys))
            q += " AND (x.unit_code, x.unit_valid_from) IN (SELECT (unit_code, unit_valid_from) FROM _keys)"
        if unit_code is not None:
            q, params = q + " AND x.unit_code = ?", params + [unit_code]
        return _text_frame(self.con, q + " ORDER BY x._rn", params)


def _release_table(release_dir: Path, table: str, v1_file: str) -> str | None:
    """A release table as text (as a CSV reader gives it): its layout v2 parts, else the root file of an older
    release (``v1_file``), else None."""
    source = table_sql(release_dir, table, text=True)
    if source is None and (release_dir / v1_file).exists():
        source = _csv_sql(release_dir / v1_file)
    return source


def load_release(release_dir: Path) -> Release:
    """Read what the pages need. The observation table of a national release is millions of rows: DuckDB reads
    it once and hands pandas only the whole-unit QD766 rows and the per-province "with data" flags."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    limit_memory(con)
    units = _read(release_dir / "units.csv")
    manifest = {}
    if layout.release_manifest(release_dir).exists():
        manifest = json.loads(layout.release_manifest(release_dir).read_text(encoding="utf-8"))
    obs_source = _release_table(release_dir, "observations", "indicator_observations.csv")
    obs_cols = [d[0] for d in con.execute(f"DESCRIBE SELECT * FROM {obs_source}").fetchall()] if obs_source else []
    if {"unit_code", "unit_valid_from", "indicator_id"} <= set(obs_cols):
        con.execute(f"CREATE VIEW obs_all AS SELECT * FROM {obs_source}")
    else:
        con.execute("CREATE VIEW obs_all AS SELECT * FROM "
                    "(VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)) "
                    "t(release_id, indicator_id, indicator_name_vi, unit_code, unit_valid_from, unit_level, agency_code, "
                    "ma_linh_vuc, ma_tthc, denominator, n, period) WHERE false")
    key = (units[["unit_code", "unit_valid_from", "province_code"]].drop_duplicates(["unit_code", "unit_valid_from"])
           if len(units) else pd.DataFrame({"unit_code": [], "unit_valid_from": [], "province_code": []}, dtype=str))
    con.register("_unit_key_df", key)
    con.execute("CREATE TABLE unit_key AS SELECT * FROM _unit_key_df")
    con.unregister("_unit_key_df")
    # _rn keeps the file's order; a province row is its own province even when units.csv is missing
    con.execute("""
        CREATE VIEW obs_prov AS
        SELECT o.*, CASE WHEN coalesce(k.province_code, '') = '' AND o.unit_level = 'tinh' THEN o.unit_code
                         ELSE coalesce(k.province_code, '') END AS province_code
        FROM (SELECT row_number() OVER () AS _rn, * FROM obs_all) o LEFT JOIN unit_key k USING (unit_code, unit_valid_from)""")
    first = con.execute("SELECT release_id FROM obs_all LIMIT 1").fetchone() if "release_id" in obs_cols else None
    release_id = manifest.get("release_id") or (first[0] if first else release_dir.name)
    # one scan for the indicator names (the last row's, as the file is ordered) and the provinces "with data":
    # at least one as-published observation of the province's subtree counts something (the comparable series, E,
    # recomputes other units' dossiers onto the province's new units: it is not data of the province's own)
    names_vi, has_data = {}, {}
    for province, indicator, name, counts in con.execute("""
            SELECT province_code, indicator_id, arg_max(indicator_name_vi, _rn),
                   bool_or((coalesce(TRY_CAST(denominator AS DOUBLE), 0) > 0 OR coalesce(TRY_CAST(n AS DOUBLE), 0) > 0)
                           AND coalesce(obs_status, '') <> 'E')
            FROM obs_prov GROUP BY GROUPING SETS ((province_code), (indicator_id))""").fetchall():
        if indicator is not None:
            names_vi[indicator] = name
        else:
            has_data[province] = counts
    con.execute("""
        CREATE TABLE obs_whole AS
        SELECT * FROM obs_prov
        WHERE coalesce(agency_code, '') = '' AND coalesce(ma_linh_vuc, '') = '' AND coalesce(ma_tthc, '') = ''
          AND starts_with(indicator_id, 'QD766_')
        ORDER BY province_code, _rn""")

    targets = _read(release_dir / "target_tracking.csv")
    if len(targets) and len(units):
        key = units[["unit_code", "unit_valid_from", "province_code", "unit_level"]].drop_duplicates(["unit_code", "unit_valid_from"])
        targets = targets.merge(key, on=["unit_code", "unit_valid_from"], how="left")
    for c in ("province_code", "unit_level"):
        if c not in targets.columns:
            targets[c] = ""
        targets[c] = targets[c].fillna("")

    fields = {}
    b06_source = _release_table(release_dir, "bieu06", "report_bieu06.csv")
    if b06_source:
        b06_cols = [d[0] for d in con.execute(f"DESCRIBE SELECT * FROM {b06_source}").fetchall()]
        if {"ma_linh_vuc", "ten_linh_vuc"} <= set(b06_cols):
            fields = dict(con.execute(f"""
                SELECT ma_linh_vuc, min(ten_linh_vuc) FROM {b06_source}
                WHERE coalesce(ma_linh_vuc, '') <> '' AND coalesce(ten_linh_vuc, '') <> '' GROUP BY 1""").fetchall())
    rel = Release(release_dir, str(release_id), str(manifest.get("created_at", "")), names_vi, units, targets,
                  fields, {}, {k: bool(v) for k, v in has_data.items()}, con)
    if (release_dir / "reconciliation.csv").exists():
        rel.reconciliation = _read(release_dir / "reconciliation.csv")
    if (release_dir / "peer_benchmarks.csv").exists():
        pb = _read(release_dir / "peer_benchmarks.csv")  # the total and the groups: small
        rel.peers = {(r["indicator_id"], r["period_type"], r["period"], r["unit_code"], r["unit_valid_from"]): r
                     for r in pb.to_dict("records")}
    if (release_dir / "improvement_plan.csv").exists():
        rel.plan = _read(release_dir / "improvement_plan.csv")
    procs_source = _release_table(release_dir, "explain/explain_qd766_procedures", "explain/explain_qd766_procedures.csv")
    if procs_source:
        rel.procedures = dict(con.execute(f"""
            SELECT procedure_code, min(procedure_name) FROM {procs_source}
            WHERE coalesce(procedure_name, '') <> '' GROUP BY 1""").fetchall())
    return rel
