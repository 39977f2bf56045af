"""How the pages write numbers and months: Vietnamese number style (``1.234,56``), percentages, month labels; an
empty or unreadable cell is '—'. Shared by the province scorecard and the leadership report (and their templates'
``vi`` filter)."""

from __future__ import annotations

import math


def to_number(value) -> float | None:
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
    x = to_number(value)
    if x is None:
        return "—"
    s = format(x, f",.{decimals}f")
    return s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def fmt_int(value) -> str:
    x = to_number(value)
    return "—" if x is None else fmt_vi(x, 0)


def fmt_pct(value, decimals: int = 2) -> str:
    x = to_number(value)
    return "—" if x is None else fmt_vi(x, decimals) + "%"


def month_label(period: str) -> str:
    """'2023-03' → 'tháng 3/2023'."""
    y, m = period.split("-")
    return f"tháng {int(m)}/{y}"


def month_short(period: str) -> str:
    y, m = period.split("-")
    return f"{int(m):02d}/{y}"
