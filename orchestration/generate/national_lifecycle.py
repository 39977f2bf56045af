"""A national dossier's life from submission on, drawn at once: reception or refusal, due date, withdrawal or stop,
processing class and end, supplements, fee wait, result and hand-over, start of processing, a missing due date.

The rules, shares and the choice of the end day are the district generator's (``lifecycle_rules``, also used by
``dossiers.DossierFactory``). This module keeps the national arithmetic: times are integer seconds on ``FastCal``
and integers are drawn as ``lo + int(random() * n)`` — which is why the phases are not one function shared with
the district one (see lifecycle_rules' docstring). The order of the draws is the generated data's contract: a
change of order changes every dossier after it.
"""

from __future__ import annotations

import math

from orchestration.generate import lifecycle_rules as rules
from orchestration.generate.national_calendar import CLOSE, DAY, FastCal
from orchestration.generate.national_model import NProc


class Lifecycle:
    """What the drawing gives ``ProvinceGen.make``: the events (time, status) sorted, the milestones (None when
    they never happen), the supplements, and the flags the record and the rating depend on. (Class-level
    defaults, no __slots__: one is made per dossier and most keep most defaults.)"""

    tn = ttc = tend = ttra = due = None  # reception, refusal, end, return, due date
    no_due = late = omit_end = eres = with_result = False
    n_res = 1

    def __init__(self):
        self.events: list[tuple[int, int]] = []
        self.sups: list[tuple] = []  # (request, reception or None, due before, due after or None)


def _draws(lo_hi: tuple[int, int]) -> tuple[int, int]:
    """(lo, n) of a range lo..hi: an integer in it is ``lo + int(random() * n)``."""
    return lo_hi[0], lo_hi[1] - lo_hi[0] + 1


EARLY_STOP_MIN = _draws(rules.EARLY_STOP_MIN_MINUTES)
STOP_AFTER = _draws(rules.STOP_AFTER_WORKING_DAYS)
RESULT_MIN = _draws(rules.RESULT_MIN_MINUTES)
QUICK_RETURN = _draws(rules.QUICK_ONLINE_RETURN_MINUTES)
SAME_DAY_RETURN = _draws(rules.SAME_DAY_RETURN_MINUTES)
START = _draws(rules.PROCESSING_START_MINUTES)


def draw_lifecycle(R, cal: FastCal, proc: NProc, r: int, sub: int, online: bool) -> Lifecycle:
    """The life of a dossier received (or refused) at ``r`` and submitted at ``sub``; ``R`` is the province
    stream's random()."""
    lc = Lifecycle()
    ev = lc.events
    if online:
        ev.append((sub, 1))
    refused, never = rules.reception_outcome(R(), online)
    if refused:
        lc.ttc = r
        ev.append((r, 3))
    elif not never:
        lc.tn = r
        ev.append((r, 2))
        lc.due = cal.due(r, proc.due_kind, proc.due_n)
        fate = rules.end_fate(R())
        if fate != rules.RESULT:
            _withdrawn_or_stopped(lc, R, cal, r, fate)
        else:
            _processed(lc, R, cal, proc, r, online)
        _processing_start(lc, R, r)
        if R() < rules.NO_DUE_DATE and not lc.sups:
            lc.no_due = True
    ev.sort()
    return lc


def _withdrawn_or_stopped(lc: Lifecycle, R, cal: FastCal, r: int, fate: int) -> None:
    """Withdrawn (7) or stopped (8) somewhere between reception and due."""
    span = max(600, lc.due - r)
    end = cal.snap(r + int(span * rules.early_stop_fraction(R())))
    if end <= r:
        end = r + (EARLY_STOP_MIN[0] + int(R() * EARLY_STOP_MIN[1])) * 60
    lc.events.append((end, fate))
    lc.tend = end


def _processed(lc: Lifecycle, R, cal: FastCal, proc: NProc, r: int, online: bool) -> None:
    """Processed to a result: class and end (lifecycle_rules.pick_end_day), supplements, then the result — unless
    the applicant never brought a supplement."""
    klass = rules.processing_class(R(), proc.late, proc.early_cut)
    lc.late = klass == "late"
    rd = r // DAY
    end_day = rules.pick_end_day(cal, R, rd, lc.due // DAY, klass)
    end = cal.office_time(R, end_day, r if end_day == rd else None)
    end, t_prev, stopped = _supplements(lc, R, cal, proc, r, end)
    if len(lc.sups) > 1:
        lc.late = True
    if not stopped:
        _result_and_return(lc, R, cal, proc, online, end, t_prev)


def _supplements(lc: Lifecycle, R, cal: FastCal, proc: NProc, r: int, end: int) -> tuple[int, int, bool]:
    """0–2 requests for supplements, each pushing the end and the due date by the applicant's delay. Returns (end,
    time of the last step, stopped: the applicant never supplemented and processing was stopped)."""
    ev = lc.events
    cur_due, t_prev = lc.due, r
    for _ in range(rules.supplement_count(R(), proc.supp1, proc.supp2)):
        span = end - t_prev
        if span < rules.MIN_SPAN_FOR_SUPPLEMENT:
            break
        req = t_prev + int(span * (0.15 + 0.55 * R()))  # not the district's uniform(0.15, 0.7): lifecycle_rules
        snapped = cal.snap(req)
        if snapped < end:
            req = snapped
        if R() < rules.NEVER_SUPPLEMENTS:  # stopped some weeks later
            lc.sups.append((req, None, cur_due, None))
            ev.append((req, 5))
            stop = cal.office_time(R, cal.wd_after(req // DAY, STOP_AFTER[0] + int(R() * STOP_AFTER[1])), None)
            ev.append((stop, rules.STOPPED))
            lc.tend = stop
            return end, t_prev, True
        wait_days = rules.supplement_wait_days(R())
        rec_t = cal.office_time(R, cal.next_working(req // DAY + wait_days), None)
        delta = rec_t - req
        new_due = cal.next_working(cur_due // DAY + math.ceil(delta / DAY)) * DAY + CLOSE
        lc.sups.append((req, rec_t, cur_due, new_due))
        ev.append((req, 5))
        ev.append((rec_t, 4))
        end = end + delta
        cur_due, t_prev = new_due, rec_t
    return end, t_prev, False


def _result_and_return(lc: Lifecycle, R, cal: FastCal, proc: NProc, online: bool, end: int, t_prev: int) -> None:
    """The result (status 9, after a fee wait for some fields), its documents and most often its hand-over (10)."""
    ev = lc.events
    end = cal.snap(end)
    if end <= t_prev:
        end = t_prev + (RESULT_MIN[0] + int(R() * RESULT_MIN[1])) * 60
    if proc.fee_wait and R() < rules.FEE_WAIT_SHARE:
        gap_s = end - t_prev
        if gap_s > rules.FEE_WAIT_MIN_GAP:
            wait_from = t_prev + int(rules.fee_wait_fraction(R()) * gap_s)
            snapped = cal.snap(wait_from)
            ev.append((snapped if snapped < end else wait_from, 6))
    ev.append((end, 9))
    lc.tend = end
    lc.with_result = True
    lc.eres = R() < proc.eres + (rules.E_RESULT_ONLINE_BONUS if online else 0.0)
    lc.n_res = 1 if R() < rules.ONE_RESULT else 2
    if R() < rules.RETURNED:
        if online and lc.eres and R() < rules.QUICK_ONLINE_RETURN:
            ret = end + (QUICK_RETURN[0] + int(R() * QUICK_RETURN[1])) * 60 + int(R() * 60)
        else:
            k = rules.return_days(R())
            if k == 0:
                ret = end + (SAME_DAY_RETURN[0] + int(R() * SAME_DAY_RETURN[1])) * 60 + int(R() * 60)
            else:
                ret = cal.office_time(R, cal.wd_after(end // DAY, k), None)
        ev.append((ret, 10))
        lc.ttra = ret
        lc.omit_end = R() < rules.OMIT_END_WHEN_SAME_DAY and ret // DAY == end // DAY


def _processing_start(lc: Lifecycle, R, r: int) -> None:
    """Status 4 minutes after reception — unless another event already falls in between."""
    if R() < rules.PROCESSING_STARTS:
        p = r + (START[0] + int(R() * START[1])) * 60 + int(R() * 60)
        for t, _s in lc.events:
            if r < t <= p:
                break
        else:
            lc.events.append((p, 4))
