"""Working-day calendar, one row per date 2015-01-01 … 2030-12-31 (METHODOLOGY §2 "Working time").

Public holidays come from ``holidays.country_holidays("VN")`` (Labour Code 2019 art. 112, with compensation
days and the swapped days off the package knows), then the ``holiday_overrides`` seed applies government
announcements the package lacks: ``holiday`` adds a day off, ``not_holiday`` removes one, ``working_day`` marks
an official make-up working Saturday.

The only row-by-row Python in the project: 5,844 rows.
"""
import datetime as dt

import holidays
import pandas as pd

START = dt.date(2015, 1, 1)
END = dt.date(2030, 12, 31)


def model(dbt, session):
    dbt.config(materialized="table")

    overrides = dbt.ref("holiday_overrides").df()
    override_kind = {}
    override_name = {}
    for row in overrides.itertuples(index=False):
        day = pd.Timestamp(row.date).date()
        override_kind[day] = row.kind
        override_name[day] = row.name

    vn = holidays.country_holidays("VN", years=range(START.year, END.year + 1), language="vi")

    rows = []
    index = 0
    day = START
    while day <= END:
        kind = override_kind.get(day)
        package_name = vn.get(day)
        is_holiday = (package_name is not None and kind != "not_holiday") or kind == "holiday"
        is_makeup = kind == "working_day"
        is_working = is_makeup or (day.weekday() < 5 and not is_holiday)
        if is_working:
            index += 1
        if kind in ("holiday", "working_day"):
            name = override_name[day]
        elif is_holiday:
            name = package_name
        else:
            name = None
        rows.append(
            {
                "date": day,
                "iso_weekday": day.isoweekday(),
                "is_weekend": day.weekday() >= 5,
                "is_public_holiday": is_holiday,
                "is_makeup_working_day": is_makeup,
                "is_working_day": is_working,
                "holiday_name": name,
                "holiday_source": (
                    "override" if kind is not None else ("holidays_package" if package_name is not None else None)
                ),
                "working_day_index": index,
            }
        )
        day += dt.timedelta(days=1)

    frame = pd.DataFrame(rows)
    return session.from_df(frame).project(
        "cast(date as date) as date, cast(iso_weekday as integer) as iso_weekday, is_weekend, "
        "is_public_holiday, is_makeup_working_day, is_working_day, cast(holiday_name as varchar) as holiday_name, "
        "cast(holiday_source as varchar) as holiday_source, cast(working_day_index as integer) as working_day_index"
    )
