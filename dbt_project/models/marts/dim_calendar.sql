-- Working-day calendar (lịch làm việc) 2015–2030.
select
    date,
    year(date) as year,
    quarter(date) as quarter,
    month(date) as month,
    iso_weekday,
    is_weekend,
    is_public_holiday,
    is_makeup_working_day,
    is_working_day,
    holiday_name,
    holiday_source,
    working_day_index
from {{ ref('int_calendar') }}
