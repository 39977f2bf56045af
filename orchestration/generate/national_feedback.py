"""Feedback drawn with a national dossier: its rating (``draw_rating``) and, now and then, a PAKN petition
(``draw_petition``) with its processing steps; ``petition_row`` writes a petition as observed at an extract time
(a petition still open gets a new row in each month it changes).
"""

from __future__ import annotations

from orchestration.generate.national_calendar import DAY, FastCal

PETITION_RATE = 1 / 500  # PAKN per dossier
RATING_ONLINE, RATING_OTHER = 0.19, 0.09  # share of returned dossiers rated (≈15% overall)


def draw_rating(R, ttra: int | None, late: bool, online: bool) -> tuple[int, str] | None:
    """(time, level) of the dossier's rating, or None (not returned, or not rated)."""
    if ttra is None or not R() < (RATING_ONLINE if online else RATING_OTHER):
        return None
    if R() < 0.6:  # at the counter's kiosk / on the portal when the result arrives
        t = ttra + (1 + int(R() * 30)) * 60 + int(R() * 60)
    else:  # later, from the link sent by SMS / Zalo, at waking hours
        t = (ttra // DAY + int(R() * 4)) * DAY + (7 + int(R() * 15)) * 3600 + int(R() * 60) * 60
        if t <= ttra:
            t = ttra + (5 + int(R() * 86)) * 60
    unhappy = R() < (0.35 if late else 0.075)
    level = "khong_hai_long" if unhappy else ("rat_hai_long" if R() < 0.62 else "hai_long")
    return t, level


class Petition:
    __slots__ = ("code", "agency", "t", "phan_loai", "link", "steps", "waiting", "likes", "dislikes", "repeat",
                 "last", "final_t")


def draw_petition(R, cal: FastCal, code: str, tn: int, agency: str, dossier_code: str) -> Petition:
    """A PAKN about an agency, sent within three weeks of a dossier's reception ``tn`` (40% name the dossier)."""
    d = tn // DAY + int(R() * 21)
    if R() < 0.8 and cal.is_wd[d]:
        t = cal.office_time(R, d, tn)
    else:
        t = d * DAY + (6 + int(R() * 17)) * 3600 + int(R() * 60) * 60
    if t <= tn:
        t = tn + (10 + int(R() * 111)) * 60
    P = Petition()
    P.code = code
    P.agency = agency
    P.t = t
    z = R() * 100
    P.phan_loai = "quy_dinh_tthc" if z < 45 else ("hanh_vi_cbccvc" if z < 65 else "khac")
    P.link = dossier_code if R() < 0.4 else ""
    steps = {}
    d0 = t // DAY
    if R() < 0.08:
        steps["ngay_tu_choi"] = cal.office_time(R, cal.wd_after(d0, (1, 1, 2, 2, 4)[int(R() * 5)]), None)
    else:
        if R() < 0.25:
            steps["ngay_chuyen"] = cal.office_time(R, cal.wd_after(d0, 1 + int(R() * 2)), None)
            d0 = steps["ngay_chuyen"] // DAY
        if R() < 0.1:
            steps["ngay_yeu_cau_bo_sung"] = cal.office_time(R, cal.wd_after(d0, (1, 2, 3, 5, 7)[int(R() * 5)]), None)
        k = 2 + int(R() * 14) if R() < 0.93 else 16 + int(R() * 10)
        steps["ngay_xu_ly"] = cal.office_time(R, cal.wd_after(d0, k), None)
        if R() < 0.9:
            k2 = 1 + int(R() * 2) if R() < 0.92 else 3 + int(R() * 4)
            steps["ngay_cong_khai"] = cal.office_time(R, cal.wd_after(steps["ngay_xu_ly"] // DAY, k2), None)
    P.steps = steps
    P.waiting = R() < 0.6
    if R() < 0.06:
        P.likes, P.dislikes = int(R() * 3), 3 + int(R() * 6)
    else:
        P.likes, P.dislikes = int(R() * 13), int(R() * 3)
    P.repeat = R() < 0.04
    P.last = None
    P.final_t = max([t, *steps.values()])
    return P


def petition_row(cal: FastCal, P: Petition, T: int) -> str:
    """The petitions CSV line of P observed at T (sources.PETITION_COLUMNS)."""
    fmt = cal.iso_minute
    seen = {k: fmt(v) for k, v in P.steps.items() if v <= T}
    if "ngay_tu_choi" in seen:
        status = "tu_choi"
    elif "ngay_xu_ly" in seen:
        status = "da_xu_ly"
    elif not ("ngay_chuyen" in seen or "ngay_yeu_cau_bo_sung" in seen) and T - P.t < 2 * DAY and P.waiting:
        status = "cho_tiep_nhan"
    else:
        status = "dang_xu_ly"
    likes, dislikes = (P.likes, P.dislikes) if "ngay_cong_khai" in seen else (0, 0)
    repeat = 1 if status == "da_xu_ly" and P.repeat else 0
    g = seen.get
    return ",".join([P.code, P.agency, fmt(P.t), P.phan_loai, P.link, status, g("ngay_chuyen", ""),
                     g("ngay_tu_choi", ""), g("ngay_yeu_cau_bo_sung", ""), g("ngay_xu_ly", ""),
                     g("ngay_cong_khai", ""), str(likes), str(dislikes), str(repeat)])
