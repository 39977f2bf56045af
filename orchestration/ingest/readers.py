"""Read raw files into DuckDB relations of text columns, whatever their encoding or layout.

Every reader returns the name of a DuckDB view with one VARCHAR column per source column (header names
normalised to lower snake case) plus ``_rec``, the 1-based record position in the file, so every later
message can point at the record. Typing and rules come afterwards, in SQL.
"""

from __future__ import annotations

import codecs
import difflib
import json
import re
import unicodedata
import uuid
from pathlib import Path

import duckdb
import fsspec

from orchestration.ingest.errors import PERSONAL_FIELDS, FileRejected, reader_error_detail
from orchestration.ingest.sql import CELL_ISSUES, VIOLATIONS_TYPE, ident
from orchestration.lib.lake_schema import DOSSIER_FLAT_COLUMNS, TABLES

TABULAR_SUFFIXES = {".csv", ".xlsx", ".tsv"}


def normalise_header(name: object) -> str:
    """Headers are the documented snake_case names: trim, lower-case, drop a BOM, NFC-normalise and turn
    spaces/dashes into underscores (' Ma_TTHC' → 'ma_tthc')."""
    text = unicodedata.normalize("NFC", str(name or "")).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def _detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    # UTF-16 without a BOM (some exports): every other byte of ASCII text is zero
    if len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] and head[2]:
        return "utf-16-le"
    if len(head) >= 4 and head[0] == 0 and head[2] == 0 and head[1] and head[3]:
        return "utf-16-be"
    return "utf-8"


DELIMITERS = [",", ";", "\t", "|"]


def detect_delimiter(header_line: str) -> str:
    """The delimiter of a delimited text file, from its header line: the most frequent of , ; TAB | outside
    quotes (Excel "Unicode text" is tab-separated; Vietnamese-locale Excel writes ';'); ',' on a tie."""
    unquoted = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def read_csv_text(con: duckdb.DuckDBPyConnection, path: Path, view: str, required: list[str]) -> list[str]:
    """Register ``view`` over a delimited text file (UTF-8 with/without BOM, or UTF-16 as Excel's "Unicode
    text"; delimiter , ; TAB or | detected from the header line). Returns its column names."""
    if path.stat().st_size == 0:
        raise FileRejected(str(path), "empty_file", "the file is empty (0 bytes: no header, no records)")
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    encoding = _detect_encoding(head)
    copy = None
    if encoding in ("utf-8", "utf-8-sig"):
        source = str(path)
        first = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    else:
        # DuckDB's reader wants UTF-8: odd files (spreadsheet exports) are re-encoded in memory — never into a file,
        # which a run killed while landing would leave behind, personal data in plain text (issue 19) — and never
        # beside the raw file: the landing zone is read-only for us.
        try:
            text = path.read_bytes().decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            raise FileRejected(str(path), "unreadable_csv",
                               f"looks like {encoding} text but does not decode: {reader_error_detail(exc)}") from None
        first = text[: 1 << 16]
        source = copy = _memory_copy(con, text.encode("utf-8"))
        del text
    header_line = first.splitlines()[0] if first.splitlines() else ""
    delim = detect_delimiter(header_line)
    try:
        # parallel=false: a quoted cell holding a line break (Excel's Alt+Enter) is one cell (RFC 4180), and DuckDB's
        # parallel scanner cannot read one with null_padding ("CSV Error on Line …"); a landing uses one thread anyway
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {view}__raw AS SELECT * FROM read_csv(?, header=true, all_varchar=true,"
            " auto_detect=true, delim=?, quote='\"', escape='\"', strict_mode=false, null_padding=true, parallel=false)",
            [source, delim],
        )
    except duckdb.Error as exc:
        detail = reader_error_detail(exc)  # never DuckDB's copy of the line: it may hold personal data
        if "unicode" in detail.lower() or "utf" in detail.lower():
            detail = ("not UTF-8 or UTF-16 text (legacy code page? save it as 'CSV UTF-8' or 'Unicode text'): "
                      + detail)
        raise FileRejected(str(path), "unreadable_csv", detail) from None
    finally:
        if copy:
            _MEMORY.rm(copy)
    return _finish_view(con, path, view, required)


_MEMORY = fsspec.filesystem("memory")  # process memory: gone with the process, whatever kills it


def _memory_copy(con: duckdb.DuckDBPyConnection, data: bytes) -> str:
    """A path DuckDB reads ``data`` from, held in this process's memory (an fsspec memory file system registered with
    the connection); the caller removes it once read."""
    if "memory" not in con.list_filesystems():
        con.register_filesystem(_MEMORY)
    path = f"memory://cchc-utf8/{uuid.uuid4().hex}.csv"
    _MEMORY.pipe_file(path, data)
    return path


def read_xlsx_text(con: duckdb.DuckDBPyConnection, path: Path, view: str, required: list[str]) -> list[str]:
    """Register ``view`` over the first sheet of an XLSX file whose header row may sit below title rows:
    the header is the first row that contains every required column."""
    # lazy: openpyxl and pandas cost ≈0.5 s, needed only for an .xlsx delivery; every landing worker process
    # imports this module
    import openpyxl
    import pandas as pd

    try:
        # the values Excel cached for formulas (data_only), and beside them the formulas themselves: a formula whose
        # value was never computed (a file written by a program, not saved by Excel) has no cached value
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        wf = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a broken zip
        raise FileRejected(str(path), "unreadable_xlsx", f"{type(exc).__name__}: {reader_error_detail(exc)}") from None
    rows = zip(wb.worksheets[0].iter_rows(values_only=True), wf.worksheets[0].iter_rows(values_only=True))
    header, header_row = None, 0
    for i, (row, _) in enumerate(rows, 1):
        names = [normalise_header(c) for c in row]
        if all(r in names for r in required):
            header, header_row = names, i
            break
        if i > 30:
            break
    if header is None:
        raise FileRejected(str(path), "missing_columns", f"no header row with the columns {required} in the first 30 rows")
    records, positions, issues = [], [], []
    for i, (row, formulas) in enumerate(rows, header_row + 1):
        if row is None or all(c is None or str(c).strip() == "" for c in row):
            continue  # blank as the sheet was saved (formulas filled down past the data are not records)
        # formula_without_value: never a silent blank — the record is quarantined when the column is one the
        # layout uses (landing filters), the formula shown but in a personal-data column
        lost = [{"rule": "formula_without_value", "field": header[j],
                 "value": "(personal data)" if header[j] in PERSONAL_FIELDS else _formula_text(f)[:60]}
                for j, (c, f) in enumerate(zip(row, formulas)) if j < len(header) and c is None and _formula_text(f)]
        cells = ["" if c is None else _cell_text(c) for c in row][: len(header)]
        records.append(cells + [""] * (len(header) - len(cells)))
        positions.append(i)  # record position = row number in the sheet: a message points at a row a person can open
        issues.append(json.dumps(lost, ensure_ascii=False) if lost else None)
    wb.close()
    wf.close()
    # header cells left empty: dropped when their column is empty too, else kept as unnamed_<n> (an extra column)
    keep = [j for j, name in enumerate(header) if name or any(r[j].strip() for r in records)]
    columns = [header[j] or f"unnamed_{j + 1}" for j in keep]
    frame = pd.DataFrame([[r[j] for j in keep] for r in records], columns=columns, dtype="string")
    frame.insert(0, "_rec", positions)
    if any(issues):
        frame[ISSUES_JSON] = pd.array(issues, dtype="string")
    con.register(f"{view}__frame", frame)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {view}__raw AS SELECT * FROM {view}__frame")
    con.unregister(f"{view}__frame")
    return _finish_view(con, path, view, required, has_rec=True)


def _formula_text(cell: object) -> str:
    """The formula of a cell as openpyxl gives it without data_only ('=SUM(B2:B5)', or an ArrayFormula's text)."""
    text = getattr(cell, "text", cell)
    return text if isinstance(text, str) and text.startswith("=") else ""


def _cell_text(value: object) -> str:
    # Spreadsheet numbers come back as floats; 5.0 is the answer "5", not "5.0".
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


ISSUES_JSON = "__cchc_cell_issues_json"  # the XLSX reader's violations as JSON text, until _finish_view types them


def _finish_view(con, path: Path, view: str, required: list[str], has_rec: bool = False) -> list[str]:
    cols = [r[0] for r in con.execute(f"DESCRIBE {view}__raw").fetchall()]
    issues = (f"CAST(from_json({ident(ISSUES_JSON)}, '[{{\"rule\": \"VARCHAR\", \"field\": \"VARCHAR\", \"value\": \"VARCHAR\"}}]')"
              f" AS {VIOLATIONS_TYPE})" if ISSUES_JSON in cols else f"CAST(NULL AS {VIOLATIONS_TYPE})")
    cols = [c for c in cols if c != ISSUES_JSON]
    names = [normalise_header(c) for c in cols]
    missing = [r for r in required if r not in names]
    if missing:
        raise FileRejected(str(path), "missing_columns", f"required column(s) {missing} not in the header: {_header_shown(names, missing)}")
    selects = []
    for c, n in zip(cols, names):
        if n == "_rec":
            continue
        selects.append(f"CAST({ident(c)} AS VARCHAR) AS {ident(n)}")
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise FileRejected(str(path), "duplicate_columns", f"column(s) {dup} appear more than once in the header")
    rec = '"_rec"' if has_rec else "row_number() OVER ()"
    # a table, not a view: record positions are numbered once, and every later reference sees the same numbers
    con.execute(f"CREATE OR REPLACE TEMP TABLE {view} AS SELECT {rec} AS _rec, {', '.join(selects)}, {issues} AS {CELL_ISSUES}"
                f" FROM {view}__raw")
    con.execute(f"DROP TABLE {view}__raw")
    return [n for n in names if n != "_rec"]


def _header_shown(names: list[str], missing: list[str]) -> str:
    """The header as a message may show it: the names of a documented layout and those close to a missing column
    (a misspelling); any other name only counted — a file without its header row has a record there, maybe a name."""
    known = {c for schema, _, _ in TABLES.values() for c in schema} | set(DOSSIER_FLAT_COLUMNS) | set(PERSONAL_FIELDS)
    shown = [n for n in names if n in known or n.startswith(("hl_", "tc_", "mong_doi"))
             or difflib.get_close_matches(n, missing, n=1, cutoff=0.8)]
    hidden = len(names) - len(shown)
    return f"{shown}" + (f" and {hidden} other column name(s) not shown (values, if the header row is missing)" if hidden else "")


def read_tabular(con, path: Path, view: str, required: list[str]) -> list[str]:
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return read_xlsx_text(con, path, view, required)
    if suffix in (".csv", ".tsv"):
        return read_csv_text(con, path, view, required)
    raise FileRejected(str(path), "unsupported_format", f"'{suffix}' is not an accepted format (csv, xlsx)")
