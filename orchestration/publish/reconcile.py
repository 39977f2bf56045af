"""Reconciliation with the national portal's published Decision 766 figures (DATA_CONTRACT §1.7, issue 23).

The portal's reporting API answers one JSON file per group and period ("form B": a ``parent`` department and its
``children``); ``portal/requests.json`` holds the request behind each file (the portal does not echo the period).
The figures are never inputs of a computed value: each one is set beside ours — numerator, denominator, ratio,
points — with the difference and, where ours is computed from dossiers, the dossier-level reasons we can name.

Departments are matched to our agencies and units: by ``portal/department_map.csv`` (``department_code, unit_code,
agency_code``) when the file names the department, else by the department code when it is one of our agency codes
(DATA_CONTRACT §1.2: the portal's department codes ``H44.03`` are valid agency codes), else a root code ``H<nn>`` is the
province ``<nn>`` as a whole. A malformed or unknown file is named in the messages and skipped: reconciliation never
blocks the indicators.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.lib import layout
from orchestration.quality.publish_checks import find_relation

# What each report of the portal carries (shared/spec/examples/README.md): per QD766 row, the fields of its
# numerator and denominator; the group's score and maximum, as the parent (province) and the children spell them.
REPORTS = {
    "dvc-progress-tree": {
        "group": "QD766_TDGQ",
        "rows": {"QD766_2_1": ("totalOnTime", "totalReceived")},
        "score": ("score", "totalScore"),
        "max": ("maxScore", "totalMaxScore"),
    },
    "formality-online-payment-tree": {
        "group": "QD766_CLGQ",
        "rows": {"QD766_3_4": ("totalFeeDossierFormality", "totalFeeFormality"),
                 "QD766_3_5": ("totalDossierOnlineFormalityPaymentSuccess", "totalFeeFormality"),
                 "QD766_3_6": ("totalDossierOnlinePaymentSuccess", "totalDossierFinancialObligation")},
        "score": ("totalScore", "totalScore"),
        "max": ("totalMaxScore", "totalMaxScore"),
    },
}
# rows computed from dossiers: the differences we can explain dossier by dossier
DOSSIER_ROWS = {"QD766_2_1", "QD766_3_6"}
PROCEDURE_ROWS = {"QD766_3_4", "QD766_3_5"}
COLUMNS = ["period_type", "period", "department_code", "department_name", "department_level", "unit_code",
           "agency_code", "indicator_id", "portal_numerator", "portal_denominator", "portal_ratio", "portal_points",
           "our_numerator", "our_denominator", "our_ratio", "our_points", "diff_numerator", "diff_denominator",
           "diff_points", "agrees", "reasons"]
POINTS_TOLERANCE = 0.005  # the portal shows points to 2 decimals
# the data dictionary's entries for reconciliation.csv (orchestration.publish.dictionary)
DICTIONARY = {
    "reconciliation": "The national portal's published Decision 766 figures (raw portal/, DATA_CONTRACT §1.7) beside "
                      "ours, one row per portal department, period and QD766 row or group the portal gives; written only "
                      "when the raw root has a portal/ folder.",
    "period_type": "M | Q | Y, from the request behind the portal file (portal/requests.json).",
    "period": "Period (2026-08, 2026-Q3, 2026).",
    "department_code": "The portal's department code (H19, H19.05, H19.120).",
    "department_name": "The portal's department name.",
    "department_level": "ROOT for the report's parent department, else the portal's level (PROVINCE, COMMUNE).",
    "unit_code": "Our unit the department was matched to (empty: not matched — see portal/department_map.csv).",
    "agency_code": "Our agency the department was matched to (empty: the unit as a whole).",
    "indicator_id": "QD766 row or group compared (QD766_2_1 and QD766_TDGQ from dvc-progress-tree; QD766_3_4, 3_5, "
                    "3_6 and QD766_CLGQ from formality-online-payment-tree).",
    "portal_numerator": "The portal's numerator (e.g. totalOnTime).",
    "portal_denominator": "The portal's denominator (e.g. totalReceived).",
    "portal_ratio": "The portal's numerator / denominator × 100.",
    "portal_points": "The portal's points (score; a group's totalScore).",
    "our_numerator": "Our numerator (indicator_observations).",
    "our_denominator": "Our denominator.",
    "our_ratio": "Our ratio in percent.",
    "our_points": "Our points.",
    "diff_numerator": "Ours − the portal's numerator.",
    "diff_denominator": "Ours − the portal's denominator.",
    "diff_points": "Ours − the portal's points.",
    "agrees": "True when every figure both give is equal (points within 0.005); empty when nothing could be compared.",
    "reasons": "The reasons we can name for a difference: dossiers we count that are not synced to the portal (it cannot "
               "have them), procedure lists that differ; else 'not explained by the dossiers we hold'.",
}
assert set(DICTIONARY) - {"reconciliation"} == set(COLUMNS)


@dataclass
class PortalFigure:
    report: str
    file: str
    period_type: str
    period: str
    department_code: str
    department_name: str
    level: str  # PROVINCE | COMMUNE | … as the portal says; "ROOT" for the parent
    values: dict


@dataclass
class Reconciliation:
    rows: list[dict] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # files skipped, departments not matched

    def summary(self) -> dict:
        compared = [r for r in self.rows if r["agrees"] != ""]
        differing = [r for r in compared if r["agrees"] is False]
        return {"figures": len(self.rows), "compared": len(compared), "differing": len(differing),
                "messages": self.messages}

    def line(self) -> str:
        s = self.summary()
        if not s["compared"]:
            return "portal reconciliation: no portal figure could be compared" + (
                f" ({len(self.messages)} message(s))" if self.messages else "")
        if not s["differing"]:
            return f"portal reconciliation: our figures agree with the portal's ({s['compared']} figure(s) compared)"
        return (f"portal reconciliation: {s['differing']} of {s['compared']} figure(s) differ from the portal's "
                "(reconciliation.csv names the reasons)")


def period_of(payload: dict) -> tuple[str, str] | None:
    """(period_type, period) of a request's payload: month, quarter, year."""
    kind, year = str(payload.get("timeType", "")).lower(), payload.get("year")
    if not isinstance(year, int):
        return None
    if kind == "month" and isinstance(payload.get("month"), int) and 1 <= payload["month"] <= 12:
        return "M", f"{year}-{payload['month']:02d}"
    if kind == "quarter" and isinstance(payload.get("quarter"), int) and 1 <= payload["quarter"] <= 4:
        return "Q", f"{year}-Q{payload['quarter']}"
    if kind == "year":
        return "Y", str(year)
    return None


def read_portal(folder: Path) -> tuple[list[PortalFigure], list[str]]:
    """Every department figure of the portal files under ``folder``, and a message per file that could not be read."""
    messages: list[str] = []
    requests_path = folder / "requests.json"
    try:
        requests = json.loads(requests_path.read_text(encoding="utf-8")) if requests_path.exists() else {}
    except ValueError as exc:
        return [], [f"{requests_path}: not JSON ({exc}): no portal file can be dated, none is reconciled"]
    figures: list[PortalFigure] = []
    for path in sorted(folder.glob("*.json")):
        if path.name == "requests.json":
            continue
        request = requests.get(path.name) if isinstance(requests, dict) else None
        report = (request or {}).get("url", "").rstrip("/").rsplit("/", 1)[-1] or re.sub(r"_[^_]*$", "", path.stem)
        if report not in REPORTS:
            messages.append(f"{path}: unknown portal report {report!r} (known: {', '.join(sorted(REPORTS))}): skipped")
            continue
        period = period_of((request or {}).get("payload") or {})
        if period is None:
            messages.append(f"{path}: no period — requests.json has no request (timeType, year, month/quarter) "
                            "for this file: skipped")
            continue
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            messages.append(f"{path}: not JSON ({exc}): skipped")
            continue
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(body, dict) or body.get("code") != "OK" or not isinstance(data, dict):
            messages.append(f"{path}: not a portal answer (expected code \"OK\" and data.parent / data.children): skipped")
            continue
        departments = [("ROOT", data.get("parent"))] + [(None, c) for c in data.get("children") or []]
        for level, dep in departments:
            if not isinstance(dep, dict) or not dep.get("departmentCode"):
                messages.append(f"{path}: a department without departmentCode: skipped")
                continue
            figures.append(PortalFigure(report, path.name, *period, str(dep["departmentCode"]),
                                        str(dep.get("departmentName") or ""), level or str(dep.get("level") or ""), dep))
    return figures, messages


def read_department_map(folder: Path) -> dict[str, tuple[str | None, str | None]]:
    """portal/department_map.csv: department_code → (unit_code, agency_code), for codes that differ from ours."""
    path = folder / "department_map.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return {r["department_code"].strip(): ((r.get("unit_code") or "").strip() or None,
                                               (r.get("agency_code") or "").strip() or None)
                for r in csv.DictReader(fh) if (r.get("department_code") or "").strip()}


def _number(value):
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def reconcile(con, folder: Path, relations: dict[str, str]) -> Reconciliation:
    """Set every portal figure under ``folder`` beside ours, from a warehouse connection. ``relations``: the
    relations of ``observations`` (the published indicator table), ``agencies`` (dim_agencies), ``tree``
    (int_admin_unit_tree: a unit's subtree), ``period_status`` (int_dossier_period_status) and ``dossier_flags``
    (int_qd766_dossier_flags)."""
    figures, messages = read_portal(folder)
    mapping = read_department_map(folder)
    result = Reconciliation(messages=messages)
    # an agency's versions: across the 2025 reorganisation one code files under its old unit, then its new one
    versions: dict[str, list] = {}
    for code, start, end, unit in con.execute(
            f"SELECT agency_code, valid_from, valid_to, unit_code FROM {relations['agencies']} ORDER BY valid_from").fetchall():
        versions.setdefault(code, []).append((start, end, unit))
    unmatched: set[str] = set()
    for fig in figures:
        spec = REPORTS[fig.report]
        agencies = {code: _unit_on(v, period_end(fig.period_type, fig.period)) for code, v in versions.items()}
        unit, agency = _match(fig.department_code, mapping, agencies, root=fig.level == "ROOT")
        if unit is None:
            unmatched.add(fig.department_code)
        score_key = spec["score"][1 if fig.level == "ROOT" else 0]
        wanted = [(row, spec["rows"][row]) for row in spec["rows"]] + [(spec["group"], None)]
        for indicator, fields in wanted:
            portal = {"numerator": None, "denominator": None, "ratio": None, "points": None}
            if fields:
                portal["numerator"], portal["denominator"] = (_number(fig.values.get(f)) for f in fields)
                if portal["denominator"]:
                    portal["ratio"] = 100.0 * (portal["numerator"] or 0) / portal["denominator"]
                if len(spec["rows"]) == 1:  # the group's only scored row: its points are the group's
                    portal["points"] = _number(fig.values.get(score_key))
            else:
                portal["points"] = _number(fig.values.get(score_key))
            ours = _ours(con, relations["observations"], fig, indicator, unit, agency) if unit else None
            result.rows.append(_row(con, relations, fig, indicator, unit, agency, portal, ours))
    for code in sorted(unmatched):
        result.messages.append(f"portal department {code} matches none of our agencies or units: add it to "
                               "portal/department_map.csv (department_code, unit_code, agency_code)")
    return result


def period_end(period_type: str, period: str) -> dt.date:
    """Last day of a period: 2026-08 → 2026-08-31, 2026-Q3 → 2026-09-30, 2026 → 2026-12-31."""
    year = int(period[:4])
    month = {"M": lambda: int(period[5:7]), "Q": lambda: 3 * int(period[-1])}.get(period_type, lambda: 12)()
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def _unit_on(versions: list, day: dt.date) -> str:
    """The unit of the agency version valid on ``day``; else its latest version's."""
    for start, end, unit in versions:
        if (start is None or start <= day) and (end is None or day <= end):
            return unit
    return versions[-1][2]


def _match(code: str, mapping: dict, agencies: dict, root: bool = False) -> tuple[str | None, str | None]:
    """(unit, agency) of a portal department: the mapping file; then a report's parent H<nn> is province <nn> as a
    whole (even when H<nn> is also the provincial committee's own agency code); then an agency of ours; then H<nn>."""
    if code in mapping:
        unit, agency = mapping[code]
        return (unit or agencies.get(agency or "")), agency
    province = re.fullmatch(r"H(\d{1,2})", code)
    if province and (root or code not in agencies):
        return province.group(1).zfill(2), None
    if code in agencies:
        return agencies[code], code
    return None, None


def _ours(con, observations: str, fig: PortalFigure, indicator: str, unit: str, agency: str | None) -> dict | None:
    rows = con.execute(
        f"SELECT numerator, denominator, ratio, points FROM {observations} WHERE indicator_id = ? AND period_type = ? "
        "AND period = ? AND unit_code = ? AND agency_code IS NOT DISTINCT FROM ? AND ma_linh_vuc IS NULL "
        "AND ma_tthc IS NULL ORDER BY unit_valid_from DESC LIMIT 1",
        [indicator, fig.period_type, fig.period, unit, agency]).fetchall()
    if not rows:
        return None
    num, den, ratio, points = rows[0]
    return {"numerator": num, "denominator": den, "ratio": ratio, "points": points}


def _row(con, relations, fig: PortalFigure, indicator: str, unit, agency, portal: dict, ours: dict | None) -> dict:
    row = {"period_type": fig.period_type, "period": fig.period, "department_code": fig.department_code,
           "department_name": fig.department_name, "department_level": fig.level, "unit_code": unit or "",
           "agency_code": agency or "", "indicator_id": indicator,
           **{f"portal_{k}": v for k, v in portal.items()}}
    for k in ("numerator", "denominator", "ratio", "points"):
        row[f"our_{k}"] = None if ours is None else ours[k]
    diffs, reasons = {}, []
    for k in ("numerator", "denominator", "points"):
        a, b = row[f"our_{k}"], row[f"portal_{k}"]
        diffs[k] = None if a is None or b is None else round(float(a) - float(b), 6)
    row.update({f"diff_{k}": v for k, v in diffs.items()})
    compared = [v for v in diffs.values() if v is not None]
    if unit is None:
        row["agrees"], reasons = "", ["department not matched"]
    elif ours is None:
        row["agrees"], reasons = "", ["we publish no value for this unit, row and period"]
    elif not compared:
        row["agrees"] = ""
    else:
        agrees = all(abs(diffs[k]) < (POINTS_TOLERANCE if k == "points" else 1e-9) for k in diffs if diffs[k] is not None)
        row["agrees"] = agrees
        if not agrees:
            reasons = _reasons(con, relations, fig, indicator, unit, agency, diffs)
    row["reasons"] = "; ".join(reasons)
    return row


def _reasons(con, relations, fig: PortalFigure, indicator: str, unit: str, agency: str | None, diffs: dict) -> list[str]:
    """The dossier- and procedure-level reasons we can name for a difference (dossier membership per month:
    int_dossier_period_status holds monthly periods; a quarter or year difference is left unexplained)."""
    reasons = []
    # an agency's own dossiers, or every dossier of the unit's subtree (a province holds its communes')
    where_agency = ("agency_code = ?" if agency else
                    f"unit_code IN (SELECT descendant_code FROM {relations['tree']} WHERE ancestor_code = ?)")
    key = agency or unit
    diff_den = diffs.get("denominator")
    if indicator == "QD766_2_1":
        n = con.execute(
            f"SELECT count(DISTINCT s.dossier_code) FROM {relations['period_status']} s "
            f"JOIN {relations['dossier_flags']} f USING (dossier_code) "
            f"WHERE s.period_type = ? AND s.period = ? AND s.{where_agency} "
            "AND (s.resolved_in_period OR s.pending_at_end) AND NOT f.num_1_4",
            [fig.period_type, fig.period, key]).fetchall()[0][0]
        reasons += _sync_reason(n, diff_den)
    elif indicator == "QD766_3_6":
        n = con.execute(
            f"SELECT count(*) FROM {relations['dossier_flags']} f JOIN {relations['period_status']} s USING (dossier_code) "
            f"WHERE s.period_type = ? AND s.period = ? AND s.received_in_period AND s.{where_agency} "
            "AND f.den_3_6 AND NOT f.num_1_4",
            [fig.period_type, fig.period, key]).fetchall()[0][0]
        reasons += _sync_reason(n, diff_den)
    elif indicator in PROCEDURE_ROWS and diff_den:
        reasons.append(f"procedure lists differ: we count {abs(diff_den):.0f} fee-bearing procedure(s) "
                       f"{'more' if diff_den > 0 else 'fewer'} than the portal lists for this department "
                       "(procedures/applicability.csv vs the national catalogue)")
    if not reasons:
        reasons.append("not explained by the dossiers we hold (the portal's own snapshot or rule)")
    return reasons


def _sync_reason(not_synced: int, diff_den) -> list[str]:
    if not not_synced:
        return []
    whole = " — the whole difference of the denominator" if diff_den == not_synced else ""
    return [f"{not_synced} dossier(s) we count are not synced to the national portal (it cannot have them){whole}"]


def write(result: Reconciliation, folder: Path) -> int:
    """reconciliation.csv and reconciliation.json (summary and messages) into ``folder``; returns the rows."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / layout.RECONCILIATION_CSV).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in sorted(result.rows, key=lambda r: (r["period"], r["department_code"], r["indicator_id"])):
            writer.writerow({k: ("" if row[k] is None else row[k]) for k in COLUMNS})
    (folder / layout.RECONCILIATION_JSON).write_text(json.dumps({**result.summary(), "line": result.line()},
                                                           ensure_ascii=False, indent=1), encoding="utf-8")
    return len(result.rows)



def run_reconciliation(settings, portal: Path | None = None) -> Reconciliation | None:
    """Reconcile the portal files (``portal``, else ``<raw>/portal``) with the warehouse of ``settings`` (read-only) and
    write ``<out>/reconciliation/``; None when there is no portal folder (a stale result is removed). Any error is a
    message of the result, never an exception: reconciliation does not block the indicators."""
    folder = portal or settings.raw_dir / "portal"
    target = layout.reconciliation_dir(settings.out_dir)
    if not folder.is_dir():
        shutil.rmtree(target, ignore_errors=True)
        return None
    try:
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            relations = {k: find_relation(con, name) for k, name in (
                ("observations", "indicator_observations"), ("agencies", "dim_agencies"),
                ("period_status", "int_dossier_period_status"), ("dossier_flags", "int_qd766_dossier_flags"),
                ("tree", "int_admin_unit_tree"))}
            result = reconcile(con, folder, relations)
    except Exception as exc:  # noqa: BLE001 — reported, never raised: the indicators do not depend on it
        result = Reconciliation(messages=[f"reconciliation with {folder} failed: {exc}"])
    write(result, target)
    return result
