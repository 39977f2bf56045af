"""Working calendar for the generator: Vietnamese public holidays (``holidays`` package), office hours
07:30–11:30 and 13:30–17:00, and due dates from a procedure's time limit (METHODOLOGY §2 "Working time").

Make-up working Saturdays announced by the government are not modelled: the generator simply never
receives on a Saturday, which stays consistent with any override seed the pipeline uses.
"""

from __future__ import annotations

import bisect
from datetime import date, datetime, time, timedelta

import holidays

from orchestration.generate.lifecycle_rules import due_rule

AM = (7 * 60 + 30, 11 * 60 + 30)
PM = (13 * 60 + 30, 17 * 60)
WINDOWS = (AM, PM)
OFFICE_MINUTES = (AM[1] - AM[0]) + (PM[1] - PM[0])  # 450
CLOSE = time(17, 0)


class WorkCalendar:
    def __init__(self, first_year: int, last_year: int):
        hol = holidays.country_holidays("VN", years=range(first_year, last_year + 1))
        self.holidays = frozenset(hol.keys())
        self.first = date(first_year, 1, 1)
        self.last = date(last_year, 12, 31)
        self.days: list[date] = []
        d = self.first
        while d <= self.last:
            if d.weekday() < 5 and d not in self.holidays:
                self.days.append(d)
            d += timedelta(days=1)
        self._ords = [x.toordinal() for x in self.days]

    # --- days ---
    def is_working(self, d: date) -> bool:
        return d.weekday() < 5 and d not in self.holidays

    def idx_ge(self, d: date) -> int:
        """Index in ``days`` of the first working day on or after d."""
        return bisect.bisect_left(self._ords, d.toordinal())

    def next_working(self, d: date, strictly: bool = False) -> date:
        if strictly:
            d = d + timedelta(days=1)
        return self.days[self.idx_ge(d)]

    def wd_after(self, d: date, n: int) -> date:
        """The n-th working day strictly after d (n ≥ 1); n = 0 gives d itself if working, else the next."""
        if n <= 0:
            return self.next_working(d)
        return self.days[self.idx_ge(d + timedelta(days=1)) + n - 1]

    def wd_before(self, d: date, n: int) -> date:
        """The n-th working day strictly before d (n ≥ 1)."""
        return self.days[self.idx_ge(d) - n]

    def working_days_between(self, a: date, b: date) -> list[date]:
        """Working days d with a ≤ d < b."""
        return self.days[self.idx_ge(a): self.idx_ge(b)]

    def working_days_in(self, a: date, b: date) -> list[date]:
        """Working days d with a ≤ d ≤ b."""
        return self.days[self.idx_ge(a): self.idx_ge(b + timedelta(days=1))]

    def tet_blocks(self) -> list[tuple[date, date]]:
        """(first, last) day of each Lunar New Year holiday block: the longest run of holidays in Jan–Feb."""
        blocks = []
        for year in range(self.first.year, self.last.year + 1):
            run, best = [], []
            d = date(year, 1, 10)
            while d <= date(year, 2, 28):
                if d in self.holidays:
                    run.append(d)
                    if len(run) > len(best):
                        best = list(run)
                else:
                    run = []
                d += timedelta(days=1)
            if len(best) >= 3:
                blocks.append((best[0], best[-1]))
        return blocks

    # --- times ---
    @staticmethod
    def office_minute_to_time(m: int) -> tuple[int, int]:
        """Map 0 ≤ m < 450 (office minutes) to (hour, minute)."""
        if m < AM[1] - AM[0]:
            t = AM[0] + m
        else:
            t = PM[0] + m - (AM[1] - AM[0])
        return divmod(t, 60)

    def office_time(self, d: date, rng, after: datetime | None = None) -> datetime:
        """A random moment in office hours on day d (after ``after`` when given and on the same day)."""
        lo = 0
        if after is not None and after.date() == d:
            lo = self._office_offset(after) + 1
        if lo >= OFFICE_MINUTES:
            # nothing left in office hours: a few minutes after ``after`` (overtime)
            return after + timedelta(minutes=rng.randint(3, 25), seconds=rng.randint(0, 59))
        m = rng.randrange(lo, OFFICE_MINUTES)
        h, mi = self.office_minute_to_time(m)
        return datetime(d.year, d.month, d.day, h, mi, rng.randint(0, 59))

    @staticmethod
    def _office_offset(t: datetime) -> int:
        m = t.hour * 60 + t.minute
        if m < AM[0]:
            return 0
        if m < AM[1]:
            return m - AM[0]
        if m < PM[0]:
            return AM[1] - AM[0]
        if m < PM[1]:
            return (AM[1] - AM[0]) + m - PM[0]
        return OFFICE_MINUTES

    def snap_to_office(self, t: datetime) -> datetime:
        """t if it lies in office hours on a working day, else the next opening."""
        d = t.date()
        m = t.hour * 60 + t.minute
        if self.is_working(d):
            for a, b in WINDOWS:
                if m < a:
                    return datetime.combine(d, time(a // 60, a % 60))
                if m < b:
                    return t
        n = self.next_working(d, strictly=True)
        return datetime.combine(n, time(AM[0] // 60, AM[0] % 60))

    def add_work_minutes(self, t: datetime, minutes: float) -> datetime:
        """t + ``minutes`` of office time (the clock runs only in office hours on working days)."""
        minutes = int(round(minutes))
        d = t.date()
        m = t.hour * 60 + t.minute
        if not self.is_working(d):
            d, m = self.next_working(d), 0
        while True:
            for a, b in WINDOWS:
                if m < b:
                    m = max(m, a)
                    avail = b - m
                    if minutes <= avail:
                        h, mi = divmod(m + minutes, 60)
                        return datetime(d.year, d.month, d.day, h, mi)
                    minutes -= avail
                    m = b
            d, m = self.next_working(d, strictly=True), 0

    def due(self, received: datetime, limit: float, unit: str) -> datetime:
        """Due date (NgayHenTra) for a time limit: whole working days end at 17:00 on the n-th working day
        strictly after reception; calendar days at 17:00 (moved to the next working day); hours and
        fractional days run on office time (8 hours per working day) — lifecycle_rules.due_rule, shared with the
        national generator (national_calendar.FastCal.due)."""
        kind, n = due_rule(limit, unit)
        if kind == "min":
            return self.add_work_minutes(received, n)
        if kind == "cal":
            return datetime.combine(self.next_working(received.date() + timedelta(days=n)), CLOSE)
        return datetime.combine(self.wd_after(received.date(), n), CLOSE)
