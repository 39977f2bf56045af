"""Per-agency procedure applicability (DATA_CONTRACT §1.2 ``procedures/applicability.csv``): which catalogue
procedures each handling agency applies, as the national catalogue lists them (the portal's
``appliedDepartmentIds``). Shared by the district and the national generators.

The real lists differ from agency to agency (Phú Thọ, 2026-08: 30–39 fee-bearing procedures per commune, 1–72 per
provincial department), so each agency gets its own seeded subset of the candidates of its level (a commune
committee: the commune-level procedures) or role (a district office / provincial department: the procedures of its
role at its level). A few fee-bearing rows say the agency charges no fee (``co_phi = 0``, overriding the
catalogue for that agency); the validity dates are mostly empty, a few rows carry dates inside the catalogue's
validity (a new procedure attached on its first day or a few weeks later, an abolished one closed on its last day,
or the agency's own start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

COLUMNS = ["ma_tthc", "agency_code", "hieu_luc_tu", "hieu_luc_den", "co_phi"]
COMMUNE_SHARE = (0.75, 1.0)  # share of the commune-level procedures a commune committee applies
OFFICE_SHARE = (0.80, 1.0)  # share of its role's procedures a district office / provincial department applies
NO_FEE_SHARE = 0.03  # fee-bearing rows where the agency charges no fee (co_phi = 0)
DATED_SHARE = 0.02  # other rows that carry the agency's first day of application (hieu_luc_tu)
NEW_PROCEDURE_DATED = 0.5  # rows of a procedure newer than the agency that carry its attachment date
CLOSED_DATED = 0.5  # rows of a procedure with an end of validity that carry it (hieu_luc_den)


@dataclass(frozen=True)
class Applied:
    """One agency's row for one procedure: validity (None = open) and the agency's own fee flag (None = the
    catalogue's)."""

    valid_from: date | None = None
    valid_to: date | None = None
    co_phi: int | None = None

    def valid_on(self, d: date) -> bool:
        return (self.valid_from is None or self.valid_from <= d) and (self.valid_to is None or d <= self.valid_to)


def draw_agency(rng, procs: list, share: tuple, agency_from: date) -> list[tuple]:
    """The (procedure, Applied) pairs of one agency: a seeded ``share`` of ``procs`` (at least one), in the
    order of ``procs``. The random draws depend only on ``procs`` and ``rng``'s state."""
    n = len(procs)
    if not n:
        return []
    k = min(n, max(1, round(n * rng.uniform(*share))))
    out = []
    for i in sorted(rng.sample(range(n), k)):
        p = procs[i]
        vf = vt = None
        if p.hieu_luc_tu > agency_from:
            if rng.random() < NEW_PROCEDURE_DATED:  # attached on the procedure's first day or a few weeks later
                vf = p.hieu_luc_tu + timedelta(days=rng.choice((0, 0, 0, 7, 14, 21)))
        elif rng.random() < DATED_SHARE:
            vf = max(p.hieu_luc_tu, agency_from)
        if p.hieu_luc_den is not None and rng.random() < CLOSED_DATED:
            vt = p.hieu_luc_den
            if vf is not None and vf > vt:
                vf = p.hieu_luc_tu
        co_phi = 0 if p.co_phi and rng.random() < NO_FEE_SHARE else None
        out.append((p, Applied(vf, vt, co_phi)))
    return out


def row(ma_tthc: str, agency_code: str, a: Applied) -> dict:
    return {"ma_tthc": ma_tthc, "agency_code": agency_code,
            "hieu_luc_tu": a.valid_from.isoformat() if a.valid_from else "",
            "hieu_luc_den": a.valid_to.isoformat() if a.valid_to else "",
            "co_phi": "" if a.co_phi is None else str(a.co_phi)}


def district_applicability(rng, scope, listed: list, start: date) -> tuple[list[dict], dict]:
    """The district's list: each commune committee a share of the commune-level procedures (``xa`` and
    ``huyen;xa``), each district office a share of the district-level procedures of its role (the agency that
    handles them, ``scope.roles``). ``listed``: the catalogue's procedures (only those still in force on or after
    ``start`` are candidates). Returns (rows sorted by procedure and agency, {agency_code: {ma_tthc: Applied}})."""
    live = [p for p in listed if p.hieu_luc_den is None or p.hieu_luc_den >= start]
    applied: dict = {}
    commune_procs = [p for p in live if "xa" in p.levels]
    for u in scope.communes:
        ag = scope.commune_agency[u.code]
        applied[ag.code] = dict((p.ma_tthc, a) for p, a in draw_agency(rng, commune_procs, COMMUNE_SHARE, ag.valid_from))
    by_agency: dict = {}
    for p in live:
        if "huyen" in p.levels:
            by_agency.setdefault(scope.roles[p.role].code, []).append(p)
    for ag in scope.district_agencies:
        if ag.code in by_agency:
            applied[ag.code] = dict((p.ma_tthc, a) for p, a in draw_agency(rng, by_agency[ag.code], OFFICE_SHARE,
                                                                          ag.valid_from))
    # the new communes' committees registered at the 2025 reorganisation (a range crossing it): a share of the
    # commune-level procedures and of the abolished district's, which they take over (drawn last: the lists of the
    # agencies above are the same whether the range crosses the reform or not)
    district_procs = [p for p in live if "huyen" in p.levels and "xa" not in p.levels]
    for ag in scope.new_agencies:
        applied[ag.code] = dict((p.ma_tthc, a) for p, a in draw_agency(rng, commune_procs + district_procs,
                                                                      COMMUNE_SHARE, ag.valid_from))
    rows = sorted((row(code, agency, a) for agency, procs in applied.items() for code, a in procs.items()),
                  key=lambda r: (r["ma_tthc"], r["agency_code"]))
    return rows, applied
