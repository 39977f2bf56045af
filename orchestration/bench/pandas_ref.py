"""The "analyst in pandas" baseline: QD766_2_1 and Biểu 06 from a raw root's dossier JSON in plain pandas
(json.load of each file into a DataFrame, DataFrame operations, no DuckDB). pd.json_normalize was tried first: it
deep-copies every record, which took most of the reading time in a profile for no benefit (the records are flat but
for their lists) — it would have made the baseline slower than an analyst needs it to be.

    run_pandas(raw_dir, as_of=None) -> {"qd766_2_1": [...], "bieu06": [...]}   (the shape of floor.run_floor)

Same semantics as the pipeline's dbt models (staging/dossiers, int_as_of, int_agencies, int_admin_units,
int_admin_unit_tree, int_dossier_lifecycle, int_periods, int_dossier_period_status, ind_bieu06,
ind_values_qd766_2_1) with the dbt vars at their defaults, written independently of floor.sql (only the working-day
calendar, reference data, is shared). Assumes defect-free input (nothing the pipeline would quarantine).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.bench.floor import BIEU06_COLUMNS, sort_rows
from orchestration.bench.reference import (
    HOURS_PER_WORKING_DAY,
    OFFICE_DAY_SECONDS,
    OFFICE_HOURS,
    SEEDS_DIR,
    TIMESTAMP_FORMATS,
    dossier_json_files,
    reference_csv_files,
    working_calendar,
)

FIELDS = ["MaHoSo", "MaTTHC", "MaLinhVuc", "TenLinhVuc", "MaDonViXuLy", "KenhThucHien", "NgayNopHoSo",
          "NgayTiepNhan", "NgayHenTra", "TrangThaiHoSo", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi",
          "DanhSachHoSoBoSung", "NgayCapNhat"]
SUPPLEMENT_FIELDS = ["NgayBoSung", "NgayTiepNhanBoSung", "NgayHenTraTruoc", "NgayHenTraMoi"]
FAR_FUTURE = pd.Timestamp("9999-12-31")
COUNTS = ["received_online", "received_direct_postal", "carried_over", "resolved_early", "resolved_on_time",
          "resolved_late", "pending_within_time", "pending_overdue"]


# ------------------------------------------------------------------------------------------------ cell parsing
def code(series: pd.Series) -> pd.Series:
    """Codes and names: the JSON value as text (numbers as their JSON text), trimmed, empty → missing, NFC
    (ingest/sql.py code/text). Missing values are None."""
    s = series.astype("string").str.strip(" ").str.normalize("NFC")
    return s.astype(object).where(s.notna() & (s != ""), None)


def procedure_code(series: pd.Series) -> pd.Series:
    c = code(series)
    short = c.str.fullmatch(r"\d\.\d{1,5}", na=False)
    return c.where(~short, c.str.ljust(8, "0"))


def timestamp(series: pd.Series, formats=TIMESTAMP_FORMATS[:1]) -> pd.Series:
    """Dossier times: yyyyMMddHHmmss, the sync payload's format (DATA_CONTRACT §1.1 a); reference dates: every
    format ingestion accepts in CSV cells. Unparseable → NaT."""
    text = code(series)
    out = pd.to_datetime(text, format=formats[0], errors="coerce")
    for fmt in formats[1:]:
        todo = out.isna() & text.notna()
        if not todo.any():
            break
        out = out.where(~todo, pd.to_datetime(text.where(todo), format=fmt, errors="coerce"))
    return out


def integer(series: pd.Series) -> pd.Series:
    num = pd.to_numeric(code(series), errors="coerce")
    return num.where(num == np.trunc(num)).astype("Int64")


def date(series: pd.Series) -> pd.Series:
    """Reference-table dates (ISO or Vietnamese, as ingestion reads CSV cells)."""
    return timestamp(series, ["%Y-%m-%d"] + TIMESTAMP_FORMATS).dt.normalize()


# ------------------------------------------------------------------------------------------------ reading
def _first_supplement(items) -> tuple:
    """(count, NgayBoSung, NgayTiepNhanBoSung) of the earliest request: the list sorted as text, field by field
    (an empty field sorts last), as ingestion's list_sort does."""
    if not isinstance(items, list) or not items:
        return 0, None, None
    def key(s):
        if s is None:
            return ((2, ""),)
        return tuple((1, "") if s.get(f) is None else (0, str(s.get(f))) for f in SUPPLEMENT_FIELDS)
    first = sorted(items, key=key)[0] or {}
    return len(items), first.get("NgayBoSung"), first.get("NgayTiepNhanBoSung")


def read_dossiers(raw_dir: Path) -> pd.DataFrame:
    frames = []
    for file_ord, path in enumerate(dossier_json_files(raw_dir), start=1):
        opener = gzip.open if path.name.lower().endswith(".gz") else open  # as an analyst would open a .json.gz
        with opener(path, "rt", encoding="utf-8") as fh:
            payload = json.load(fh)
        df = pd.DataFrame(payload.get("data") or [], columns=FIELDS)  # the fields used, absent keys → NaN
        df["file_ord"] = file_ord
        df["rec"] = np.arange(1, len(df) + 1)
        frames.append(df)
    raw = pd.concat(frames, ignore_index=True)

    d = pd.DataFrame({
        "dossier_code": code(raw["MaHoSo"]),
        "procedure_code": procedure_code(raw["MaTTHC"]),
        "field_code": code(raw["MaLinhVuc"]),
        "field_name": code(raw["TenLinhVuc"]),
        "channel": integer(raw["KenhThucHien"]),
        "status": integer(raw["TrangThaiHoSo"]),
        "submitted_at": timestamp(raw["NgayNopHoSo"]),
        "received_at": timestamp(raw["NgayTiepNhan"]),
        "due_at": timestamp(raw["NgayHenTra"]),
        "processing_ended_at": timestamp(raw["NgayKetThucXuLy"]),
        "returned_at": timestamp(raw["NgayTra"]),
        "refused_at": timestamp(raw["NgayTuChoi"]),
        "updated_at": timestamp(raw["NgayCapNhat"]),
        "file_ord": raw["file_ord"],
        "rec": raw["rec"],
    })
    # attribution key: MaDonViXuLy, else the agency e-ID prefix of MaHoSo
    prefix = d["dossier_code"].str.extract(r"^(.+)-[0-9]{6}-[0-9]+$", expand=False)
    agency = code(raw["MaDonViXuLy"]).fillna(prefix)
    d["agency_code"] = agency.mask(agency == "", None)
    sup = raw["DanhSachHoSoBoSung"].map(_first_supplement)
    d["supplement_count"] = sup.str[0].astype(int)
    d["first_supplement_requested_at"] = timestamp(sup.str[1])
    d["first_supplement_received_at"] = timestamp(sup.str[2])
    d = d[d["dossier_code"].notna()]
    # one version per dossier: the latest NgayCapNhat (a missing one last), then the later file, the later record
    d = d.sort_values(["updated_at", "file_ord", "rec"], ascending=False, na_position="last")
    return d.drop_duplicates("dossier_code", keep="first").reset_index(drop=True)


def _reference(raw_dir: Path, seed: Path | None, folder: str, pattern: str) -> pd.DataFrame:
    """Seed (src 0) then the raw root's files (src 1, 2, … in name order), every cell text, with the row number."""
    paths = ([seed] if seed else []) + reference_csv_files(raw_dir, folder, pattern)
    frames = []
    for src, path in enumerate(paths, start=0 if seed else 1):
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        df["src"] = src
        df["rec"] = np.arange(1, len(df) + 1)
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=["src", "rec"])
    return pd.concat(frames, ignore_index=True)


def _latest_per_key(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    df = df.dropna(subset=key)
    return df.sort_values(["src", "rec"]).drop_duplicates(key, keep="last")


def read_units(raw_dir: Path) -> pd.DataFrame:
    r = _reference(raw_dir, SEEDS_DIR / "admin_units.csv", "reference", "admin_units*")
    units = pd.DataFrame({
        "unit_code": code(r["unit_code"]), "valid_from": date(r["valid_from"]), "valid_to": date(r["valid_to"]),
        "parent_code": code(r.get("parent_code", pd.Series(index=r.index, dtype=object))),
        "parent_valid_from": date(r.get("parent_valid_from", pd.Series(index=r.index, dtype=object))),
        "src": r["src"], "rec": r["rec"],
    })
    return _latest_per_key(units, ["unit_code", "valid_from"]).drop(columns=["src", "rec"]).reset_index(drop=True)


def unit_tree(units: pd.DataFrame) -> pd.DataFrame:
    """(ancestor, descendant) unit versions, each unit with itself at depth 0, down to depth 5."""
    level = pd.DataFrame({"ancestor_code": units["unit_code"], "ancestor_valid_from": units["valid_from"],
                          "descendant_code": units["unit_code"], "descendant_valid_from": units["valid_from"]})
    pairs = [level]
    children = units.rename(columns={"unit_code": "child_code", "valid_from": "child_valid_from"})
    for _ in range(5):
        level = level.merge(children, left_on=["descendant_code", "descendant_valid_from"],
                            right_on=["parent_code", "parent_valid_from"])
        level = pd.DataFrame({"ancestor_code": level["ancestor_code"], "ancestor_valid_from": level["ancestor_valid_from"],
                              "descendant_code": level["child_code"], "descendant_valid_from": level["child_valid_from"]})
        if level.empty:
            break
        pairs.append(level)
    return pd.concat(pairs, ignore_index=True)


def read_agencies(raw_dir: Path, units: pd.DataFrame) -> pd.DataFrame:
    """Agency versions with the unit version they belong to: the one valid on the agency's valid_from, else the
    latest starting on or before its valid_to, else the earliest (int_agencies)."""
    r = _reference(raw_dir, SEEDS_DIR / "agencies.csv", "reference", "agencies*")
    ag = pd.DataFrame({"agency_code": code(r["agency_code"]), "unit_code": code(r["unit_code"]),
                       "valid_from": date(r["valid_from"]), "valid_to": date(r["valid_to"]),
                       "src": r["src"], "rec": r["rec"]})
    ag = _latest_per_key(ag, ["agency_code", "valid_from"]).drop(columns=["src", "rec"])
    m = ag.merge(units[["unit_code", "valid_from", "valid_to"]].rename(
        columns={"valid_from": "unit_valid_from", "valid_to": "unit_valid_to"}), on="unit_code", how="left")
    agency_to = m["valid_to"].fillna(FAR_FUTURE)
    valid = (m["valid_from"] >= m["unit_valid_from"]) & (m["valid_from"] <= m["unit_valid_to"].fillna(FAR_FUTURE))
    starts_before_end = m["unit_valid_from"] <= agency_to
    m["k1"] = np.select([valid, starts_before_end], [0, 1], 2)
    m["k2"] = m["unit_valid_from"].where(starts_before_end)  # DESC NULLS LAST
    m = m.sort_values(["k1", "k2", "unit_valid_from"], ascending=[True, False, True], na_position="last")
    return m.drop_duplicates(["agency_code", "valid_from"])[
        ["agency_code", "valid_from", "valid_to", "unit_code", "unit_valid_from"]].reset_index(drop=True)


def read_procedures(raw_dir: Path) -> pd.DataFrame:
    r = _reference(raw_dir, None, "procedures", "procedures*")
    if r.empty:
        return pd.DataFrame(columns=["procedure_code", "field_code", "field_name", "legal_time_limit", "legal_time_unit"])
    p = pd.DataFrame({"procedure_code": procedure_code(r["ma_tthc"]),
                      "field_code": code(r.get("ma_linh_vuc", pd.Series(index=r.index, dtype=object))),
                      "field_name": code(r.get("ten_linh_vuc", pd.Series(index=r.index, dtype=object))),
                      "legal_time_limit": pd.to_numeric(code(r["thoi_han"]), errors="coerce"),
                      "legal_time_unit": code(r.get("don_vi_thoi_han", pd.Series(index=r.index, dtype=object))),
                      "src": r["src"], "rec": r["rec"]})
    # the lake keeps one row per procedure code, the later file (then the later row) winning
    return p.sort_values(["src", "rec"]).drop_duplicates("procedure_code", keep="last").drop(columns=["src", "rec"])


def calendar_frame() -> pd.DataFrame:
    cal = pd.DataFrame(list(working_calendar()), columns=["date", "is_working_day", "working_day_index"])
    cal["date"] = pd.to_datetime(cal["date"])
    return cal.set_index("date")


# ------------------------------------------------------------------------------------------------ rules
def _office_seconds(ts: pd.Series) -> pd.Series:
    """Office seconds elapsed on the day of ts at ts."""
    secs = (ts - ts.dt.normalize()).dt.total_seconds()
    total = 0.0
    for start, end in OFFICE_HOURS:
        total = total + (np.minimum(secs, end) - start).clip(lower=0)
    return total


def _cumulative_seconds(ts: pd.Series, cal: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(working_day_index of ts's date, cumulative office seconds at ts)."""
    day = ts.dt.normalize()
    working = day.map(cal["is_working_day"])
    wdi = day.map(cal["working_day_index"]).astype("Float64")
    is_w = working.fillna(False).astype(bool)
    cum = (wdi - is_w.astype(int)) * OFFICE_DAY_SECONDS + np.where(is_w, _office_seconds(ts), 0.0)
    return wdi, cum


def _within_limit(kind, amount, start_date, end_date, start_wdi, end_wdi, start_cum, end_cum) -> pd.Series:
    """within_legal_limit (working_time.sql): NA when the kind is unknown or a date lies outside the calendar."""
    wd = (end_wdi - start_wdi) <= amount
    cd = pd.Series((end_date - start_date).dt.days <= amount, index=kind.index)
    wh = ((end_cum - start_cum) / float(OFFICE_DAY_SECONDS) * HOURS_PER_WORKING_DAY) <= amount
    out = pd.Series(pd.NA, index=kind.index, dtype="boolean")
    out = out.mask(kind == "working_days", wd.astype("boolean"))
    out = out.mask(kind == "calendar_days", cd.astype("boolean"))
    out = out.mask(kind == "working_hours", wh.astype("boolean"))
    return out


def lifecycle(d: pd.DataFrame, agencies: pd.DataFrame, procedures: pd.DataFrame, cal: pd.DataFrame) -> pd.DataFrame:
    """Received dossiers of a known unit version with what the period rules need (int_dossier_lifecycle)."""
    d = d[d["status"].notna() & ~d["status"].isin([1, 3]) & d["received_at"].notna()].copy()
    # the agency version valid at reception (else the nearest one), resolved once per (agency, date)
    d["ref_date"] = d["received_at"].fillna(d["submitted_at"]).dt.normalize()
    keys = d[["agency_code", "ref_date"]].dropna().drop_duplicates()
    km = keys.merge(agencies, on="agency_code")
    km["k1"] = np.where((km["ref_date"] >= km["valid_from"]) & (km["ref_date"] <= km["valid_to"].fillna(FAR_FUTURE)), 0, 1)
    km["k2"] = (km["ref_date"] - km["valid_from"]).dt.days.abs()
    km = km.sort_values(["k1", "k2"]).drop_duplicates(["agency_code", "ref_date"])
    d = d.merge(km[["agency_code", "ref_date", "unit_code", "unit_valid_from"]], on=["agency_code", "ref_date"], how="left")
    d = d.merge(procedures[["procedure_code", "legal_time_limit", "legal_time_unit"]], on="procedure_code", how="left")

    s, n = d["status"], d["supplement_count"]
    req, got = d["first_supplement_requested_at"], d["first_supplement_received_at"]
    pending_supplement = (s == 5) & (n == 1) & req.notna() & got.isna()
    end = d["processing_ended_at"].fillna(d["returned_at"]).fillna(d["refused_at"]).where(s.between(7, 10))
    d["end_time"] = end.where(s.between(7, 10), req.where(pending_supplement))
    deducted = d["end_time"].notna() & ~pending_supplement & (n == 1) & req.notna() & got.notna()
    d["adjusted_end"] = d["end_time"].where(~deducted, d["end_time"] - (got - req))

    limit, unit = d["legal_time_limit"], d["legal_time_unit"]
    whole = limit == np.floor(limit)
    known = limit.notna() & unit.notna()
    d["limit_kind"] = np.select(
        [~known, (unit == "ngay_lam_viec") & whole, (unit == "ngay") & whole, unit == "gio",
         unit.isin(["ngay_lam_viec", "ngay"])],
        [None, "working_days", "calendar_days", "working_hours", "working_hours"], None)
    d["limit_amount"] = np.select(
        [~known, unit.isin(["ngay_lam_viec", "ngay"]) & whole, unit == "gio", unit.isin(["ngay_lam_viec", "ngay"])],
        [np.nan, limit, limit, limit * HOURS_PER_WORKING_DAY], np.nan)
    d.loc[d["limit_kind"].isna(), "limit_kind"] = None

    d["received_date"] = d["received_at"].dt.normalize()
    d["end_date"] = d["end_time"].dt.normalize()
    d["adjusted_end_date"] = d["adjusted_end"].dt.normalize()
    d["due_date"] = d["due_at"].dt.normalize()
    d["received_wdi"], d["received_cum"] = _cumulative_seconds(d["received_at"], cal)
    end_wdi, end_cum = _cumulative_seconds(d["adjusted_end"], cal)
    within = _within_limit(d["limit_kind"], d["limit_amount"], d["received_date"], d["adjusted_end_date"],
                           d["received_wdi"], end_wdi, d["received_cum"], end_cum)

    by_due = np.select([d["adjusted_end_date"] < d["due_date"], d["adjusted_end_date"] == d["due_date"]],
                       ["early", "on_time"], "late")
    d["outcome_class"] = np.select(
        [d["end_time"].isna(), s.isin([7, 8]).to_numpy(bool), (n > 1).to_numpy(bool),
         (d["due_at"].isna() & d["limit_kind"].notna()).to_numpy(bool), d["due_at"].isna().to_numpy(bool)],
        [None, "on_time", "late", np.where(within.fillna(False).to_numpy(bool), "on_time", "late"), "on_time"],
        by_due)
    keep = ["unit_code", "unit_valid_from", "field_code", "channel", "received_date", "end_date", "due_date",
            "supplement_count", "limit_kind", "limit_amount", "received_wdi", "received_cum", "outcome_class"]
    return d.loc[d["unit_valid_from"].notna(), keep].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ periods
def _pidx(kind: str, dates: pd.Series) -> pd.Series:
    y, m = dates.dt.year, dates.dt.month
    return {"M": y * 12 + m - 1, "Q": y * 4 + (m - 1) // 3, "H": y * 2 + (m - 1) // 6, "Y": y}[kind]


def periods(first_month: dt.date, as_of_date: dt.date, cal: pd.DataFrame) -> pd.DataFrame:
    """Every period from the first reception month to the as-of month (int_periods)."""
    rows = []
    months = pd.date_range(pd.Timestamp(first_month), pd.Timestamp(as_of_date).to_period("M").to_timestamp(), freq="MS")
    for m in months:
        q0 = pd.Timestamp(m.year, 3 * ((m.month - 1) // 3) + 1, 1)
        h0 = pd.Timestamp(m.year, 1 if m.month <= 6 else 7, 1)
        rows += [
            ("M", m.strftime("%Y-%m"), m, m + pd.offsets.MonthEnd(0)),
            ("Q", f"{m.year}-Q{(m.month - 1) // 3 + 1}", q0, q0 + pd.offsets.QuarterEnd(0)),
            ("H", f"{m.year}-H{1 if m.month <= 6 else 2}", h0, pd.Timestamp(m.year, 6 if m.month <= 6 else 12, 30 if m.month <= 6 else 31)),
            ("Y", str(m.year), pd.Timestamp(m.year, 1, 1), pd.Timestamp(m.year, 12, 31)),
        ]
    p = pd.DataFrame(rows, columns=["period_type", "period", "period_start", "period_end"]).drop_duplicates()
    as_of = pd.Timestamp(as_of_date)
    p["is_running"] = (p["period_start"] <= as_of) & (as_of <= p["period_end"])
    p["p_end"] = p["period_end"].where(~p["is_running"], as_of)
    p["p_end_wdi"] = p["p_end"].map(cal["working_day_index"]).astype("Float64")
    p["pidx"] = 0
    for kind in "MQHY":
        sel = p["period_type"] == kind
        p.loc[sel, "pidx"] = _pidx(kind, p.loc[sel, "period_start"])
    return p.reset_index(drop=True)


def period_counts(life: pd.DataFrame, per: pd.DataFrame, as_of_date: dt.date) -> pd.DataFrame:
    """Counts per (unit version, field, period) of the dossiers in scope: received by P_end and not ended before the
    period's start (int_dossier_period_status). The periods of a dossier are a range of period indexes per type."""
    as_of = pd.Series([pd.Timestamp(as_of_date)])
    parts = []
    for kind in "MQHY":
        lo = _pidx(kind, life["received_date"])
        hi = np.minimum(_pidx(kind, life["end_date"]).fillna(np.iinfo(np.int32).max), _pidx(kind, as_of)[0])
        n = (hi - lo + 1).clip(lower=0).astype(int).to_numpy()
        rows = np.repeat(np.arange(len(life)), n)
        offsets = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        part = life.iloc[rows].reset_index(drop=True)
        part["period_type"] = kind
        part["pidx"] = lo.to_numpy()[rows] + offsets
        parts.append(part)
    x = pd.concat(parts, ignore_index=True).merge(per, on=["period_type", "pidx"])
    x = x[x["received_date"] <= x["p_end"]]

    received = x["received_date"] >= x["period_start"]
    online = x["channel"].fillna(1) == 2
    resolved = x["end_date"].notna() & (x["end_date"] <= x["p_end"])
    pend_limit = _within_limit(x["limit_kind"], x["limit_amount"], x["received_date"], x["p_end"], x["received_wdi"],
                               x["p_end_wdi"], x["received_cum"], x["p_end_wdi"] * OFFICE_DAY_SECONDS)
    within = pd.Series(True, index=x.index, dtype="boolean")
    within = within.mask(x["limit_kind"].notna(), pend_limit)
    within = within.mask(x["due_date"].notna(), x["due_date"] >= x["p_end"])
    within = within.mask(x["supplement_count"] > 1, False)
    flags = pd.DataFrame({
        "unit_code": x["unit_code"], "unit_valid_from": x["unit_valid_from"], "field_code": x["field_code"],
        "period_type": x["period_type"], "period": x["period"],
        "received_online": received & online,
        "received_direct_postal": received & ~online,
        "carried_over": ~received,
        "resolved_early": resolved & (x["outcome_class"] == "early"),
        "resolved_on_time": resolved & (x["outcome_class"] == "on_time"),
        "resolved_late": resolved & (x["outcome_class"] == "late"),
        "pending_within_time": (~resolved & within).fillna(False).astype(bool),
        "pending_overdue": (~resolved & ~within).fillna(False).astype(bool),
    })
    keys = ["unit_code", "unit_valid_from", "field_code", "period_type", "period"]
    return flags.groupby(keys, dropna=False)[COUNTS].sum().reset_index()


# ------------------------------------------------------------------------------------------------ the results
def run_pandas(raw_dir: Path, as_of: dt.datetime | None = None) -> dict:
    raw_dir = Path(raw_dir)
    d = read_dossiers(raw_dir)
    units = read_units(raw_dir)
    tree = unit_tree(units)
    agencies = read_agencies(raw_dir, units)
    procedures = read_procedures(raw_dir)
    cal = calendar_frame()

    as_of_at = pd.Timestamp(as_of) if as_of is not None else d["updated_at"].max()
    received = d[d["status"].notna() & ~d["status"].isin([1, 3]) & d["received_at"].notna()]
    per = pd.DataFrame(columns=["period_type", "period", "period_start", "period_end", "p_end"])
    counts = pd.DataFrame(columns=["unit_code", "unit_valid_from", "field_code", "period_type", "period"] + COUNTS)
    if pd.notna(as_of_at) and not received.empty:
        first_month = received["received_at"].min().to_period("M").to_timestamp()
        if first_month <= as_of_at.normalize():
            per = periods(first_month.date(), as_of_at.date(), cal)
            life = lifecycle(d, agencies, procedures, cal)
            counts = period_counts(life, per, as_of_at.date())

    # up the unit tree: each ancestor unit version over its whole subtree, per field and whole
    up = counts.merge(tree, left_on=["unit_code", "unit_valid_from"], right_on=["descendant_code", "descendant_valid_from"])
    by = ["ancestor_code", "ancestor_valid_from", "period_type", "period"]
    by_field = up[up["field_code"].notna()].groupby(by + ["field_code"])[COUNTS].sum().reset_index()
    whole = up.groupby(by)[COUNTS].sum().reset_index()

    # the frame: every unit version valid at some point of the period (up to P_end)
    frame = units[["unit_code", "valid_from", "valid_to"]].merge(per[["period_type", "period", "period_start", "p_end"]], how="cross")
    frame = frame[(frame["valid_from"] <= frame["p_end"]) & (frame["valid_to"].fillna(FAR_FUTURE) >= frame["period_start"])]
    frame = frame.rename(columns={"valid_from": "unit_valid_from"})[["unit_code", "unit_valid_from", "period_type", "period"]]
    fkeys = ["unit_code", "unit_valid_from", "period_type", "period"]
    ren = {"ancestor_code": "unit_code", "ancestor_valid_from": "unit_valid_from"}
    whole_rows = frame.merge(whole.rename(columns=ren), on=fkeys, how="left")
    whole_rows[COUNTS] = whole_rows[COUNTS].fillna(0)
    whole_rows["field_code"] = None
    field_rows = by_field.rename(columns=ren).merge(frame, on=fkeys)
    rows = pd.concat([whole_rows, field_rows], ignore_index=True)

    # field names: the catalogue's, else the dossiers'
    names = pd.concat([
        procedures.dropna(subset=["field_code"]).groupby("field_code")["field_name"].max().rename("catalogue"),
        d.dropna(subset=["field_code"]).groupby("field_code")["field_name"].max().rename("dossiers"),
    ], axis=1)
    names = names["catalogue"].where(names["catalogue"].notna(), names["dossiers"])
    rows["ten_linh_vuc"] = rows["field_code"].map(names)

    rows[COUNTS] = rows[COUNTS].astype("int64")
    rows["received_total"] = rows["received_online"] + rows["received_direct_postal"] + rows["carried_over"]
    rows["resolved_total"] = rows["resolved_early"] + rows["resolved_on_time"] + rows["resolved_late"]
    rows["pending_total"] = rows["pending_within_time"] + rows["pending_overdue"]
    rows["unit_valid_from"] = pd.to_datetime(rows["unit_valid_from"]).dt.strftime("%Y-%m-%d")
    rows = rows.rename(columns={"field_code": "ma_linh_vuc"})

    def clean(v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return None
        return v.item() if isinstance(v, np.generic) else v

    b06 = [tuple(clean(v) for v in r) for r in rows[BIEU06_COLUMNS].itertuples(index=False, name=None)]
    qd = [(r[0], r[1], r[2], r[3], float(r[11] + r[12] + r[15]), float(r[10] + r[14])) for r in b06 if r[4] is None]
    return {"qd766_2_1": sort_rows(qd, 4), "bieu06": sort_rows(b06, 5)}
