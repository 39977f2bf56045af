"""Compare the two results with a release: read them back from the published CSV files and list differences.

    published_values(release_dir) -> {"qd766_2_1": [...], "bieu06": [...]}   (the shape run_floor returns)
    diff(a, b, tolerance=1e-9) -> list[str]                                   empty when equal
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

from orchestration.bench.floor import BIEU06_COLUMNS, QD766_COLUMNS, sort_rows
from orchestration.publish.parts import csv_files

# key columns of each result; the rest are values
KEYS = {"qd766_2_1": 4, "bieu06": 5}
COLUMNS = {"qd766_2_1": QD766_COLUMNS, "bieu06": BIEU06_COLUMNS}
INT_COLUMNS = set(BIEU06_COLUMNS[6:])
FLOAT_COLUMNS = {"numerator", "denominator"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(cell: str) -> str | None:
    """A published text cell: empty = NULL; the quote that neutralised a formula-like start is taken off."""
    if cell == "":
        return None
    if cell.startswith("'") and cell[1:2] and cell[1] in FORMULA_START:
        return cell[1:]
    return cell


def _typed(column: str, cell: str):
    if column in INT_COLUMNS:
        return int(float(cell)) if cell != "" else None
    if column in FLOAT_COLUMNS:
        return float(cell) if cell != "" else None
    return _text(cell)


def published_values(release_dir: Path) -> dict:
    release_dir = Path(release_dir)
    qd, b06 = [], []
    for path in csv_files(release_dir, "indicator_observations.csv"):  # every province's part (layout v2)
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["indicator_id"] != "QD766_2_1" or row["agency_code"] or row["ma_linh_vuc"] or row["ma_tthc"]:
                    continue
                if row["obs_status"] == "E":
                    continue  # the comparable series on new boundaries (docs/reorganisation.md): not as published

                qd.append(tuple(_typed(c, row[c]) for c in QD766_COLUMNS))
    for path in csv_files(release_dir, "report_bieu06.csv"):
        with open(path, encoding="utf-8", newline="") as fh:
            b06 += [tuple(_typed(c, row[c]) for c in BIEU06_COLUMNS) for row in csv.DictReader(fh)]
    return {"qd766_2_1": sort_rows(qd, 4), "bieu06": sort_rows(b06, 5)}


def _norm(value):
    """Dates and codes compare as text; numbers as numbers."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10] if not isinstance(value, dt.datetime) else value.isoformat(sep=" ")
    return value


def _same(x, y, tolerance: float) -> bool:
    x, y = _norm(x), _norm(y)
    if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool) and not isinstance(y, bool):
        if math.isnan(x) or math.isnan(y):
            return math.isnan(x) and math.isnan(y)
        return abs(x - y) <= tolerance * max(1.0, abs(x), abs(y))
    if x is None or y is None:
        return x is None and y is None
    return str(x) == str(y)


def diff(a: dict, b: dict, tolerance: float = 1e-9) -> list[str]:
    """Human-readable differences between two results (a = left, b = right); empty when they agree."""
    out = []
    for name in ("qd766_2_1", "bieu06"):
        if name not in a or name not in b:
            out.append(f"{name}: missing on the {'left' if name not in a else 'right'}")
            continue
        k, cols = KEYS[name], COLUMNS[name]
        left, right = {}, {}
        for side, rows, index in (("left", a[name], left), ("right", b[name], right)):
            for row in rows:
                key = tuple(_norm(v) for v in row[:k])
                if key in index:
                    out.append(f"{name} {side}: duplicate row {key}")
                index[key] = row
        for key in sorted(set(left) | set(right), key=lambda t: tuple("" if v is None else str(v) for v in t)):
            label = "/".join("-" if v is None else str(v) for v in key)
            if key not in right:
                out.append(f"{name} {label}: only on the left {tuple(left[key][k:])}")
            elif key not in left:
                out.append(f"{name} {label}: only on the right {tuple(right[key][k:])}")
            else:
                for col, x, y in zip(cols[k:], left[key][k:], right[key][k:]):
                    if not _same(x, y, tolerance):
                        out.append(f"{name} {label} {col}: {x!r} != {y!r}")
    return out
