"""The rules of a dossier's life, shared by the district generator (``dossiers.DossierFactory``, datetimes) and the
national one (``national_lifecycle``, integer seconds on ``national_calendar.FastCal``).

What lives here is what both compute identically: the shares, the weighted tables and the choices made from ONE
uniform draw ``u`` (``random()``), plus the choice of the day processing ends, written once over either calendar.
A function of ``u`` gives the same value as the ``random.Random`` call it replaces (``choices`` with weights is
``bisect(cum, random() * total)``; ``expovariate(1.0)`` is ``-log(1 - random())``), so each generator's output
is unchanged for a seed.

What does NOT live here, and why: the two generators draw their integers differently (the district with
``randint``/``randrange``, built on ``getrandbits``; the national one with ``lo + int(random() * n)``, cheaper in
its hot loop), so their draws of minutes, seconds and office times differ in value and in how much of the
random stream they consume; only the ranges are shared (``*_MINUTES``, ``STOP_AFTER_WORKING_DAYS``). The district's
``uniform(0.15, 0.7)`` (supplement request) is ``0.15 + 0.5499999999999999·u`` while the national writes
``0.15 + 0.55·u``: each keeps its own so that neither output moves.
"""

from __future__ import annotations

import math
from bisect import bisect


# ---------------------------------------------------------------------------------------------- due date
def due_rule(limit: float, unit: str) -> tuple[str, float]:
    """How a catalogue time limit turns into a due date: ('min', office minutes from reception) for hours and
    fractional days (8 h a working day), ('cal', n) for calendar days (17:00, moved to the next working day),
    ('wd', n) for whole working days (17:00 on the n-th working day strictly after reception)."""
    if unit == "gio":
        return "min", limit * 60
    if unit == "ngay":
        return "cal", int(limit)
    if float(limit).is_integer() and limit >= 1:
        return "wd", int(limit)
    return "min", limit * 8 * 60


# ---------------------------------------------------------------------------------------------- weighted tables
def _weighted(pairs: tuple):
    """A function u → ``random.Random.choices(values, weights)[0]`` for the uniform draw u (the same arithmetic:
    ``values[bisect(cumulative weights, u * float(total), 0, len - 1)]``, so the same value)."""
    values = tuple(v for v, _ in pairs)
    cum, acc = [], 0
    for _, w in pairs:
        acc += w
        cum.append(acc)
    total, hi = cum[-1] + 0.0, len(values) - 1

    def pick(u: float):
        return values[bisect(cum, u * total, 0, hi)]

    return pick


# a late end: working days past due
late_days = _weighted(((1, 45), (2, 22), (3, 12), (4, 8), (6, 8), (9, 5)))
# calendar days the applicant takes to bring a supplement (received on the next working day from then)
supplement_wait_days = _weighted(((1, 12), (2, 18), (3, 18), (5, 16), (7, 14), (10, 10), (14, 8), (21, 4)))
# working days between the result and its hand-over (0: the same day, minutes later)
return_days = _weighted(((0, 45), (1, 25), (2, 12), (3, 8), (5, 6), (8, 4)))


# ---------------------------------------------------------------------------------------------- reception
REFUSED_ONLINE, REFUSED_COUNTER = 0.015, 0.004
NEVER_RECEIVED_ABOVE = 0.998  # an online dossier neither refused nor ever received (the same draw, other end)


def reception_outcome(u: float, online: bool) -> tuple[bool, bool]:
    """(refused, never received) from one draw."""
    refused = u < (REFUSED_ONLINE if online else REFUSED_COUNTER)
    return refused, online and not refused and u > NEVER_RECEIVED_ABOVE


# ---------------------------------------------------------------------------------------------- processing
WITHDRAWN, STOPPED, RESULT = 7, 8, 9  # statuses that end processing


def end_fate(u: float) -> int:
    """Withdrawn (0.6%), stopped (0.3%) or processed to a result."""
    return WITHDRAWN if u < 0.006 else (STOPPED if u < 0.009 else RESULT)


def early_stop_fraction(u: float) -> float:
    """Where in the span reception → due a withdrawal/stop falls (``uniform(0.05, 1.0)``: 1.0 - 0.05 == 0.95)."""
    return 0.05 + 0.95 * u


EARLY_STOP_MIN_MINUTES = (10, 60)  # a withdrawal/stop that snapped back onto reception: minutes after it


def early_cut(late: float) -> float:
    """Upper bound of the 'early' class for a field's late share: 72% of the dossiers not late end early."""
    return late + 0.72 * (1 - late)


def processing_class(u: float, late: float, cut: float) -> str:
    """'late', 'early' or 'on_time' (``cut`` = ``early_cut(late)``, precomputed by the national generator)."""
    if u < late:
        return "late"
    return "early" if u < cut else "on_time"


def early_end_index(u: float, n_days: int) -> int:
    """Which of the ``n_days`` working days from reception (before due) an early end falls on: exponential, mean
    0.35·n_days (``expovariate(1.0)`` is ``-log(1 - random())``)."""
    return min(n_days - 1, int(-math.log(1.0 - u) * n_days * 0.35))


def pick_end_day(cal, random, received_day, due_day, klass: str):
    """The day processing ends for its class (the district's ``DossierFactory._pick_end``; the national
    ``national_lifecycle``): early — a working day from reception up to, not including, the due day; on time — the
    due day; late — 1–9 working days after it. Works on either calendar: ``cal`` has ``working_days_between(a, b)``
    (working days a ≤ d < b) and ``wd_after(d, n)`` over dates (``WorkCalendar``) or day indexes (``FastCal``).
    ``random`` is called once for an early end with days to choose from and once for a late end."""
    if klass == "early":
        days = cal.working_days_between(received_day, due_day)
        if days:
            return days[early_end_index(random(), len(days))]
        klass = "on_time"  # received on the due day: nothing earlier to choose
    if klass == "on_time":
        return due_day
    return cal.wd_after(due_day, late_days(random()))


# ---------------------------------------------------------------------------------------------- supplements
def supplement_count(u: float, supp1: float, supp2: float) -> int:
    """0, 1 or 2 requests for supplements (a field's shares of one and of two)."""
    return 2 if u < supp2 else (1 if u < supp1 + supp2 else 0)


MIN_SPAN_FOR_SUPPLEMENT = 1800  # seconds left before the end: no request in less
NEVER_SUPPLEMENTS = 0.08  # the applicant never brings the supplement: stopped some weeks later
STOP_AFTER_WORKING_DAYS = (20, 40)

# ---------------------------------------------------------------------------------------------- result
FEE_WAIT_FIELDS = ("G05-DD", "G06-XD", "G07-DT")  # fee-bearing land/construction/investment: paying before result
FEE_WAIT_SHARE = 0.6
FEE_WAIT_MIN_GAP = 4 * 3600  # seconds between the last step and the end, else no wait shown


def fee_wait_fraction(u: float) -> float:
    """Where between the last step and the end the fee wait starts (``uniform(0.25, 0.75)``)."""
    return 0.25 + 0.5 * u


RESULT_MIN_MINUTES = (10, 90)  # an end snapped back onto the last step: minutes after it
E_RESULT_ONLINE_BONUS = 0.1  # added to the field's electronic-result share for online dossiers
ONE_RESULT = 0.9  # else two result documents
RETURNED = 0.93  # result handed over / sent
QUICK_ONLINE_RETURN = 0.6  # online with an electronic result: sent minutes after the end
QUICK_ONLINE_RETURN_MINUTES = (1, 90)
SAME_DAY_RETURN_MINUTES = (5, 120)
OMIT_END_WHEN_SAME_DAY = 0.05  # some systems fill only NgayTra when the result is handed over the day it is ready

# ---------------------------------------------------------------------------------------------- after reception
PROCESSING_STARTS = 0.8  # processing starts (status 4) shortly after reception
PROCESSING_START_MINUTES = (2, 180)
NO_DUE_DATE = 0.003  # a few one-stop systems leave the due date empty (never with supplements)
