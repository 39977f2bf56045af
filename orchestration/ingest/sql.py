"""SQL expression builders shared by every source: parsing text cells into typed values.

Each builder takes a column expression (text) and returns a DuckDB SQL expression. Parsing never raises:
an unparseable value becomes NULL, and the matching ``*_is_bad`` builder says whether a non-empty value
was lost, so the row rule can quarantine it with the value in the message.
"""

# A record's rule violations: {rule, field, value} (value as delivered, personal data never)
VIOLATIONS_TYPE = "STRUCT(rule VARCHAR, field VARCHAR, value VARCHAR)[]"
# Violations a reader found in a record's cells (an XLSX formula without a cached value: readers.read_xlsx_text), a
# column of the source table beside its text columns
CELL_ISSUES = "_cell_issues"

# Accepted timestamp formats (METHODOLOGY §1 "Dates"): national sync yyyyMMddHHmmss, ISO and Vietnamese.
TIMESTAMP_FORMATS = [
    "%Y%m%d%H%M%S",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S.%f",
]
_FORMATS_SQL = "[" + ", ".join(f"'{f}'" for f in TIMESTAMP_FORMATS) + "]"


def literal(value: object) -> str:
    """A SQL string literal for a value that is not a bound parameter (file paths, names from headers):
    single quotes doubled, so a file called ``o'brien.csv`` is data, never SQL."""
    return "'" + str(value).replace("'", "''") + "'"


def literal_list(values) -> str:
    return "[" + ", ".join(literal(v) for v in values) + "]"


def ident(name: str) -> str:
    """A quoted SQL identifier (column names come from file headers: a double quote is escaped)."""
    return '"' + str(name).replace('"', '""') + '"'


def blank(col: str) -> str:
    return f"nullif(trim({col}), '')"


def timestamp(col: str) -> str:
    return f"try_strptime({blank(col)}, {_FORMATS_SQL})"


def timestamp_is_bad(col: str) -> str:
    return f"({blank(col)} IS NOT NULL AND {timestamp(col)} IS NULL)"


def date(col: str) -> str:
    return f"CAST({timestamp(col)} AS DATE)"


def integer(col: str) -> str:
    # '2', ' 2 ', '2.0' (spreadsheets), '1.000' (Vietnamese thousands) → 2, 2, 2, 1000. Plain digits only: a status
    # '1e1' or 'inf' is not a code (a number cast would read 10)
    c = blank(col)
    return (f"CASE WHEN regexp_full_match({c}, '-?\\d+([.,]0+)?|-?\\d{{1,3}}(\\.\\d{{3}})+')"
            f" THEN TRY_CAST({number(col)} AS INTEGER) END")


def integer_is_bad(col: str) -> str:
    return f"({blank(col)} IS NOT NULL AND {integer(col)} IS NULL)"


def number(col: str) -> str:
    """Numbers in either convention: '25000', '25.000' (Vietnamese thousands), '0,5' (Vietnamese decimal),
    '1.234,5' (both); '2.5e3' too. Never NaN nor infinite: 'nan', 'inf' and '1e999' are not numbers (NULL)."""
    c = blank(col)
    return (
        f"CASE WHEN regexp_full_match({c}, '-?\\d{{1,3}}(\\.\\d{{3}})+') THEN TRY_CAST(replace({c}, '.', '') AS DOUBLE)"
        f" WHEN regexp_full_match({c}, '-?\\d+,\\d+') THEN TRY_CAST(replace({c}, ',', '.') AS DOUBLE)"
        f" WHEN regexp_full_match({c}, '-?\\d{{1,3}}(\\.\\d{{3}})+,\\d+') THEN TRY_CAST(replace(replace({c}, '.', ''), ',', '.') AS DOUBLE)"
        f" WHEN regexp_full_match({c}, '[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?') AND isfinite(TRY_CAST({c} AS DOUBLE))"
        f" THEN TRY_CAST({c} AS DOUBLE) END"
    )


def number_is_bad(col: str) -> str:
    return f"({blank(col)} IS NOT NULL AND ({number(col)}) IS NULL)"


def flag(col: str) -> str:
    c = f"lower({blank(col)})"
    # list_contains, not IN (…): DuckDB plans each IN list of constants as a mark hash join, and the dossier checking
    # statement has dozens of them — half of its time went to those joins (issue 7 profile)
    return (f"CASE WHEN list_contains(['1', '1.0', 'true', 'x', 'co', 'có'], {c}) THEN true"
            f" WHEN list_contains(['0', '0.0', 'false', 'khong', 'không'], {c}) THEN false END")


def flag_is_bad(col: str) -> str:
    return f"({blank(col)} IS NOT NULL AND ({flag(col)}) IS NULL)"


def text(col: str) -> str:
    """Free text: NFC (Vietnamese arrives in NFC and NFD), trimmed, empty → NULL."""
    return f"nfc_normalize({blank(col)})"


def code(col: str) -> str:
    """Codes stay text (leading zeros kept), NFC, trimmed."""
    return f"nfc_normalize({blank(col)})"


def procedure_code(col: str) -> str:
    """Procedure codes are ``d.dddddd``; a spreadsheet that turned ``2.000930`` into the number 2.00093 lost
    its trailing zeros: they are put back (only for that shape — any other code is kept as it is)."""
    c = code(col)
    return f"CASE WHEN regexp_full_match({c}, '\\d\\.\\d{{1,5}}') THEN rpad({c}, 8, '0') ELSE {c} END"


def unit_code(col: str) -> str:
    """Admin-unit codes are 2 (province), 3 (district) or 5 (commune) digits; a spreadsheet that turned
    ``01969`` into the number 1969 lost the leading zero. A purely numeric code that is not a known unit is
    padded to 2, 3 then 5 digits and the first padding that is a known unit is taken (temp table
    ``known_units(unit_code)``); otherwise the code is kept as it came (and the row rule ``unknown_unit``
    quarantines it)."""
    c = code(col)
    pads = " ".join(
        f"WHEN length({c}) < {n} AND EXISTS (SELECT 1 FROM known_units k WHERE k.unit_code = lpad({c}, {n}, '0'))"
        f" THEN lpad({c}, {n}, '0')"
        for n in (2, 3, 5))
    return (f"CASE WHEN {c} IS NULL OR NOT regexp_full_match({c}, '\\d{{1,4}}')"
            f" OR EXISTS (SELECT 1 FROM known_units k WHERE k.unit_code = {c}) THEN {c} {pads} ELSE {c} END")


def pseudonym(expr: str) -> str:
    """Keyed hash of personal data: the key is the prepared-statement parameter $key, never inlined."""
    return f"CASE WHEN {expr} IS NULL THEN NULL ELSE substr(sha256($key || chr(31) || {expr}), 1, 24) END"
