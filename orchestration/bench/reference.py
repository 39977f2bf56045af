"""What both re-implementations (floor.py, pandas_ref.py) need besides the dossiers: which raw files to read,
the dbt vars' default readings, and the working-day calendar.

The calendar is a line-by-line port of dbt_project/models/intermediate/int_calendar.py (the `holidays` package +
the `holiday_overrides` seed); it is the only piece of code the two re-implementations share, because it is
reference data (which days are working days), not a rule. Everything else each of them does on its own.
"""

from __future__ import annotations

import csv
import datetime as dt
from functools import lru_cache
from pathlib import Path

import holidays

from orchestration.ingest.raw_root import is_json
from orchestration.ingest.raw_root import raw_files as ingestion_raw_files

REPO_ROOT = Path(__file__).resolve().parents[2]
SEEDS_DIR = REPO_ROOT / "dbt_project" / "seeds"

# dbt vars of dbt_project/dbt_project.yml, at their defaults (the benchmark runs with the defaults):
#   classification_granularity: date      — compare calendar dates of adjusted_end / P_end and the due date
#   office_hours: 07:30–11:30, 13:30–17:00 — working-hour limits (gio, fractional day limits)
#   hours_per_working_day: 8
OFFICE_HOURS = ((7 * 3600 + 30 * 60, 11 * 3600 + 30 * 60), (13 * 3600 + 30 * 60, 17 * 3600))
OFFICE_DAY_SECONDS = sum(b - a for a, b in OFFICE_HOURS)  # 27000 (7.5 h)
HOURS_PER_WORKING_DAY = 8

# Timestamp formats ingestion accepts (orchestration/ingest/sql.py TIMESTAMP_FORMATS); the national sync JSON
# uses the first one.
TIMESTAMP_FORMATS = [
    "%Y%m%d%H%M%S",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S.%f",
]

CALENDAR_START = dt.date(2015, 1, 1)
CALENDAR_END = dt.date(2030, 12, 31)


def raw_files(raw_dir: Path, folder: str, pattern: str = "*") -> list[Path]:
    """Data files of a raw folder in name order, exactly as ingestion lists them (the same function: the floor
    and pandas must read the same files as the pipeline). Name order is delivery order: a later file wins ties."""
    return ingestion_raw_files(Path(raw_dir), folder, pattern)


def dossier_json_files(raw_dir: Path) -> list[Path]:
    """The dossier files of a raw root. Both re-implementations read the national sync JSON only (plain or gzip)."""
    files = raw_files(raw_dir, "dossiers")
    other = [p for p in files if not is_json(p)]
    if other:
        raise NotImplementedError(
            f"the benchmark re-implementations read dossiers/*.json[.gz] only; found {', '.join(p.name for p in other[:3])}")
    return files


def reference_csv_files(raw_dir: Path, folder: str, pattern: str) -> list[Path]:
    files = raw_files(raw_dir, folder, pattern)
    other = [p for p in files if p.suffix.lower() != ".csv"]
    if other:
        raise NotImplementedError(
            f"the benchmark re-implementations read reference tables as CSV only; found {', '.join(p.name for p in other[:3])}")
    return files


@lru_cache(maxsize=1)
def working_calendar() -> tuple[tuple[dt.date, bool, int], ...]:
    """(date, is_working_day, working_day_index) for 2015-01-01 … 2030-12-31; working_day_index = the number of
    working days up to and including the date (port of int_calendar.py)."""
    kind_of = {}
    with open(SEEDS_DIR / "holiday_overrides.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            kind_of[dt.date.fromisoformat(row["date"].strip())] = row["kind"].strip()
    vn = holidays.country_holidays("VN", years=range(CALENDAR_START.year, CALENDAR_END.year + 1), language="vi")
    rows = []
    index = 0
    day = CALENDAR_START
    while day <= CALENDAR_END:
        kind = kind_of.get(day)
        is_holiday = (vn.get(day) is not None and kind != "not_holiday") or kind == "holiday"
        is_working = kind == "working_day" or (day.weekday() < 5 and not is_holiday)
        if is_working:
            index += 1
        rows.append((day, is_working, index))
        day += dt.timedelta(days=1)
    return tuple(rows)
