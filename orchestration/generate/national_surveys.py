"""SIPAS satisfaction surveys of the national scale: one quarterly wave per province
(``surveys/sipas_YYYYqN_PP.csv``, 75–110 respondents), drawn from its own stream and written once the whole
quarter lies inside the range.
"""

from __future__ import annotations

import bisect
import calendar as _calendar
import random
from datetime import date

from orchestration.generate import catalogue as cat
from orchestration.generate import sources as src

SURVEY_PER_QUARTER = (75, 110)  # respondents per province and quarterly wave


def survey_waves(seed, pp: str, cal, months, listed, names, communes, commune_cum, commune_total):
    """Yield (file name, rows) of each whole quarter in ``months`` [(y, m)] for province ``pp``: respondents of
    the province's departments (30%) or of a commune (by weight), about a procedure in force of that level."""
    first, last = months[0], months[-1]
    tinh = [p for p in listed if p.cap == "tinh" and not p.p.hieu_luc_den]
    xa = [p for p in listed if p.cap == "xa" and not p.p.hieu_luc_den]
    exp_codes = [e[0] for e in cat.EXPECTATIONS]
    exp_w = [e[1] for e in cat.EXPECTATIONS]
    y, q = first[0], (first[1] - 1) // 3 + 1
    while (y, q * 3) <= last:
        if (y, q * 3 - 2) >= first:  # the whole quarter lies in the range
            rng = random.Random(f"cchc-national/{seed}/{pp}/sipas/{y}q{q}")
            a = cal.di(date(y, q * 3 - 2, 1))
            b = cal.di(date(y, q * 3, _calendar.monthrange(y, q * 3)[1]))
            days = cal.working_days_in(a, b)
            n = rng.randint(*SURVEY_PER_QUARTER)
            picks = []
            for _ in range(n):
                d = rng.choice(days)
                if rng.random() < 0.3:
                    unit = pp
                else:
                    unit = communes[min(len(communes) - 1, bisect.bisect(
                        commune_cum, rng.random() * commune_total))].code
                picks.append((d, unit))
            picks.sort()
            rows = []
            for i, (d, unit) in enumerate(picks, 1):
                pool = tinh if unit == pp else xa
                proc = rng.choices(pool, [p.p.weight for p in pool])[0]
                _, _, _, name = names[rng.randrange(len(names))]
                phone = f"{rng.choice(cat.PHONE_PREFIXES)}{rng.randrange(10**7):07d}" if rng.random() < 0.9 else None
                row = {"ma_phieu": f"SP{y % 100:02d}Q{q}-{pp}-{i:04d}", "unit_code": unit,
                       "ngay_khao_sat": cal.dayiso[d], "ho_ten": name, "so_dien_thoai": phone, "ma_tthc": proc.code}
                src.draw_survey_answers(rng, row, proc.co_phi, exp_codes, exp_w)
                rows.append(row)
            yield f"surveys/sipas_{y}q{q}_{pp}.csv", rows
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
