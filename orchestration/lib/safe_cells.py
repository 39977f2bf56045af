"""Spreadsheet formula injection: a text cell starting with = + - @ (or a tab / carriage return) is run as a
formula by Excel and LibreOffice when a province opens our CSV/XLSX. Every text cell we write is neutralised by
prefixing a single quote (OWASP "CSV injection" advice); numbers and dates are untouched."""

import re

FORMULA_START = re.compile(r"^[=+\-@\t\r]")
FORMULA_START_SQL = "^[=+\\-@\\t\\r]"


def neutralise(value):
    """Python side (dictionary, XLSX writers)."""
    if isinstance(value, str) and FORMULA_START.match(value):
        return "'" + value
    return value


def neutralised_query(con, query: str) -> str:
    """SQL side: the same query with every VARCHAR column neutralised (for DuckDB COPY … TO csv)."""
    columns = con.execute(f"DESCRIBE ({query})").fetchall()
    select = []
    for name, type_, *_ in columns:
        col = '"' + name.replace('"', '""') + '"'
        if type_ == "VARCHAR":
            select.append(f"CASE WHEN regexp_matches({col}, '{FORMULA_START_SQL}') THEN '''' || {col} ELSE {col} END AS {col}")
        else:
            select.append(col)
    return f"SELECT {', '.join(select)} FROM ({query})"
