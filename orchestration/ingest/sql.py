"""SQL expression builders shared by every source: parsing text cells into typed values.

Each builder takes a column expression (text) and returns a DuckDB SQL expression. Parsing never raises:
an unparseable value becomes NULL, and the matching ``*_is_bad`` builder says whether a non-empty value
was lost, so the row rule can quarantine it with the value in the message.
"""

# Accepted timestamp formats (METHODOLOGY §1 "Dates"): national sync yyyyMMddHHmmss, ISO and Vietnamese.
TIMESTAMP_FORMATS = [
    "%Y%m%d%H%M%S",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y",
    "%Y-%m-%d %H:%M:%S.%f",
]
_FORMATS_SQL = "[" + ", ".join(f"'{f}'" for f in TIMESTAMP_FORMATS) + "]"


def blank(col: str) -> str:
    return f"nullif(trim({col}), '')"


def timestamp(col: str) -> str:
    return f"try_strptime({blank(col)}, {_FORMATS_SQL})"


def timestamp_is_bad(col: str) -> str:
    return f"({blank(col)} IS NOT NULL AND {timestamp(col)} IS NULL)"


def date(col: str) -> str:
    return f"CAST({timestamp(col)} AS DATE)"


def integer(col: str) -> str:
    # '2', ' 2 ', '2.0' (spreadsheets) → 2
    return f"TRY_CAST(TRY_CAST({blank(col)} AS DOUBLE) AS INTEGER)"


def integer_is_bad(col: str) -> str:
    return f"({blank(col)} IS NOT NULL AND ({integer(col)} IS NULL OR TRY_CAST({blank(col)} AS DOUBLE) <> {integer(col)}))"


def number(col: str) -> str:
    """Numbers in either convention: '25000', '25.000' (Vietnamese thousands), '0,5' (Vietnamese decimal)."""
    c = blank(col)
    return (
        f"CASE WHEN regexp_full_match({c}, '-?\\d{{1,3}}(\\.\\d{{3}})+') THEN TRY_CAST(replace({c}, '.', '') AS DOUBLE)"
        f" WHEN regexp_full_match({c}, '-?\\d+,\\d+') THEN TRY_CAST(replace({c}, ',', '.') AS DOUBLE)"
        f" ELSE TRY_CAST({c} AS DOUBLE) END"
    )


def number_is_bad(col: str) -> str:
    return f"({blank(col)} IS NOT NULL AND ({number(col)}) IS NULL)"


def flag(col: str) -> str:
    c = f"lower({blank(col)})"
    return f"CASE WHEN {c} IN ('1', '1.0', 'true', 'x', 'co', 'có') THEN true WHEN {c} IN ('0', '0.0', 'false', 'khong', 'không') THEN false END"


def flag_is_bad(col: str) -> str:
    return f"({blank(col)} IS NOT NULL AND ({flag(col)}) IS NULL)"


def text(col: str) -> str:
    """Free text: NFC (Vietnamese arrives in NFC and NFD), trimmed, empty → NULL."""
    return f"nfc_normalize({blank(col)})"


def code(col: str) -> str:
    """Codes stay text (leading zeros kept), NFC, trimmed."""
    return f"nfc_normalize({blank(col)})"


def pseudonym(expr: str) -> str:
    """Keyed hash of personal data: the key is the prepared-statement parameter $key, never inlined."""
    return f"CASE WHEN {expr} IS NULL THEN NULL ELSE substr(sha256($key || chr(31) || {expr}), 1, 24) END"
