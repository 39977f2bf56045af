"""The national generator's working calendar as integer tables (``FastCal``).

A time is integer seconds from the calendar's first day at 00:00, a day is its index (``t // DAY``). The days,
holidays, office hours (07:30–11:30, 13:30–17:00) and due-date rules are those of ``workcal.WorkCalendar`` (the
district generator's, on datetimes); the tables make the hot loop's day arithmetic and formatting list look-ups.
"""

from __future__ import annotations

from datetime import date, timedelta

from orchestration.generate.dossiers import day_factor
from orchestration.generate.workcal import WorkCalendar

DAY = 86400
AM0, AM1, PM0, PM1 = 7 * 3600 + 1800, 11 * 3600 + 1800, 13 * 3600 + 1800, 17 * 3600  # office hours (s of day)
CLOSE = 17 * 3600
OFFICE_MINUTES = 450


class FastCal:
    """The working calendar as integer tables: time t = seconds from ``day0`` 00:00, day index = t // 86400."""

    def __init__(self, first_year: int, last_year: int):
        wc = WorkCalendar(first_year, last_year)
        self.day0 = date(first_year, 1, 1)
        n = (date(last_year, 12, 31) - self.day0).days + 1
        days = [self.day0 + timedelta(days=i) for i in range(n)]
        self.daystr = [d.strftime("%Y%m%d") for d in days]
        self.dayiso = [d.isoformat() for d in days]
        self.yymmdd = [f"{d.year % 100:02d}{d.month:02d}{d.day:02d}" for d in days]
        self.ym = [(d.year, d.month) for d in days]
        self.is_wd = [d.weekday() < 5 and d not in wc.holidays for d in days]
        self.wd = [i for i in range(n) if self.is_wd[i]]  # the working days' indexes
        nwi, k = [], 0  # nwi[i]: position in ``wd`` of the first working day on or after day i
        for i in range(n):
            while k < len(self.wd) and self.wd[k] < i:
                k += 1
            nwi.append(k)
        self.nwi = nwi
        tet = wc.tet_blocks()
        self.factor = [day_factor(tet, d) if self.is_wd[i] else 0.0 for i, d in enumerate(days)]
        self.hms = [f"{h:02d}{m:02d}{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
        self.hm = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]
        self.offsec = [((AM0 // 60 + m) if m < 240 else (PM0 // 60 + m - 240)) * 60 for m in range(OFFICE_MINUTES)]

    # --- days
    def di(self, d: date) -> int:
        return (d - self.day0).days

    def date_of(self, di: int) -> date:
        return self.day0 + timedelta(days=di)

    def next_working(self, di: int) -> int:
        return self.wd[self.nwi[di]]

    def wd_after(self, di: int, n: int) -> int:
        """The n-th working day strictly after di (n ≥ 1); n = 0: di itself if working, else the next."""
        if n <= 0:
            return self.wd[self.nwi[di]]
        return self.wd[self.nwi[di + 1] + n - 1]

    def wd_before(self, di: int, n: int) -> int:
        return self.wd[self.nwi[di] - n]

    def working_days_between(self, a: int, b: int) -> list[int]:
        """Working days a ≤ d < b (as WorkCalendar.working_days_between: lifecycle_rules.pick_end_day uses either)."""
        return self.wd[self.nwi[a]: self.nwi[b]]

    def working_days_in(self, a: int, b: int) -> list[int]:
        return self.wd[self.nwi[a]: self.nwi[b + 1]]

    # --- formatting
    def fmt(self, t: int) -> str:
        q, r = divmod(t, DAY)
        return self.daystr[q] + self.hms[r]

    def iso_minute(self, t: int) -> str:
        q, r = divmod(t, DAY)
        return self.dayiso[q] + " " + self.hm[r // 60]

    # --- times
    @staticmethod
    def office_offset(sod: int) -> int:
        """Office minutes elapsed on a day at ``sod`` seconds of the day (0 before opening, 450 after closing)."""
        m = sod // 60
        if m < 450:
            return 0
        if m < 690:
            return m - 450
        if m < 810:
            return 240
        if m < 1020:
            return 240 + m - 810
        return OFFICE_MINUTES

    def office_time(self, R, di: int, after: int | None = None) -> int:
        """A random moment in office hours on day di, after ``after`` when given and on the same day (as
        WorkCalendar.office_time, with the integers drawn as ``int(R() * n)``); ``R`` is the stream's random()."""
        lo = 0
        if after is not None and after // DAY == di:
            lo = FastCal.office_offset(after % DAY) + 1
        if lo >= OFFICE_MINUTES:  # nothing left in office hours: 3–25 minutes after ``after`` (overtime)
            return after + (3 + int(R() * 23)) * 60 + int(R() * 60)
        return di * DAY + self.offsec[lo + int(R() * (OFFICE_MINUTES - lo))] + int(R() * 60)

    def snap(self, t: int) -> int:
        """t if in office hours on a working day, else the next opening."""
        q, r = divmod(t, DAY)
        if self.is_wd[q]:
            if r < AM0:
                return q * DAY + AM0
            if r < AM1:
                return t
            if r < PM0:
                return q * DAY + PM0
            if r < PM1:
                return t
        return self.wd[self.nwi[q + 1]] * DAY + AM0

    def add_work_minutes(self, t: int, minutes: float) -> int:
        """t + minutes of office time; the result at minute precision (as WorkCalendar.add_work_minutes)."""
        minutes = int(round(minutes))
        q, r = divmod(t, DAY)
        m = r // 60
        if not self.is_wd[q]:
            q, m = self.wd[self.nwi[q]], 0
        while True:
            for a, b in ((450, 690), (810, 1020)):
                if m < b:
                    m = max(m, a)
                    avail = b - m
                    if minutes <= avail:
                        return q * DAY + (m + minutes) * 60
                    minutes -= avail
                    m = b
            q, m = self.wd[self.nwi[q + 1]], 0

    def due(self, received: int, kind: str, n: float) -> int:
        """The due date for a procedure's rule (``lifecycle_rules.due_rule``: kind 'wd', 'cal' or 'min'), as
        WorkCalendar.due computes it."""
        if kind == "wd":
            return self.wd[self.nwi[received // DAY + 1] + n - 1] * DAY + CLOSE
        if kind == "cal":
            return self.wd[self.nwi[received // DAY + n]] * DAY + CLOSE
        return self.add_work_minutes(received, n)


_CALENDARS: dict = {}


def fast_calendar(first_year: int, last_year: int) -> FastCal:
    """One FastCal per process and year span (built in the parent before the pool forks: workers inherit it)."""
    key = (first_year, last_year)
    if key not in _CALENDARS:
        _CALENDARS[key] = FastCal(first_year, last_year)
    return _CALENDARS[key]
