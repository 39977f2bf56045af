"""The one-page leadership report (issue 23 point 4): per province — and per commune or district on request — an A4
page with the total and grade, rank and percentile, the six groups against their maxima and the peers' median, a
12-month trend, the year's targets and the planner's top five actions.

It reads a release's own files, as the scorecard does (``release_reader.load_release``), renders
``leadership.html.j2`` into a self-contained page (CSS and SVG inline, nothing fetched) and prints it to PDF with
headless Chromium (``orchestration.lib.chromium``): ``by_province/<code>/bao_cao_lanh_dao.html`` and ``.pdf``; a unit
asked for gets ``bao_cao_lanh_dao_<unit>.html`` / ``.pdf`` in its province's folder. Without Chromium the HTML is
written and the PDF is skipped with a message — never a failed run."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from orchestration.lib.chromium import INSTALL_HINT, ChromiumError, find_chromium, print_to_pdf
from orchestration.publish.release_reader import Release, load_release
from orchestration.publish.scorecard import jinja_environment
from orchestration.publish.scorecard_page import ATTAINMENT_VI, COMPARATOR, GROUPS, LEVELS, STATUS_VI, actions, period_panel, score_cell
from orchestration.publish.vi_format import fmt_int, fmt_pct, fmt_vi, month_label, month_short, to_number

TEMPLATE = "leadership.html.j2"
REPORT = "bao_cao_lanh_dao"
# the six scored groups of the index as the portal shows them: DVTT is its two sub-groups
SIX_GROUPS = [g for gid, label, subs in GROUPS for g in (subs or [(gid, label)])]
TREND_MONTHS = 12
MAX_TARGET_ROWS = 6


@dataclass
class ReportResult:
    written: list[Path] = field(default_factory=list)  # HTML and PDF files
    pdfs: int = 0
    skipped: str | None = None  # why no PDF was printed (no Chromium)
    messages: list[str] = field(default_factory=list)  # a unit asked for that is not in the release, a print error

    def as_manifest(self) -> dict:
        return {"pdf": self.pdfs, "html": sum(1 for p in self.written if p.suffix == ".html"), "skipped": self.skipped,
                "messages": self.messages}


def _unit_version(obs: pd.DataFrame, code: str) -> tuple[str, str, str] | None:
    """(valid_from, latest year, latest month) of the unit's version with a total in the latest year it has one — as
    published: the comparable series (E) another province carries for the unit since 2025 is not its report."""
    tot = obs[(obs["unit_code"] == code) & (obs["indicator_id"] == "QD766_TOTAL") & (obs["obs_status"] != "E")]
    years = tot[tot["period_type"] == "Y"]
    if not len(years):
        return None
    year = years["period"].max()
    vf = years.loc[years["period"] == year, "unit_valid_from"].max()
    months = tot[(tot["period_type"] == "M") & (tot["unit_valid_from"] == vf)]["period"]
    return vf, year, (months.max() if len(months) else None)


def _trend(obs: pd.DataFrame, key: tuple, month: str | None) -> dict:
    """The unit's monthly total over the last 12 months up to ``month``, as SVG coordinates (out of coverage: a gap)."""
    mon = obs[(obs["period_type"] == "M") & (obs["indicator_id"] == "QD766_TOTAL") & (obs["unit_code"] == key[0])
              & (obs["unit_valid_from"] == key[1])]
    if month:
        mon = mon[mon["period"] <= month]
    months = sorted(mon["period"].unique())[-TREND_MONTHS:]
    rows = {r["period"]: r for r in mon.to_dict("records")}
    values = {m: score_cell(rows[m])["raw"] for m in months}
    drawn = [v for v in values.values() if v is not None]
    W, H, left, right, top, bottom = 680, 120, 30, 14, 16, 22
    lo = max(0.0, math.floor((min(drawn) - 5) / 10) * 10) if drawn else 0.0
    hi = min(100.0, math.ceil((max(drawn) + 5) / 10) * 10) if drawn else 100.0
    hi = hi if hi > lo else lo + 10
    n = len(months)

    def x(i: int) -> float:
        return left + ((W - left - right) / 2 if n == 1 else 14 + (W - left - right - 28) * i / (n - 1))

    def y(v: float) -> float:
        return top + (H - top - bottom) * (1 - (v - lo) / (hi - lo))

    points = [{"x": round(x(i), 1), "y": round(y(values[m]), 1), "label": fmt_vi(values[m], 1), "month": month_short(m),
               "title": f"{month_label(m)}: {fmt_vi(values[m])}"} for i, m in enumerate(months) if values[m] is not None]
    segments, cur = [], []
    for i, m in enumerate(months):  # a month without a total breaks the line
        if values[m] is None:
            segments, cur = segments + ([cur] if cur else []), []
        else:
            cur.append(f"{x(i):.1f},{y(values[m]):.1f}")
    segments += [cur] if cur else []
    return {"width": W, "height": H, "points": points, "lines": [" ".join(s) for s in segments],
            "axis": [{"y": round(y(v), 1), "label": fmt_vi(v, 0)} for v in (lo, (lo + hi) / 2, hi)],
            "months": [{"x": round(x(i), 1), "label": month_short(m)} for i, m in enumerate(months)],
            "left": left, "right": W - right, "bottom": H - bottom, "n": n, "first": month_short(months[0]) if months else "",
            "last": month_short(months[-1]) if months else ""}


def _targets(rel: Release, key: tuple, year: str) -> dict:
    t = rel.targets
    if not len(t):
        return {"rows": [], "more": 0, "summary": ""}
    t = t[(t["unit_code"] == key[0]) & (t["unit_valid_from"] == key[1]) & (t["nam"] == year)]
    rows = []
    for r in t[t["row_type"] == "indicator"].to_dict("records"):
        is_count = r["indicator_id"].endswith("_COUNT")
        fmt = fmt_int if is_count else fmt_pct
        att = r.get("attainment") or "no_data"
        rows.append({"target": r["ma_chi_tieu"], "indicator": rel.names_vi.get(r["indicator_id"], r["indicator_id"]),
                     "goal": f"{COMPARATOR.get(r.get('so_sanh'), r.get('so_sanh') or '')} {fmt(r.get('gia_tri'))}".strip(),
                     "actual": fmt(r.get("actual")), "status": ATTAINMENT_VI.get(att, att), "cls": f"a-{att}"})
    summ = t[t["row_type"] == "target"]["attainment"].replace("", "no_data").value_counts()
    summary = "; ".join(f"{ATTAINMENT_VI.get(a, a)}: {n}" for a, n in summ.items())
    return {"rows": rows[:MAX_TARGET_ROWS], "more": max(0, len(rows) - MAX_TARGET_ROWS), "summary": summary}


def _share(value: float | None, maximum: float | None) -> float | None:
    """``value`` as a percentage of ``maximum``, within 0–100 (a bar's width)."""
    return max(0.0, min(100.0, value / maximum * 100)) if (value is not None and maximum) else None


def report_page(rel: Release, unit_code: str) -> dict | None:
    """What the page shows for one unit (a province, district or commune), or None when it has no total."""
    units = rel.units
    urows = units[units["unit_code"] == unit_code] if len(units) else units
    level = urows["unit_level"].iloc[-1] if len(urows) else "tinh"
    # the province folder holding the unit's latest total: a commune re-coded in 2025 may have versions in two
    provinces = [unit_code] if level == "tinh" else list(dict.fromkeys(reversed(urows["province_code"].tolist())))
    best = None
    for province in provinces:
        obs = rel.province_obs(province)
        found = _unit_version(obs, unit_code)
        if found is not None and (best is None or found[1] > best[2][1]):
            best = (province, obs, found)
    if best is None:
        return None
    province, obs, found = best
    vf, year, month = found
    key = (unit_code, vf)
    name = obs.loc[(obs["unit_code"] == unit_code) & (obs["unit_valid_from"] == vf), "unit_name"].iloc[0]
    ypanel = period_panel(obs, "Y", year, key)
    total = ypanel["total"]
    peer = rel.peers.get(("QD766_TOTAL", "Y", year) + key) or {}
    ycur = obs[(obs["period_type"] == "Y") & (obs["period"] == year) & (obs["unit_code"] == unit_code)
               & (obs["unit_valid_from"] == vf)]
    rows = {r["indicator_id"]: r for r in ycur.to_dict("records")}
    groups = []
    for gid, label in SIX_GROUPS:
        r = rows.get(gid)
        pts, mx = (to_number(r["points"]), to_number(r["max_points"])) if r else (None, None)
        gpeer = rel.peers.get((gid, "Y", year) + key) or {}
        # the peers' median only where there are peers (a unit alone at its level compares with itself)
        med = to_number(gpeer.get("peer_median")) if (to_number(gpeer.get("peer_n")) or 0) >= 2 else None
        groups.append({"id": gid, "label": label, "points": fmt_vi(pts), "max": fmt_vi(mx, 0),
                       "share": _share(pts, mx) or 0.0,
                       "peer_median": fmt_vi(med) if med is not None else "—", "peer_share": _share(med, mx),
                       "status": STATUS_VI.get(r["obs_status"], "") if r else "thiếu dữ liệu"})
    mpanel = period_panel(obs, "M", month, key) if month else None
    ymonths = sorted(obs.loc[(obs["period_type"] == "M") & (obs["period"].str.startswith(year + "-")), "period"].unique())
    return {
        "release_id": rel.release_id, "created_at": rel.created_at[:10], "unit_code": unit_code, "name": name,
        "level": LEVELS.get(level, level), "province": province, "year": year,
        "year_note": f"số liệu đến {month_label(ymonths[-1])}" if total["status"] == "tạm tính" and ymonths else "",
        "total": total, "month": mpanel["total"] if mpanel else None,
        "month_label": month_label(month) if month else "",
        "peer": {"percentile": fmt_vi(to_number(peer.get("percentile")), 0) if to_number(peer.get("percentile")) is not None else "—",
                 "median": fmt_vi(peer.get("peer_median")), "p75": fmt_vi(peer.get("peer_p75")), "n": peer.get("peer_n"),
                 "scope": "cả nước" if peer.get("peer_scope") == "national" else "cùng cấp trong tỉnh"}
        if peer and (to_number(peer.get("peer_n")) or 0) >= 2 else None,
        "groups": groups, "trend": _trend(obs, key, month), "targets": _targets(rel, key, year),
        "actions": actions(rel, key, "Y", year, 5),
    }


def render_report(rel: Release, unit_code: str) -> str | None:
    page = report_page(rel, unit_code)
    return None if page is None else jinja_environment().get_template(TEMPLATE).render(page=page)


def write_leadership_reports(release_dir: Path | str, units: tuple[str, ...] | list[str] = (),
                             chromium: str | None = "auto", to: Path | str | None = None,
                             provinces: bool = True) -> ReportResult:
    """Every province's page of a release (provinces with data; ``provinces=False``: none), and the pages of ``units``
    asked for, as HTML and — when Chromium is there — PDF, under ``<to>/by_province/<province>/`` (``to``: the
    release folder itself by default). ``chromium``: a binary, "auto" (find it on PATH) or None (HTML only)."""
    release_dir = Path(release_dir)
    target = Path(to) if to is not None else release_dir
    binary = find_chromium() if chromium == "auto" else chromium
    result = ReportResult()
    if binary is None:
        result.skipped = f"leadership report PDFs skipped: Chromium not found ({INSTALL_HINT}); the HTML pages are written"
    rel = load_release(release_dir)
    try:
        wanted = [(p, REPORT) for p in rel.provinces_scored() if provinces and rel.has_data.get(p)]
        for code in units:
            if not len(rel.units) or not (rel.units["unit_code"] == code).any():
                result.messages.append(f"leadership report for unit {code}: not a unit of this release (units.csv)")
                continue
            wanted.append((code, f"{REPORT}_{code}"))
        template = jinja_environment().get_template(TEMPLATE)
        for code, stem in wanted:
            page = report_page(rel, code)
            if page is None:
                result.messages.append(f"leadership report for unit {code}: no Decision 766 total in the release")
                continue
            folder = target / "by_province" / page["province"]
            folder.mkdir(parents=True, exist_ok=True)
            html = folder / f"{stem}.html"
            tmp = html.with_suffix(".html.tmp")
            tmp.write_text(template.render(page=page), encoding="utf-8")
            tmp.replace(html)
            result.written.append(html)
            if binary is None:
                continue
            try:
                result.written.append(print_to_pdf(html, folder / f"{stem}.pdf", binary))
                result.pdfs += 1
            except ChromiumError as exc:
                result.messages.append(f"leadership report for unit {code}: PDF not printed: {exc}")
    finally:
        rel.con.close()
    return result
