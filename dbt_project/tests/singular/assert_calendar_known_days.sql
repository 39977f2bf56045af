-- Golden days of the working calendar (METHODOLOGY §2): holidays, swapped days off and make-up Saturdays.
with expected(date, is_working_day) as (
    values
        (date '2024-01-01', false),  -- New Year
        (date '2024-02-12', false),  -- Tết Giáp Thìn (mùng 3)
        (date '2024-02-15', true),   -- first working day after Tết 2024
        (date '2024-04-18', false),  -- Giỗ Tổ Hùng Vương 10/3 âm lịch
        (date '2024-04-29', false),  -- swapped day off …
        (date '2024-05-04', true),   -- … made up on Saturday 4 May 2024
        (date '2024-09-03', false),  -- National Day + adjacent day
        (date '2025-01-27', false),  -- Tết Ất Tỵ 2025
        (date '2025-02-03', true),
        (date '2025-04-26', true),   -- make-up Saturday for 2 May 2025
        (date '2025-05-02', false),
        (date '2025-09-01', false),
        (date '2024-03-09', false),  -- an ordinary Saturday
        (date '2024-03-11', true)    -- an ordinary Monday
)
select e.*, c.is_working_day as actual
from expected e
left join {{ ref('int_calendar') }} c on c.date = e.date
where c.is_working_day is distinct from e.is_working_day
union all
-- working_day_index counts working days exactly
select null, null, null
from (
    select count(*) filter (where is_working_day) as n, max(working_day_index) as m from {{ ref('int_calendar') }}
) where n <> m
