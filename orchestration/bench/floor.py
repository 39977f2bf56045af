"""The benchmark floor: QD766_2_1 and Biểu 06 from a raw root's dossier JSON with one hand-written DuckDB script
(floor.sql). Python only lists the files, loads the small reference tables and the working-day calendar, fills
the script's placeholders with SQL literals and fetches the two result tables.

    run_floor(raw_dir, as_of=None, threads=None, memory_limit=None) -> {"qd766_2_1": [...], "bieu06": [...]}

``qd766_2_1``: sorted tuples (period_type, period, unit_code, unit_valid_from, numerator, denominator) — the
whole-unit rows the release publishes (agency_code, ma_linh_vuc and ma_tthc empty); ``bieu06``: sorted tuples in
the column order of orchestration.publish.release.BIEU06_COLUMNS. Dates are ISO text, counts int, ratios' parts
float, an empty field code / name None.

The script assumes defect-free input (nothing the pipeline would quarantine), as the benchmark's data is.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import duckdb
import pandas as pd  # only to hand the small reference tables to DuckDB in one call (_load_reference)

from orchestration.bench.reference import SEEDS_DIR, dossier_json_files, reference_csv_files, working_calendar

SQL_PATH = Path(__file__).with_name("floor.sql")
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")

BIEU06_COLUMNS = [
    "period_type", "period", "unit_code", "unit_valid_from", "ma_linh_vuc", "ten_linh_vuc", "received_total",
    "received_online", "received_direct_postal", "carried_over", "resolved_total", "resolved_early",
    "resolved_on_time", "resolved_late", "pending_total", "pending_within_time", "pending_overdue",
]
QD766_COLUMNS = ["period_type", "period", "unit_code", "unit_valid_from", "numerator", "denominator"]

# reference table → (columns the script reads, seed file or None, raw folder, raw file pattern)
REFERENCE = {
    "units_in": (["unit_code", "valid_from", "valid_to", "unit_level", "parent_code", "parent_valid_from"],
                 SEEDS_DIR / "admin_units.csv", "reference", "admin_units*"),
    "agencies_in": (["agency_code", "unit_code", "valid_from", "valid_to"],
                    SEEDS_DIR / "agencies.csv", "reference", "agencies*"),
    "procedures_in": (["ma_tthc", "ma_linh_vuc", "ten_linh_vuc", "thoi_han", "don_vi_thoi_han"],
                      None, "procedures", "procedures*"),
}


def sql_literal(value) -> str:
    """A SQL literal for a placeholder: text with quotes doubled, lists element by element, timestamps typed."""
    if value is None:
        return "NULL"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(sql_literal(v) for v in value) + "]"
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def render(script: str, values: dict) -> str:
    """Fill ``{{ name }}`` placeholders with SQL literals; an unknown or unfilled name is an error."""
    missing = set(PLACEHOLDER.findall(script)) - set(values)
    if missing:
        raise KeyError(f"floor.sql placeholders without a value: {sorted(missing)}")
    return PLACEHOLDER.sub(lambda m: sql_literal(values[m.group(1)]), script)


def _read_csv_rows(path: Path, columns: list[str], src: int) -> list[tuple]:
    """The columns of a reference CSV (UTF-8, BOM tolerated) as text, with the file order and 1-based row."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return [tuple(row.get(c) for c in columns) + (src, rec) for rec, row in enumerate(reader, start=1)]


def _load_reference(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> None:
    for table, (columns, seed, folder, pattern) in REFERENCE.items():
        rows = _read_csv_rows(seed, columns, 0) if seed else []
        for i, path in enumerate(reference_csv_files(raw_dir, folder, pattern), start=1):
            rows += _read_csv_rows(path, columns, i)
        frame = pd.DataFrame(rows, columns=columns + ["src", "rec"], dtype=object)
        frame = frame.astype({c: "string" for c in columns} | {"src": "int64", "rec": "int64"})
        con.register("_ref_frame", frame)
        casts = ", ".join(f"CAST({c} AS VARCHAR) AS {c}" for c in columns)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {casts}, src, rec FROM _ref_frame")
        con.unregister("_ref_frame")
    cal = pd.DataFrame(list(working_calendar()), columns=["date", "is_working_day", "working_day_index"])
    con.register("_cal_frame", cal)
    con.execute("CREATE OR REPLACE TEMP TABLE calendar AS SELECT CAST(date AS DATE) AS date, CAST(is_working_day AS BOOLEAN)"
                " AS is_working_day, CAST(working_day_index AS INTEGER) AS working_day_index FROM _cal_frame")
    con.unregister("_cal_frame")


def sort_rows(rows: list[tuple], keys: int) -> list[tuple]:
    """Rows in the release's order: period_type, period, unit_code, unit_valid_from[, ma_linh_vuc NULLS FIRST]."""
    return sorted(rows, key=lambda r: tuple("" if v is None else str(v) for v in r[:4])
                  + (((r[4] is not None), r[4] or "") if keys > 4 else ()))


def run_floor(raw_dir: Path, as_of: dt.datetime | None = None, threads: int | None = None,
              memory_limit: str | None = None) -> dict:
    raw_dir = Path(raw_dir)
    if isinstance(as_of, str):  # an ISO text, as CCHC_AS_OF / --as-of take it
        as_of = dt.datetime.fromisoformat(as_of)
    if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime):
        as_of = dt.datetime.combine(as_of, dt.time())
    files = [str(p) for p in dossier_json_files(raw_dir)]
    if not files:
        raise FileNotFoundError(f"no dossier JSON under {raw_dir / 'dossiers'}")
    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            con.execute(f"SET memory_limit = {sql_literal(memory_limit)}")
        con.execute("SET preserve_insertion_order = false")  # results are sorted in Python
        con.execute("SET enable_progress_bar = false")
        _load_reference(con, raw_dir)
        script = render(SQL_PATH.read_text(encoding="utf-8"), {"dossier_files": files, "as_of": as_of})
        con.execute(script)
        b06 = con.execute(f"SELECT {', '.join(BIEU06_COLUMNS)} FROM out_bieu06").fetchall()
        qd = con.execute(f"SELECT {', '.join(QD766_COLUMNS)} FROM out_qd766_2_1").fetchall()
    finally:
        con.close()
    return {"qd766_2_1": sort_rows(qd, 4), "bieu06": sort_rows(b06, 5)}
