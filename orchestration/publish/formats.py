"""Release file formats: the published CSV (``copy_csv``) and the Biểu 06 workbook laid out as the official form of
Circular 01/2020/TT-VPCP, one per province and period (``by_province/<code>/<period>/report_bieu06.xlsx``; which
parts are written is orchestration.publish.parts' business).

Every text cell written to CSV or XLSX is neutralised against formula injection
(``orchestration.lib.safe_cells``); XLSX text is written with ``write_string`` so nothing is ever a formula.
"""

from __future__ import annotations

import re
from pathlib import Path

from orchestration.lib.safe_cells import neutralise, neutralised_query

PERIOD_TYPE_ORDER = {"M": 0, "Q": 1, "H": 2, "Y": 3}
LEVEL_ORDER = {"tinh": 0, "huyen": 1, "xa": 2}
COUNT_COLUMNS = ["received_total", "received_online", "received_direct_postal", "carried_over", "resolved_total",
                 "resolved_early", "resolved_on_time", "resolved_late", "pending_total", "pending_within_time",
                 "pending_overdue"]
ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}


def period_label_vi(period_type: str, period: str) -> str:
    """A reporting period as the official forms write it: 'Tháng 01/2023', 'Quý I/2023', '6 tháng đầu năm 2023',
    '6 tháng cuối năm 2023', 'Năm 2023' (the code itself when it is not one of these shapes)."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}|Q[1-4]|H[12]))?", period or "")
    if not m:
        return period
    year, part = m.group(1), m.group(2)
    if period_type == "M" and part and part.isdigit():
        return f"Tháng {part}/{year}"
    if period_type == "Q" and part and part.startswith("Q"):
        return f"Quý {ROMAN[part[1]]}/{year}"
    if period_type == "H" and part and part.startswith("H"):
        return f"6 tháng {'đầu' if part == 'H1' else 'cuối'} năm {year}"
    if period_type == "Y" and part is None:
        return f"Năm {year}"
    return period


CSV_OPTIONS = "HEADER, DELIMITER ',', DATEFORMAT '%Y-%m-%d'"


def copy_csv(con, query: str, path: Path, neutralised: bool = False) -> int:
    """Write a published CSV; text cells are neutralised against formula injection unless ``neutralised`` says the
    query's text already is. Returns the rows written (COPY's own count: no second pass over the query)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    select = query if neutralised else neutralised_query(con, query)
    return con.execute(f"COPY ({select}) TO '{path}' ({CSV_OPTIONS})").fetchone()[0]


# ---------------------------------------------------------------------------------------------------------- XLSX

def _sheet_name(period: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "-", period)[:31] or "Ky"
    base, i = name, 2
    while name in used:
        name = f"{base[:28]}~{i}"
        i += 1
    used.add(name)
    return name


def write_bieu06_xlsx(rows: list[dict], units: dict, path: Path) -> int:
    """``rows``: report_bieu06 rows (dicts with BIEU06_COLUMNS); ``units``: (unit_code, valid_from) →
    (unit_name, unit_level). One sheet per period; per unit a name row, its fields, then its total row.
    Printable as the official form: A4 landscape, fitted to the page width, the header rows repeated on every page,
    the title on page 1, the page number in the footer. Returns the number of sheets."""
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    by_period: dict[tuple, list[dict]] = {}
    for r in rows:
        by_period.setdefault((PERIOD_TYPE_ORDER.get(r["period_type"], 9), r["period"], r["period_type"]), []).append(r)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    title = wb.add_format({"bold": True, "font_size": 13, "align": "center", "valign": "vcenter"})
    sub = wb.add_format({"italic": True, "align": "center"})
    head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True,
                          "bg_color": "#DDEBF7"})
    num_head = wb.add_format({"italic": True, "border": 1, "align": "center"})
    unit_fmt = wb.add_format({"bold": True, "border": 1, "bg_color": "#F2F2F2"})
    cell = wb.add_format({"border": 1})
    num = wb.add_format({"border": 1, "num_format": "#,##0"})
    tot = wb.add_format({"border": 1, "bold": True})
    tot_num = wb.add_format({"border": 1, "bold": True, "num_format": "#,##0"})
    used: set[str] = set()
    for (_, period, ptype), prow in sorted(by_period.items()):
        ws = wb.add_worksheet(_sheet_name(period, used))
        ws.set_column(0, 0, 6)
        ws.set_column(1, 1, 42)
        ws.set_column(2, 12, 12)
        ws.set_column(13, 13, 14)
        ws.merge_range(0, 0, 0, 12, "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH", title)
        ws.merge_range(1, 0, 1, 12, f"(Biểu số 06 — Thông tư số 01/2020/TT-VPCP) — Kỳ báo cáo: "
                       f"{period_label_vi(ptype, period)}", sub)
        h = 3  # header rows h … h+3
        # printed: A4 landscape, all 14 columns on the page width (as many pages down as needed), the column
        # headers on every page, page numbers in the footer
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(h, h + 3)
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
        ws.center_horizontally()
        ws.set_footer("&CTrang &P/&N")
        ws.merge_range(h, 0, h + 2, 0, "STT", head)
        ws.merge_range(h, 1, h + 2, 1, "Lĩnh vực giải quyết", head)
        ws.merge_range(h, 2, h, 5, "Số hồ sơ nhận giải quyết", head)
        ws.merge_range(h, 6, h, 9, "Số hồ sơ đã giải quyết", head)
        ws.merge_range(h, 10, h, 12, "Số hồ sơ đang giải quyết", head)
        ws.merge_range(h + 1, 2, h + 2, 2, "Tổng số", head)
        ws.merge_range(h + 1, 3, h + 1, 4, "Trong kỳ", head)
        ws.write_string(h + 2, 3, "Trực tuyến", head)
        ws.write_string(h + 2, 4, "Trực tiếp và qua dịch vụ bưu chính", head)
        ws.merge_range(h + 1, 5, h + 2, 5, "Từ kỳ trước chuyển qua", head)
        for c, label in [(6, "Tổng số"), (7, "Trước hạn"), (8, "Đúng hạn"), (9, "Quá hạn"),
                         (10, "Tổng số"), (11, "Trong hạn"), (12, "Quá hạn")]:
            ws.merge_range(h + 1, c, h + 2, c, label, head)
        ws.merge_range(h, 13, h + 2, 13, "Mã lĩnh vực", head)
        for c in range(13):
            ws.write_string(h + 3, c, f"({c + 1})", num_head)
        ws.write_string(h + 3, 13, "", num_head)
        ws.set_row(h, 30)
        ws.set_row(h + 2, 45)
        ws.freeze_panes(h + 4, 2)
        r = h + 4
        by_unit: dict[tuple, list[dict]] = {}
        for x in prow:
            by_unit.setdefault((x["unit_code"], str(x["unit_valid_from"])), []).append(x)

        def unit_key(k):
            name, level = units.get(k, (None, None))
            return (LEVEL_ORDER.get(level, 9), k[0], k[1])

        for k in sorted(by_unit, key=unit_key):
            name, _level = units.get(k, (None, None))
            label = f"{name or k[0]} (mã {k[0]}, hiệu lực từ {k[1]})"
            ws.merge_range(r, 0, r, 13, neutralise(label), unit_fmt)
            r += 1
            total = None
            stt = 0
            for x in sorted(by_unit[k], key=lambda x: (x["ma_linh_vuc"] is None, x["ma_linh_vuc"] or "")):
                if x["ma_linh_vuc"] is None:
                    total = x
                    continue
                stt += 1
                ws.write_number(r, 0, stt, cell)
                ws.write_string(r, 1, neutralise(x["ten_linh_vuc"] or x["ma_linh_vuc"]), cell)
                for i, col in enumerate(COUNT_COLUMNS):
                    _write_count(ws, r, 2 + i, x[col], num, cell)
                ws.write_string(r, 13, neutralise(x["ma_linh_vuc"]), cell)
                r += 1
            ws.write_string(r, 0, "", tot)
            ws.write_string(r, 1, neutralise(f"Tổng cộng — {name or k[0]}"), tot)
            for i, col in enumerate(COUNT_COLUMNS):
                _write_count(ws, r, 2 + i, total[col] if total else None, tot_num, tot)
            ws.write_string(r, 13, "", tot)
            r += 2
        ws.print_area(0, 0, max(h + 3, r - 2), 13)
    if not by_period:
        wb.add_worksheet("Bieu06").write_string(0, 0, "Không có dữ liệu")
    wb.close()
    return len(by_period)


def _write_count(ws, r, c, v, num, cell):
    if v is None:
        ws.write_blank(r, c, None, cell)
    else:
        ws.write_number(r, c, v, num)


def bieu06_rows(con, query: str, where: str = "") -> list[dict]:
    q = f"SELECT * FROM ({query}) q {where}"
    cur = con.execute(q)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


# ------------------------------------------------------------------------------------------------- workbooks

def _workbook(task: tuple[str, str, dict]) -> str:
    """Write one province's Biểu 06 workbook from its Parquet part (the warehouse's values and types, in the
    national file's order)."""
    import duckdb

    parts, path, units = task
    with duckdb.connect() as con:
        rows = bieu06_rows(con, f"SELECT * FROM read_parquet('{parts}', hive_partitioning = false)")
    write_bieu06_xlsx(rows, units, Path(path))
    return path


def write_workbooks(tasks: list[tuple[str, str]], units: dict) -> None:
    """The provinces' Biểu 06 workbooks. xlsxwriter is pure Python (about a minute for 34 provinces at 1 M
    dossiers): with several workbooks to write, worker processes write them side by side
    (``CCHC_INGEST_WORKERS``, as landing)."""
    from orchestration.ingest.landing import ingest_workers

    workers = min(ingest_workers(), len(tasks))
    if workers < 2 or len(tasks) < 4:
        for parts, path in tasks:
            _workbook((parts, path, units))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn: a clean interpreter (the parent holds an open DuckDB connection to the warehouse)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_workbook, [(parts, path, units) for parts, path in tasks]))
