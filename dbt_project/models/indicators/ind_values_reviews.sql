-- Plan-monitoring rows on procedure reviews (METHODOLOGY §6, target T8), per unit and year (period_type Y only):
--   TTHC_REVIEWED_SHARE  numerator   = distinct procedures the unit handles (int_unit_period_procedures: its
--                                      level's procedures in force in the year) reviewed under a review plan of
--                                      the unit for that year (reviews.unit_code = the unit, nam = the year);
--                        denominator = procedures the unit handles in the year.
--   TTHC_REVIEWED_COUNT  value       = distinct procedure codes reviewed under the unit's plans of the year (every
--                                      code, also those outside the unit's level or unknown to the catalogue).
-- A review dated after P_end (running year) is not counted yet. The unit version is the one valid on the review
-- date (else the latest version valid in the year). A review plan covers its own unit only (no roll-up: a
-- province's share counts the province's own plans).
with years as (
    select period_type, period, period_start, period_end, p_end from {{ ref('int_periods') }} where period_type = 'Y'
),
reviews as (
    select *
    from {{ ref('stg_procedures__reviews') }}
    where unit_code is not null and procedure_code is not null and plan_year is not null
    qualify row_number() over (
        partition by review_plan_code, unit_code, plan_year, procedure_code
        order by loaded_at desc nulls last, source_record desc nulls last
    ) = 1
),
placed as (
    select
        y.period_type, y.period, y.period_start, y.period_end,
        r.procedure_code, r.review_plan_code,
        u.unit_code, u.unit_valid_from, u.unit_valid_to
    from reviews r
    join years y on cast(y.period as integer) = r.plan_year
    join {{ ref('dim_units') }} u
      on u.unit_code = r.unit_code
     and u.unit_valid_from <= y.p_end and coalesce(u.unit_valid_to, date '9999-12-31') >= y.period_start
    where r.reviewed_on is null or r.reviewed_on <= y.p_end
    qualify row_number() over (
        partition by y.period, r.review_plan_code, r.unit_code, r.procedure_code
        order by
            case when coalesce(r.reviewed_on, y.p_end) between u.unit_valid_from and coalesce(u.unit_valid_to, date '9999-12-31')
                 then 0 else 1 end,
            u.unit_valid_from desc
    ) = 1
),
handled as (
    select period_type, period, unit_code, unit_valid_from, procedure_code, is_partial_period
    from {{ ref('int_unit_period_procedures') }}
    where period_type = 'Y'
),
reviewed_units as (
    select distinct period_type, period, unit_code, unit_valid_from from placed
),
placed_procedures as (
    select distinct period_type, period, unit_code, unit_valid_from, procedure_code from placed
),
share_rows as (
    select
        h.period_type, h.period, h.unit_code, h.unit_valid_from,
        count(distinct h.procedure_code) filter (where p.procedure_code is not null) as numerator,
        count(distinct h.procedure_code) as denominator,
        bool_or(h.is_partial_period) as is_partial_period
    from handled h
    left join placed_procedures p
      on p.period_type = h.period_type and p.period = h.period and p.unit_code = h.unit_code
     and p.unit_valid_from = h.unit_valid_from and p.procedure_code = h.procedure_code
    -- whole-unit rows for units with data: a review plan in the year
    where exists (
        select 1 from reviewed_units r
        where r.period_type = h.period_type and r.period = h.period and r.unit_code = h.unit_code
          and r.unit_valid_from = h.unit_valid_from
    )
    group by all
),
count_rows as (
    select
        p.period_type, p.period, p.unit_code, p.unit_valid_from,
        count(distinct p.procedure_code) as reviewed,
        bool_or(p.unit_valid_from > p.period_start or coalesce(p.unit_valid_to, date '9999-12-31') < p.period_end)
            as is_partial_period
    from placed p
    group by all
)
select
    'TTHC_REVIEWED_SHARE' as indicator_id,
    period_type, period, unit_code, unit_valid_from,
    cast(null as varchar) as agency_code,
    cast(null as varchar) as field_code,
    cast(null as varchar) as procedure_code,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    cast(null as double) as value,
    cast(denominator as bigint) as n,
    case when is_partial_period then 'partial period' end as comment
from share_rows
union all
select
    'TTHC_REVIEWED_COUNT',
    period_type, period, unit_code, unit_valid_from,
    cast(null as varchar), cast(null as varchar), cast(null as varchar),
    cast(null as double),
    cast(null as double),
    cast(reviewed as double),
    cast(reviewed as bigint),
    case when is_partial_period then 'partial period' end
from count_rows
