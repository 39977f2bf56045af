-- Every period present in the data (METHODOLOGY §1): months from the first reception month of a received
-- dossier to the as-of month, and the quarters, halves and years containing them.
-- in_build_scope: the periods an incremental build recomputes (macros/incremental.sql) — those ending on or after
-- the plan's recompute_from or the as-of date, whichever is earlier; every period in a full build.
{% set plan = incremental_plan() %}
with ctx as (
    select * from {{ ref('int_as_of') }}
),
bounds as (
    select cast(date_trunc('month', min(received_at)) as date) as first_month
    from {{ ref('stg_dossiers__dossiers') }}
    where status not in (1, 3) and received_at is not null
),
months as (
    select
        cast(unnest(generate_series(b.first_month, cast(date_trunc('month', c.as_of_date) as date), interval 1 month)) as date)
            as month_start
    from bounds b cross join ctx c
    where b.first_month is not null and c.as_of_date is not null
),
periods as (
    select distinct 'M' as period_type, strftime(month_start, '%Y-%m') as period,
        month_start as period_start, last_day(month_start) as period_end
    from months
    union all
    select distinct 'Q', strftime(month_start, '%Y') || '-Q' || quarter(month_start),
        cast(date_trunc('quarter', month_start) as date),
        cast(date_trunc('quarter', month_start) + interval 3 month - interval 1 day as date)
    from months
    union all
    select distinct 'H', strftime(month_start, '%Y') || '-H' || case when month(month_start) <= 6 then '1' else '2' end,
        make_date(year(month_start), case when month(month_start) <= 6 then 1 else 7 end, 1),
        case when month(month_start) <= 6 then make_date(year(month_start), 6, 30) else make_date(year(month_start), 12, 31) end
    from months
    union all
    select distinct 'Y', strftime(month_start, '%Y'),
        make_date(year(month_start), 1, 1), make_date(year(month_start), 12, 31)
    from months
),
with_p_end as (
    select
        p.*,
        c.as_of_date between p.period_start and p.period_end as is_running,
        case when c.as_of_date between p.period_start and p.period_end then c.as_of_date else p.period_end end as p_end,
        case when c.as_of_date between p.period_start and p.period_end
             then c.as_of_at else cast(p.period_end + interval 1 day as timestamp) end as p_end_at
    from periods p cross join ctx c
)
select
    p.period_type,
    p.period,
    p.period_start,
    p.period_end,
    p.is_running,
    p.p_end,
    p.p_end_at,
    cal.working_day_index as p_end_working_day_index,
    fv.formula_version,
    {% if plan is not none -%}
    p.period_end >= least(cast('{{ plan.recompute_from }}' as date), c.as_of_date) as in_build_scope
    {%- else -%}
    true as in_build_scope
    {%- endif %}
from with_p_end p
cross join ctx c
left join {{ ref('int_calendar') }} cal on cal.date = p.p_end
left join {{ ref('formula_versions') }} fv
  on fv.family = 'QD766'
 and p.period_end between coalesce(fv.valid_from, date '0001-01-01') and coalesce(fv.valid_to, date '9999-12-31')
