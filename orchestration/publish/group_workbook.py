"""Per-group spreadsheets (issue 23): per province, for its latest month and its latest year, one XLSX with a sheet per
Decision 766 group — the units as rows (the province, its districts, its communes), and for each row of the group its
numerator, denominator, ratio and points, then the group's points. What a provincial office forwards to its
departments: numbers are numbers, the header is frozen, and it prints on A4 landscape, one page wide, the header on
every page.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from orchestration.publish.formats import period_label_vi

LEVEL_ORDER = {"tinh": 0, "huyen": 1, "xa": 2}
LEVEL_VI = {"tinh": "Tỉnh", "huyen": "Huyện", "xa": "Xã"}
FIELDS = (("numerator", "Tử số", "#,##0"), ("denominator", "Mẫu số", "#,##0"), ("ratio", "Tỷ lệ (%)", "0.00"),
          ("points", "Điểm", "0.00"))


def group_rows(con, obs: str, definitions: str, units: str) -> list[dict]:
    """Whole-unit QD766 rows of every province's latest month and latest year, with each row's group (the seed's
    group_id) and the group's own score rows."""
    cur = con.execute(f"""
        WITH o AS (
            SELECT o.*, u.province_code
            FROM {obs} o JOIN {units} u USING (unit_code, unit_valid_from)
            WHERE o.agency_code IS NULL AND o.ma_linh_vuc IS NULL AND o.ma_tthc IS NULL
              AND starts_with(o.indicator_id, 'QD766_') AND o.period_type IN ('M', 'Y') AND o.obs_status <> 'E'
        ),
        latest AS (SELECT province_code, period_type, max(period) AS period FROM o GROUP BY ALL),
        defs AS (SELECT DISTINCT indicator_id, formula_version, group_id, name_vi, scoring_rule FROM {definitions})
        SELECT o.province_code, o.period_type, o.period, o.formula_version, o.indicator_id, d.name_vi, d.group_id,
               d.scoring_rule, o.unit_code, o.unit_valid_from, o.unit_level, o.unit_name,
               TRY_CAST(o.numerator AS DOUBLE) AS numerator, TRY_CAST(o.denominator AS DOUBLE) AS denominator,
               TRY_CAST(o.ratio AS DOUBLE) AS ratio, TRY_CAST(o.points AS DOUBLE) AS points,
               TRY_CAST(o.max_points AS DOUBLE) AS max_points
        FROM o JOIN latest USING (province_code, period_type, period)
        JOIN defs d USING (indicator_id, formula_version)
        ORDER BY ALL""")
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def write_group_workbooks(rows: list[dict], folder: Path) -> list[Path]:
    """by_province/<code>/diem_theo_nhom_<period>.xlsx for every (province, period) of ``rows``."""
    by_file: dict[tuple, list[dict]] = {}
    for r in rows:
        by_file.setdefault((r["province_code"], r["period_type"], r["period"]), []).append(r)
    written = []
    for (province, ptype, period), frows in sorted(by_file.items()):
        path = folder / "by_province" / province / f"diem_theo_nhom_{period}.xlsx"
        _workbook(frows, ptype, period, path)
        written.append(path)
    return written


def _workbook(rows: list[dict], ptype: str, period: str, path: Path) -> None:
    sums = {r["indicator_id"]: r["name_vi"] for r in rows if r["scoring_rule"] == "sum"}
    # a sheet per group whose rows are scored rows (not the groups of groups: DVTT, TOTAL)
    groups = sorted({r["group_id"] for r in rows if r["group_id"] in sums and r["scoring_rule"] != "sum"})
    units = sorted({(r["unit_code"], str(r["unit_valid_from"]), r["unit_level"], r["unit_name"]) for r in rows},
                   key=lambda u: (LEVEL_ORDER.get(u[2], 9), u[0], u[1]))
    value = {(r["indicator_id"], r["unit_code"], str(r["unit_valid_from"])): r for r in rows}
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    title = wb.add_format({"bold": True, "font_size": 13})
    head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True,
                          "bg_color": "#DDEBF7"})
    text = wb.add_format({"border": 1})
    formats = {name: wb.add_format({"border": 1, "num_format": fmt}) for name, _, fmt in FIELDS}
    bold_points = wb.add_format({"border": 1, "bold": True, "num_format": "0.00"})
    for group in groups:
        members = sorted({r["indicator_id"] for r in rows if r["group_id"] == group})
        ws = wb.add_worksheet(group.removeprefix("QD766_"))
        last_col = 2 + 4 * len(members) + 2
        ws.write_string(0, 0, f"{sums[group]} — {period_label_vi(ptype, period)}", title)
        ws.merge_range(2, 0, 3, 0, "Mã đơn vị", head)
        ws.merge_range(2, 1, 3, 1, "Tên đơn vị", head)
        ws.merge_range(2, 2, 3, 2, "Cấp", head)
        names = {r["indicator_id"]: r["name_vi"] for r in rows}
        for i, ind in enumerate(members):
            c = 3 + 4 * i
            ws.merge_range(2, c, 2, c + 3, f"{ind.removeprefix('QD766_')} {names[ind]}", head)
            for j, (_, label, _) in enumerate(FIELDS):
                ws.write_string(3, c + j, label, head)
        ws.merge_range(2, last_col - 1, 3, last_col - 1, "Điểm nhóm", head)
        ws.merge_range(2, last_col, 3, last_col, "Tối đa", head)
        ws.set_row(2, 45)
        ws.set_column(0, 0, 9)
        ws.set_column(1, 1, 30)
        ws.set_column(2, 2, 7)
        ws.set_column(3, last_col, 10)
        r = 4
        for code, vf, level, name in units:
            if (group, code, vf) not in value:
                continue
            ws.write_string(r, 0, code, text)
            ws.write_string(r, 1, name or "", text)
            ws.write_string(r, 2, LEVEL_VI.get(level, level or ""), text)
            for i, ind in enumerate(members):
                row = value.get((ind, code, vf)) or {}
                for j, (field, _, _) in enumerate(FIELDS):
                    _number(ws, r, 3 + 4 * i + j, row.get(field), formats[field])
            _number(ws, r, last_col - 1, value[(group, code, vf)].get("points"), bold_points)
            _number(ws, r, last_col, value[(group, code, vf)].get("max_points"), formats["points"])
            r += 1
        ws.freeze_panes(4, 2)
        ws.set_paper(9)  # A4
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(2, 3)
        ws.set_footer("&CTrang &P/&N")
    wb.close()


def _number(ws, r: int, c: int, value, fmt) -> None:
    if value is None:
        ws.write_blank(r, c, None, fmt)
    else:
        ws.write_number(r, c, float(value), fmt)
