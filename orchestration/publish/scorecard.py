"""Province scorecards: one self-contained ``scorecard.html`` per province of a release.

``write_scorecards(release_dir)`` reads the published files of a release folder (the ``observations/`` parts,
``units.csv``, ``target_tracking.csv``, the ``explain/`` parts, the ``bieu06/`` parts for field names; the root CSVs
of a release written before layout v2) and writes
``<release>/by_province/<province_code>/scorecard.html`` for every province with Decision 766 observations, plus
``<release>/scorecard.html`` when the release covers exactly one province (one page in all). Pages are rendered
with jinja2 (autoescape on: names and reasons come from the provinces' files) and carry everything inline — CSS and
SVG charts, no script, nothing fetched from the network — so they can be opened offline, mailed and printed. Units
out of coverage in a period (METHODOLOGY §1: no data at all) are listed as "chưa có dữ liệu", never graded, ranked
or drawn.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from orchestration.lib import layout

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE = "scorecard.html.j2"

# Display groups of the index, in the portal's order; DVTT is shown with its two display sub-groups.
GROUPS = [
    ("QD766_CKMB", "Công khai minh bạch", []),
    ("QD766_TDGQ", "Tiến độ giải quyết", []),
    ("QD766_DVTT", "Dịch vụ trực tuyến", [("QD766_TTTT", "Dịch vụ công trực tuyến"), ("QD766_CLGQ", "Thanh toán trực tuyến")]),
    ("QD766_MDSH", "Mức độ số hóa", []),
    ("QD766_MDHL", "Mức độ hài lòng", []),
]
GROUP_SHORT = {"QD766_CKMB": "CKMB", "QD766_TDGQ": "TĐGQ", "QD766_DVTT": "DVTT", "QD766_MDSH": "MĐSH", "QD766_MDHL": "MĐHL"}
LEVELS = {"tinh": "Tỉnh", "huyen": "Huyện", "xa": "Xã"}
LEVEL_ORDER = {"tinh": 0, "huyen": 1, "xa": 2}
STATUS_VI = {"P": "tạm tính", "M": "thiếu dữ liệu", "Q": "ẩn (ít mẫu)", "E": "ước tính", "B": "gián đoạn chuỗi"}
# METHODOLOGY §1 coverage: a unit with no data at all for a period is published M with this comment and no points,
# grade or rank; the page lists it as such and neither grades, ranks nor draws it
NO_DATA_COMMENT = "no data for this unit"
OUT_OF_COVERAGE_VI = "chưa có dữ liệu"
GRADE_CLASS = {"Xuất sắc": "g-xs", "Tốt": "g-tot", "Khá": "g-kha", "Trung bình": "g-tb", "Yếu": "g-yeu"}
GRADE_BANDS = [(90, 100, "Xuất sắc", "#e3f1e6"), (80, 90, "Tốt", "#edf6ee"), (70, 80, "Khá", "#eef3f9"),
               (50, 70, "Trung bình", "#fbf5e6"), (0, 50, "Yếu", "#fbeeee")]
ATTAINMENT_VI = {"met": "Đạt", "not_met": "Không đạt", "on_track": "Đúng tiến độ", "at_risk": "Có nguy cơ",
                 "no_data": "Chưa có dữ liệu"}
ATTAINMENT_ORDER = ["met", "not_met", "on_track", "at_risk", "no_data"]
COMPARATOR = {"ge": "≥", "le": "≤", "eq": "=", "gt": ">", "lt": "<"}
PALETTE = ["#1f4e79", "#c0504d", "#2e8b57", "#e08a00", "#7b4ea3", "#1b9aaa", "#8c564b", "#d6457e", "#6b8e23",
           "#555555", "#3b6fb6", "#b5651d"]

# What a unit failed, per QD766 row, in words (one cause kind per row; 2_1, 5_2, 5_3 and 5_4 are split further).
CAUSES = {
    "QD766_1_1": ("TTHC công bố không đúng hạn", "TTHC"),
    "QD766_1_2": ("TTHC không công khai đúng hạn trên CSDLQG", "TTHC"),
    "QD766_1_3": ("TTHC công khai thiếu bộ phận cấu thành", "TTHC"),
    "QD766_1_4": ("Hồ sơ chưa đồng bộ lên Cổng DVCQG", "hồ sơ"),
    "QD766_3_1": ("TTHC chưa cung cấp dịch vụ công trực tuyến", "TTHC"),
    "QD766_3_2": ("Dịch vụ công trực tuyến không phát sinh hồ sơ trực tuyến", "TTHC"),
    "QD766_3_3": ("Hồ sơ không nộp trực tuyến (hoặc thiếu kết quả điện tử)", "hồ sơ"),
    "QD766_3_4": ("TTHC có phí chưa tích hợp thanh toán trực tuyến", "TTHC"),
    "QD766_3_5": ("TTHC có phí không phát sinh thanh toán trực tuyến", "TTHC"),
    "QD766_3_6": ("Hồ sơ có phí chưa thanh toán trực tuyến", "hồ sơ"),
    "QD766_4_1": ("Hồ sơ chưa có kết quả điện tử", "hồ sơ"),
    "QD766_4_2": ("Hồ sơ chưa được số hóa", "hồ sơ"),
    "QD766_4_3": ("Hồ sơ không tái sử dụng dữ liệu số hóa", "hồ sơ"),
    "QD766_4_4": ("Hồ sơ không sử dụng kho dữ liệu cá nhân", "hồ sơ"),
    "QD766_4_5a": ("TTHC chưa kết nối CSDL quốc gia về dân cư", "TTHC"),
    "QD766_4_5b": ("Hồ sơ không sử dụng dữ liệu dân cư", "hồ sơ"),
}
LATE_2_1 = {"resolved_late": "Hồ sơ giải quyết quá hạn", "pending_overdue": "Hồ sơ đang giải quyết quá hạn"}
REASONS_5_4 = {"late": "Hồ sơ giải quyết quá hạn", "overdue": "Hồ sơ quá hạn chưa giải quyết",
               "not_satisfied": "Hồ sơ bị đánh giá không hài lòng", "pakn": "Hồ sơ bị phản ánh, kiến nghị"}


# reason codes of explain_qd766_causes' PAKN rows
PAKN_REASONS = {
    "answer_published_late": "Công khai trả lời PAKN chậm", "refused_late": "Từ chối tiếp nhận PAKN quá hạn",
    "supplement_late": "Yêu cầu bổ sung PAKN quá hạn", "handled_late": "PAKN xử lý quá hạn",
    "in_progress_late": "PAKN xử lý quá hạn", "more_dislikes": "PAKN có nhiều lượt không đồng tình",
    "repeat_complaint": "PAKN bị phản ánh lặp lại", "not_classified": "PAKN chưa được phân loại",
    "other": "PAKN không đạt yêu cầu",
}


# ---------------------------------------------------------------------------------------------------- formatting


def _num(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def fmt_vi(value, decimals: int = 2) -> str:
    """Vietnamese number style: ``1.234,56`` (thousands '.', decimals ','); '—' when empty."""
    x = _num(value)
    if x is None:
        return "—"
    s = format(x, f",.{decimals}f")
    return s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def fmt_int(value) -> str:
    x = _num(value)
    return "—" if x is None else fmt_vi(x, 0)


def fmt_pct(value, decimals: int = 2) -> str:
    x = _num(value)
    return "—" if x is None else fmt_vi(x, decimals) + "%"


def month_label(period: str) -> str:
    """'2023-03' → 'tháng 3/2023'."""
    y, m = period.split("-")
    return f"tháng {int(m)}/{y}"


def month_short(period: str) -> str:
    y, m = period.split("-")
    return f"{int(m):02d}/{y}"


# ---------------------------------------------------------------------------------------------------- reading


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
    from orchestration.publish.parts import table_sql

    source = table_sql(release_dir, table, text=True)
    if source is None and (release_dir / v1_file).exists():
        source = _csv_sql(release_dir / v1_file)
    return source


def _load(release_dir: Path) -> Release:
    """Read what the pages need. The observation table of a national release is millions of rows: DuckDB reads
    it once and hands pandas only the whole-unit QD766 rows and the per-province "with data" flags."""
    import duckdb

    from orchestration.lib.settings import limit_memory

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


# ---------------------------------------------------------------------------------------------------- page model


def _out_of_coverage(row) -> bool:
    """The unit had no data at all in the row's period (METHODOLOGY §1): the release says so in the comment; a
    total without points under M is read the same way (nothing to grade or rank)."""
    if row is None:
        return False
    return NO_DATA_COMMENT in (row.get("comment") or "") or (row.get("obs_status") == "M" and _num(row.get("points")) is None)


def _score_cell(row) -> dict:
    """Total (or group) score of one observation row, formatted. A unit out of coverage gets no grade and no rank,
    whatever the row carries."""
    if row is None:
        return {"value": "—", "raw": None, "grade": "", "grade_class": "", "rank": "", "status": "", "missing": [],
                "out": False, "absent": True}
    if _out_of_coverage(row):
        return {"value": "—", "raw": None, "max": fmt_vi(row.get("max_points"), 0), "grade": "", "grade_class": "",
                "rank": "—", "status": OUT_OF_COVERAGE_VI, "missing": [], "out": True, "absent": False}
    rank = f"{row['rank']}/{row['rank_of']}" if row.get("rank") and row.get("rank_of") else "—"
    comment = row.get("comment") or ""
    missing = []
    if comment.startswith("missing rows"):
        missing = [m.strip() for m in comment.split(":", 1)[1].split(",") if m.strip()]
    return {
        "value": fmt_vi(row.get("points")),
        "raw": _num(row.get("points")),
        "max": fmt_vi(row.get("max_points"), 0),
        "grade": row.get("grade") or "",
        "grade_class": GRADE_CLASS.get(row.get("grade") or "", ""),
        "rank": rank,
        "status": STATUS_VI.get(row.get("obs_status") or "", ""),
        "missing": missing,
        "out": False,
        "absent": False,
    }


def _rows_by(df: pd.DataFrame, *keys: str) -> dict:
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in df.to_dict("records")}


def _group_bars(rows: dict, unit_key: tuple) -> list[dict]:
    """The five groups (and DVTT's two sub-groups) of a unit in one period, with bar geometry (0–100 % width)."""
    bars = []
    for gid, label, subs in GROUPS:
        for sid, slabel, sub in [(gid, label, False)] + [(s, sl, True) for s, sl in subs]:
            r = rows.get((sid,) + unit_key)
            pts, mx = (_num(r["points"]), _num(r["max_points"])) if r else (None, None)
            share = (pts / mx * 100) if (pts is not None and mx) else 0.0
            bars.append({"id": sid, "label": slabel, "sub": sub, "points": fmt_vi(pts), "max": fmt_vi(mx, 0),
                         "share": max(0.0, min(100.0, share)), "share_text": fmt_vi(share, 0) + "%" if r else "",
                         "status": STATUS_VI.get(r["obs_status"], "") if r else "thiếu dữ liệu"})
    return bars


def _period_panel(obs: pd.DataFrame, period_type: str, period: str, prov_key: tuple) -> dict:
    cur = obs[(obs["period_type"] == period_type) & (obs["period"] == period)]
    rows = _rows_by(cur, "indicator_id", "unit_code", "unit_valid_from")
    total = rows.get(("QD766_TOTAL",) + prov_key)
    fv = cur["formula_version"].iloc[0] if len(cur) else ""
    return {"period_type": period_type, "period": period,
            "title": f"Năm {period}" if period_type == "Y" else month_label(period).capitalize(),
            "total": _score_cell(total), "groups": _group_bars(rows, prov_key), "formula_version": fv}


def _unit_order(obs: pd.DataFrame, units: pd.DataFrame, province: str) -> list[dict]:
    """Province, then its districts, then its communes (each commune after … sorted by district, then code)."""
    seen = obs[["unit_code", "unit_valid_from", "unit_level", "unit_name"]].drop_duplicates(["unit_code", "unit_valid_from"])
    parents = {}
    names = {}
    if len(units):
        for r in units.to_dict("records"):
            parents[(r["unit_code"], r["unit_valid_from"])] = r.get("parent_code") or ""
            names[r["unit_code"]] = r.get("unit_name") or names.get(r["unit_code"], "")
    out = []
    for r in seen.to_dict("records"):
        key = (r["unit_code"], r["unit_valid_from"])
        parent = parents.get(key, "")
        lvl = LEVEL_ORDER.get(r["unit_level"], 3)
        sort = (lvl, parent if r["unit_level"] == "xa" else "", r["unit_code"], r["unit_valid_from"])
        if r["unit_code"] == province:
            sort = (-1,) + sort[1:]
        out.append({"code": r["unit_code"], "valid_from": r["unit_valid_from"], "level": r["unit_level"],
                    "level_vi": LEVELS.get(r["unit_level"], r["unit_level"]), "name": r["unit_name"],
                    "parent": parent, "parent_name": names.get(parent, "") if r["unit_level"] == "xa" else "",
                    "_sort": sort})
    out.sort(key=lambda u: u["_sort"])
    return out


def _units_table(obs: pd.DataFrame, order: list[dict], year: str | None, month: str | None) -> list[dict]:
    y = _rows_by(obs[(obs["period_type"] == "Y") & (obs["period"] == year)], "indicator_id", "unit_code", "unit_valid_from") if year else {}
    m = _rows_by(obs[(obs["period_type"] == "M") & (obs["period"] == month)],
                 "indicator_id", "unit_code", "unit_valid_from") if month else {}
    table = []
    for u in order:
        key = (u["code"], u["valid_from"])
        if ("QD766_TOTAL",) + key not in y and ("QD766_TOTAL",) + key not in m:
            continue
        groups = []
        for gid, _, _ in GROUPS:
            r = y.get((gid,) + key)
            groups.append(fmt_vi(r["points"]) if r else "—")
        year_cell = _score_cell(y.get(("QD766_TOTAL",) + key))
        month_cell = _score_cell(m.get(("QD766_TOTAL",) + key))
        # out of coverage in every period shown where the unit has a row: one cell across the scores says so
        out_all = all(c["out"] or c["absent"] for c in (year_cell, month_cell))
        table.append(u | {"groups": groups, "year": year_cell, "month": month_cell, "out_all": out_all})
    return table


# Chart labels: a month label ("12/2024", 11.5 px) is about 50 units wide and a value label ("79,62", 12 px bold)
# about 42, so labelled months must be at least this far apart or the labels collide (24 months are 35 units apart).
LABEL_SPACING = 64
BREAK_CHAR_WIDTH = 6.4  # a break label's width per character (11 px), to keep two labels from overlapping


def _trend(obs: pd.DataFrame, order: list[dict], province: str) -> dict:
    """Monthly QD766_TOTAL of the province and its districts as SVG polylines (coordinates computed here).

    Only months with data are drawn: a unit out of coverage in a month leaves a gap, a unit out of coverage in
    every month is not drawn and is listed instead. On a long chart only every ``step``-th month (counted back from
    the latest, which is always labelled) carries a month and a value label; every value stays readable in the
    points' hover titles and in the table under the chart."""
    mon = obs[(obs["period_type"] == "M") & (obs["indicator_id"] == "QD766_TOTAL")]
    months = sorted(mon["period"].unique())
    # breaks in series: the formula version (QD766-2022 → QD766-2025) and the 2025 reorganisation (a unit's first
    # month after a break in series, obs_status B)
    fv = mon.drop_duplicates("period").set_index("period")["formula_version"].to_dict()
    reorganised = set(mon.loc[mon["obs_status"] == "B", "period"])
    break_at = [j for j in range(1, len(months)) if fv.get(months[j]) != fv.get(months[j - 1]) or months[j] in reorganised]
    # with breaks, a strip above the plot holds their labels, clear of the value labels (which stay below it)
    top = 40 if break_at else 22
    W, H, left, right, bottom = 1000, 312 + top, 44, 86, 40
    inset = 28  # keep the first and last points (and their labels) off the axes
    pw, ph = W - left - right, H - top - bottom
    n = len(months)
    gap = (pw - 2 * inset) / (n - 1) if n > 1 else pw

    def x(i: int) -> float:
        return left + (pw / 2 if n == 1 else inset + (pw - 2 * inset) * i / (n - 1))

    def y(v: float) -> float:
        return top + ph * (1 - v / 100)

    step = max(1, math.ceil(LABEL_SPACING / gap))
    labelled = {j for j in range(n) if (n - 1 - j) % step == 0}

    series, not_drawn = [], []
    rows = _rows_by(mon, "period", "unit_code", "unit_valid_from")
    wanted = [u for u in order if u["code"] == province or u["level"] == "huyen"]
    for u in wanted:
        pts = []
        for j, p in enumerate(months):
            r = rows.get((p, u["code"], u["valid_from"]))
            v = None if r is None or _out_of_coverage(r) else _num(r["points"])
            if v is not None:
                pts.append({"j": j, "x": round(x(j), 1), "y": round(y(v), 1), "label": fmt_vi(v), "month": month_short(p),
                            "provisional": r["obs_status"] == "P", "show_label": j in labelled})
        if not pts:
            if any((p, u["code"], u["valid_from"]) in rows for p in months):
                not_drawn.append(u["name"])
            continue
        # one polyline per run of consecutive months: no line is drawn across a month without data
        runs: list[list[dict]] = []
        for pt in pts:
            if runs and pt["j"] == runs[-1][-1]["j"] + 1:
                runs[-1].append(pt)
            else:
                runs.append([pt])
        is_prov = u["code"] == province
        k = sum(1 for s in series if not s["main"])  # districts drawn so far
        series.append({"name": u["name"], "code": u["code"],
                       "color": PALETTE[0] if is_prov else PALETTE[1 + k % (len(PALETTE) - 1)],
                       "width": 3.2 if is_prov else 1.6, "dash": "" if is_prov or k < len(PALETTE) - 1 else "6,3",
                       "points": pts, "main": is_prov, "same_as_main": False,
                       "polylines": [" ".join(f"{p['x']},{p['y']}" for p in run) for run in runs if len(run) > 1]})
    # a district whose line is the province's own (the province's only district with data) is hidden under it:
    # the legend says so
    main_lines = [[(p["x"], p["y"]) for p in s["points"]] for s in series if s["main"]]
    for s in series:
        if not s["main"] and [(p["x"], p["y"]) for p in s["points"]] in main_lines:
            s["same_as_main"] = True
    # breaks, drawn as a dashed vertical line. A unit version is its own series (keyed by code and valid_from), so
    # no line is drawn through a break: the old province ends in June, the new one starts in July. Labels go in
    # the strip above the plot; one that would overlap the previous label is left out there (every break is also
    # named in the note under the chart).
    breaks = []
    label_end = -math.inf
    for j in break_at:
        new_version = fv.get(months[j]) != fv.get(months[j - 1])
        label = " · ".join(t for t in (fv.get(months[j], "") if new_version else "",
                                       "sắp xếp ĐVHC" if months[j] in reorganised else "") if t)
        bx = round((x(j) + x(j - 1)) / 2, 1)
        width = BREAK_CHAR_WIDTH * len(label)
        anchor_end = bx + 4 + width > W
        start = bx - 4 - width if anchor_end else bx + 4
        shown = start > label_end + 8
        if shown:
            label_end = start + width
        breaks.append({"x": bx, "label": label, "month": month_label(months[j]), "show_label": shown,
                       "lx": round(bx - 4 if anchor_end else bx + 4, 1), "anchor": "end" if anchor_end else "start"})
    xticks = [{"x": round(x(j), 1), "label": month_short(p), "show_label": j in labelled} for j, p in enumerate(months)]
    yticks = [{"y": round(y(v), 1), "label": fmt_vi(v, 0)} for v in range(0, 101, 10)]
    bands = [{"y": round(y(hi), 1), "h": round(y(lo) - y(hi), 1), "label": name, "fill": fill,
              "ly": round((y(hi) + y(lo)) / 2 + 4, 1)} for lo, hi, name, fill in GRADE_BANDS]
    # every drawn value in a table, one per year (months as columns) so that it fits the page and prints
    tables = []
    for year in sorted({p[:4] for p in months}):
        ymonths = [(j, p) for j, p in enumerate(months) if p.startswith(year + "-")]
        trows = []
        for s in series:
            by_j = {p["j"]: p for p in s["points"]}
            if any(j in by_j for j, _ in ymonths):
                trows.append({"name": s["name"], "main": s["main"],
                              "cells": [by_j.get(j, {"label": "—", "provisional": False}) for j, _ in ymonths]})
        if trows:
            tables.append({"year": year, "months": [f"{int(p[5:]):02d}" for _, p in ymonths], "rows": trows})
    return {"months": months, "series": series, "not_drawn": not_drawn, "width": W, "height": H, "left": left,
            "right": W - right, "top": top, "bottom": H - bottom, "xticks": xticks, "yticks": yticks, "bands": bands,
            "breaks": breaks, "step": step, "tables": tables}


def _targets(rel: Release, province: str, order: list[dict]) -> dict:
    t = rel.targets
    t = t[t["province_code"] == province] if len(t) else t
    if not len(t):
        return {"year": None, "rows": [], "summary": [], "running": False}
    year = max(t["nam"], key=lambda v: int(v) if v.isdigit() else -1)
    t = t[t["nam"] == year]
    rank = {(u["code"], u["valid_from"]): i for i, u in enumerate(order)}
    rows = []
    for r in t[t["row_type"] == "indicator"].to_dict("records"):
        ind = r["indicator_id"]
        is_count = ind.endswith("_COUNT")
        fmt = (lambda v: fmt_int(v)) if is_count else (lambda v: fmt_pct(v))
        name = rel.names_vi.get(ind, ind)
        if r.get("ma_linh_vuc"):
            name += f" — lĩnh vực {rel.fields.get(r['ma_linh_vuc'], r['ma_linh_vuc'])}"
        if r.get("pham_vi") == "rieng":
            name += " (các cơ quan của đơn vị)"
        att = r.get("attainment") or "no_data"
        rows.append({"unit": r["unit_name"], "target": r["ma_chi_tieu"], "text": r.get("ghi_chu") or "",
                     "indicator": name,
                     "goal": f"{COMPARATOR.get(r.get('so_sanh'), r.get('so_sanh') or '')} {fmt(r.get('gia_tri'))}".strip(),
                     "actual": fmt(r.get("actual")), "projection": fmt(r.get("projection")) if att in ("on_track", "at_risk") else "",
                     "status": ATTAINMENT_VI.get(att, att), "status_class": f"a-{att}",
                     "provisional": r.get("obs_status") == "P",
                     "_sort": (rank.get((r["unit_code"], r["unit_valid_from"]), 10**6), r["unit_code"], r["ma_chi_tieu"])})
    rows.sort(key=lambda r: r["_sort"])
    # group consecutive rows of one unit × target (the source text is printed once)
    for i, r in enumerate(rows):
        r["first"] = i == 0 or (rows[i - 1]["unit"], rows[i - 1]["target"]) != (r["unit"], r["target"])
        r["span"] = sum(1 for s in rows[i:] if (s["unit"], s["target"]) == (r["unit"], r["target"])) if r["first"] else 0
    summ = t[t["row_type"] == "target"]["attainment"].replace("", "no_data").value_counts().to_dict()
    summary = [{"label": ATTAINMENT_VI[a], "count": summ[a], "cls": f"a-{a}"} for a in ATTAINMENT_ORDER if summ.get(a)]
    n_units = t[["unit_code", "unit_valid_from"]].drop_duplicates().shape[0]
    running = bool((t["attainment"].isin(["on_track", "at_risk"])).any())
    return {"year": year, "rows": rows, "summary": summary, "n_targets": int(sum(summ.values())), "n_units": n_units,
            "running": running}


def _top(series: pd.Series, label, k: int = 3) -> str:
    """The ``k`` most frequent values, ties by value: a page never depends on the order of a part's rows (a Parquet
    part's row order is not fixed)."""
    vc = sorted(series[series != ""].value_counts().items(), key=lambda vn: (-vn[1], vn[0]))[:k]
    return "; ".join(f"{label(v)}: {fmt_int(c)}" for v, c in vc)


def _causes(rel: Release, province: str, prov_keys: set, year: str, scored: set, prov_points: dict) -> dict:
    """Top reasons points were lost in the province's subtree in the year: dossiers and PAKN from the counted
    causes (explain_qd766_causes), procedures from explain_qd766_procedures (a few rows per unit)."""
    causes: list[dict] = []

    def in_province(name: str, columns: list[str] | None = None) -> pd.DataFrame:
        return rel.explain(name, year, keys=prov_keys, columns=columns)

    def add(ind: str, label: str, unit: str, count: int, detail: str):
        if count <= 0 or ind not in scored:
            return
        pts, mx = prov_points.get(ind, (None, None))
        causes.append({"indicator": ind.replace("QD766_", ""), "indicator_name": rel.names_vi.get(ind, ind),
                       "label": label, "unit": unit, "count": count, "count_text": fmt_int(count), "detail": detail,
                       "points": "thiếu dữ liệu" if mx is not None and pts is None else
                       f"{fmt_vi(pts)} / {fmt_vi(mx, 0)}" if mx is not None else "—"})

    field_name = lambda c: rel.fields.get(c, c)  # noqa: E731
    proc_name = lambda c: f"{c} {rel.procedures[c]}" if c in rel.procedures else c  # noqa: E731

    # dossiers and PAKN: counted in the warehouse (explain_qd766_causes: distinct failing things per own unit, period,
    # indicator, reason, field), summed over the province's units — never the explain rows themselves
    counted = in_province("explain_qd766_causes")
    late_by_proc = []
    if len(counted):
        counted = counted.assign(n=pd.to_numeric(counted["n_failing"]).astype(int),
                                 ma_linh_vuc=counted["ma_linh_vuc"].fillna(""), ma_tthc=counted["ma_tthc"].fillna(""))

        def top_fields(g: pd.DataFrame) -> str:
            by = g[g["ma_linh_vuc"] != ""].groupby("ma_linh_vuc")["n"].sum()
            by = by.sort_values(ascending=False, kind="stable").head(3)
            return "Nhiều nhất: " + "; ".join(f"{field_name(f)}: {fmt_int(n)}" for f, n in by.items())

        dossiers = counted[counted["failing_thing"] == "dossier"]
        for (ind, reason), g in dossiers.groupby(["indicator_id", "reason"]):
            label = (LATE_2_1.get(reason, reason) if ind == "QD766_2_1" else REASONS_5_4.get(reason, reason)
                     if ind == "QD766_5_4" else CAUSES.get(ind, (reason,))[0])
            add(ind, label, "hồ sơ", int(g["n"].sum()), top_fields(g))
        late = dossiers[dossiers["indicator_id"] == "QD766_2_1"]
        for (code, fld), g in late.groupby(["ma_tthc", "ma_linh_vuc"]):
            n_late = int(g.loc[g["reason"] == "resolved_late", "n"].sum())
            n_overdue = int(g.loc[g["reason"] == "pending_overdue", "n"].sum())
            late_by_proc.append({"code": code, "name": rel.procedures.get(code, ""), "field": field_name(fld),
                                 "late": n_late, "overdue": n_overdue, "count": n_late + n_overdue})
        late_by_proc.sort(key=lambda r: (-r["count"], r["code"]))
        for r in late_by_proc:
            r["count_text"], r["late_text"], r["overdue_text"] = fmt_int(r["count"]), fmt_int(r["late"]), fmt_int(r["overdue"])
        pakn = counted[counted["failing_thing"] == "pakn"]
        for (ind, kind), g in pakn.assign(kind=pakn["reason"].map(lambda r: PAKN_REASONS.get(r, PAKN_REASONS["other"]))
                                          ).groupby(["indicator_id", "kind"]):
            add(ind, kind, "PAKN", int(g["n"].sum()), "")

    procs = in_province("explain_qd766_procedures")
    if len(procs):
        procs = procs[procs["agency_code"] == ""]
        for ind, g in procs.groupby("indicator_id"):
            if ind in CAUSES:
                n_units = g[["unit_code", "unit_valid_from"]].drop_duplicates().shape[0]
                add(ind, CAUSES[ind][0], "TTHC", len(g.drop_duplicates(["unit_code", "unit_valid_from", "procedure_code"])),
                    f"Tại {fmt_int(n_units)} đơn vị; nhiều nhất: " + _top(g["procedure_code"], proc_name, 2))
    causes.sort(key=lambda c: (-c["count"], c["indicator"], c["label"]))
    return {"top": causes[:10], "n_all": len(causes), "late_by_proc": late_by_proc[:10], "n_late_procs": len(late_by_proc)}


ITEM_WORDS = {"dossier": "hồ sơ", "procedure": "TTHC", "petition": "PAKN"}


def actions(rel: Release, unit_key: tuple, period_type: str, period: str | None, k: int = 5) -> dict:
    """The planner's top ``k`` actions of a unit in a period (improvement_plan.csv, most points recovered first)."""
    plan = rel.plan
    if plan is None or not len(plan) or period is None:
        return {"top": [], "n_all": 0, "gain_all": ""}
    mine = plan[(plan["unit_code"] == unit_key[0]) & (plan["unit_valid_from"] == unit_key[1])
                & (plan["period_type"] == period_type) & (plan["period"] == period)]
    mine = mine.assign(_rank=pd.to_numeric(mine["action_rank"])).sort_values("_rank", kind="stable")
    top = []
    for r in mine.head(k).to_dict("records"):
        n = int(float(r["items_to_full"]))
        named = [c for c in (r.get("named_items") or "").split(";") if c]
        top.append({"indicator": r["indicator_id"].replace("QD766_", ""), "indicator_name": r["indicator_name_vi"],
                    "action": r.get("action_vi") or r["indicator_name_vi"], "n_items": fmt_int(n),
                    "item_word": ITEM_WORDS.get(r.get("item_kind") or "", ""),
                    "failing": fmt_int(r["failing_items"]), "threshold": r.get("scoring_rule") == "threshold",
                    "gain": fmt_vi(r["gain_to_full"]), "gain_first": fmt_vi(r["gain_first_item"]),
                    "points": f"{fmt_vi(r['points'])} / {fmt_vi(r['max_points'], 0)}",
                    "named": named[:3], "named_more": max(0, int(float(r.get("named_items_total") or 0)) - 3)})
    gain_all = pd.to_numeric(mine["gain_to_full"]).sum() if len(mine) else 0.0
    return {"top": top, "n_all": len(mine), "gain_all": fmt_vi(gain_all)}


def reconciliation_line(rel: Release, province: str) -> str | None:
    """One line: does the province's own data agree with what the national portal shows (reconciliation.csv)?"""
    rec = rel.reconciliation
    if rec is None or not len(rec):
        return None
    units = set(rel.units.loc[rel.units["province_code"] == province, "unit_code"]) if len(rel.units) else set()
    mine = rec[rec["unit_code"].isin(units | {province}) & rec["agrees"].isin(["True", "False"])]
    if not len(mine):
        return None
    differ = int((mine["agrees"] == "False").sum())
    if not differ:
        return f"Đối chiếu với Cổng DVCQG: số liệu của tỉnh khớp với số liệu Cổng công bố ({len(mine)} chỉ số đã so sánh)."
    return (f"Đối chiếu với Cổng DVCQG: {differ}/{len(mine)} chỉ số lệch so với số liệu Cổng công bố — lý do từng "
            "chênh lệch trong reconciliation.csv.")


def _add_peers(cell: dict, peer: dict | None) -> None:
    """The unit's place among its peers beside its rank (peer_benchmarks.csv): percentile, peers' median and P75."""
    if cell.get("out") or cell.get("absent") or not peer or (_num(peer.get("peer_n")) or 0) < 2:
        cell["peer"] = None  # alone among its peers: nothing to compare with
        return
    pct = _num(peer.get("percentile"))
    cell["peer"] = {"percentile": "—" if pct is None else fmt_vi(pct, 0), "median": fmt_vi(peer.get("peer_median")),
                    "p75": fmt_vi(peer.get("peer_p75")), "n": peer.get("peer_n"),
                    "scope": "cả nước" if peer.get("peer_scope") == "national" else "cùng cấp trong tỉnh"}


def build_page(rel: Release, province: str) -> dict:
    obs = rel.province_obs(province)
    prov_rows = obs[obs["unit_code"] == province]
    prov_vf = (prov_rows["unit_valid_from"].max() if len(prov_rows) else "")
    years = sorted(obs.loc[obs["period_type"] == "Y", "period"].unique())
    months = sorted(obs.loc[obs["period_type"] == "M", "period"].unique())
    year, month = (years[-1] if years else None), (months[-1] if months else None)
    # the province's own version valid in the latest period: one with a total that year (a new province's
    # comparable series, E, reaches back before it existed but has no total)
    if year and len(prov_rows):
        vy = prov_rows.loc[(prov_rows["period_type"] == "Y") & (prov_rows["period"] == year)
                           & (prov_rows["indicator_id"] == "QD766_TOTAL"), "unit_valid_from"]
        prov_vf = vy.max() if len(vy) else prov_vf
    prov_key = (province, prov_vf)
    prov_name = prov_rows.loc[prov_rows["unit_valid_from"] == prov_vf, "unit_name"].iloc[0] if len(prov_rows) else province
    order = _unit_order(obs, rel.units, province)
    panels = []
    if year:
        panels.append(_period_panel(obs, "Y", year, prov_key))
        ymonths = [m for m in months if m.startswith(year + "-")]
        if panels[-1]["total"]["status"] == "tạm tính" and ymonths:
            panels[-1]["subtitle"] = f"số liệu đến {month_label(ymonths[-1])}"
    if month:
        panels.append(_period_panel(obs, "M", month, prov_key))
    for panel in panels:
        _add_peers(panel["total"], rel.peers.get(("QD766_TOTAL", panel["period_type"], panel["period"]) + prov_key))
    units_table = _units_table(obs, order, year, month)
    for u in units_table:
        _add_peers(u["year"], rel.peers.get(("QD766_TOTAL", "Y", year, u["code"], u["valid_from"])))
        _add_peers(u["month"], rel.peers.get(("QD766_TOTAL", "M", month, u["code"], u["valid_from"])))
    causes = {"top": [], "late_by_proc": [], "n_all": 0, "n_late_procs": 0}
    if year:
        ycur = obs[(obs["period_type"] == "Y") & (obs["period"] == year)]
        scored = set(ycur.loc[pd.to_numeric(ycur["max_points"], errors="coerce").fillna(0) > 0, "indicator_id"])
        pp = {r["indicator_id"]: (None if r["obs_status"] == "M" else _num(r["points"]), _num(r["max_points"]))
              for r in ycur[(ycur["unit_code"] == province)].to_dict("records")}
        prov_keys = {(u["code"], u["valid_from"]) for u in order}
        if len(rel.units):
            pu = rel.units[rel.units["province_code"] == province]
            prov_keys |= set(zip(pu["unit_code"], pu["unit_valid_from"]))
        causes = _causes(rel, province, prov_keys, year, scored, pp)
    return {
        "release_id": rel.release_id, "created_at": rel.created_at[:10], "province": province, "province_name": prov_name,
        "year": year, "month": month, "month_label": month_label(month) if month else "", "panels": panels,
        "units": units_table, "group_short": [GROUP_SHORT[g] for g, _, _ in GROUPS],
        "group_names": [label for _, label, _ in GROUPS],
        "trend": _trend(obs, order, province), "targets": _targets(rel, province, order), "causes": causes,
        "has_data": rel.has_data.get(province, False), "grade_bands": GRADE_BANDS,
        "reconciliation": reconciliation_line(rel, province),
        "actions": actions(rel, prov_key, "Y", year),
    }


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["vi"] = fmt_vi
    return env


def render_scorecard(release_dir: Path | str, province: str) -> str:
    rel = _load(Path(release_dir))
    try:
        return _environment().get_template(TEMPLATE).render(page=build_page(rel, province))
    finally:
        rel.con.close()


def write_scorecards(release_dir: Path | str) -> list[Path]:
    """Write ``by_province/<code>/scorecard.html`` for every province with QD766 observations in the release (and
    ``scorecard.html`` at the release root when that is exactly one province). Returns the files written.
    Other files in the ``by_province/<code>/`` folders are left alone."""
    release_dir = Path(release_dir)
    rel = _load(release_dir)
    try:
        return _write_pages(rel, release_dir)
    finally:
        rel.con.close()


def _write_pages(rel: Release, release_dir: Path) -> list[Path]:
    provinces = rel.provinces_scored()
    template = _environment().get_template(TEMPLATE)
    written: list[Path] = []
    pages = {}
    for code in provinces:
        html = template.render(page=build_page(rel, code))
        pages[code] = html
        path = release_dir / "by_province" / code / "scorecard.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".html.tmp")
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    # the root copy only for a release of exactly one province (the README's promise): with two or more, which
    # one would it be? A copy left by an earlier run of a wider release goes.
    path = release_dir / "scorecard.html"
    if len(provinces) == 1:
        tmp = path.with_suffix(".html.tmp")
        tmp.write_text(pages[provinces[0]], encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    else:
        path.unlink(missing_ok=True)
    return written


if __name__ == "__main__":  # pragma: no cover - manual use: python -m orchestration.publish.scorecard <release>
    import sys

    for p in write_scorecards(sys.argv[1]):
        print(p)
