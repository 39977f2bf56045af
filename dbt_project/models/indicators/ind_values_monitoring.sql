-- Plan-monitoring indicators (METHODOLOGY §6, formula version CCHC-MON-1), unscored:
--   RESULTS_DIGITISED  completed dossiers (status in completed_statuses(), end_time date in P) whose result has an
--                      electronic copy (result-file link) / completed dossiers with a result
--                      (so_giay_to_ket_qua > 0). Per agency rows tell a district's own agencies (district level)
--                      from its communes (whole-unit rows of the communes) — target T2 is per level.
--   ECERT_COPY_SHARE   copy-certification dossiers (LaHoSoChungThuc) received in P whose result has a file link /
--                      copy-certification dossiers received in P (target T3).
--   RATING_SATISFIED   ratings rat_hai_long or hai_long / ratings, by the period of the rating date, attributed to
--                      the rated dossier's unit, agency and field (a rating of a dossier unknown to the warehouse
--                      has no unit and is left out; identical duplicate rating rows count once).
-- Rows: per unit subtree (whole and per field) and per agency (whole and per field), only where the denominator > 0.
with flags as (
    select * from {{ ref('int_qd766_dossier_flags') }}
),
periods as (
    select period_type, period, period_start, period_end, p_end from {{ ref('int_periods') }}
),
months as (
    {{ months_of_periods('periods') }}
),
-- each count is reduced per month, then summed into every period holding the month (macros/month_rollup.sql)
results_by_month as (
    select
        'RESULTS_DIGITISED' as indicator_id,
        m.month_start, f.agency_code, f.unit_code, f.unit_valid_from, f.field_code,
        count(*) filter (where f.has_e_result) as num,
        count(*) as den
    from flags f
    join months m on f.end_date between m.month_start and m.p_end
    where f.is_completed and f.has_result
    group by all
),
copies_by_month as (
    select
        'ECERT_COPY_SHARE' as indicator_id,
        m.month_start, f.agency_code, f.unit_code, f.unit_valid_from, f.field_code,
        count(*) filter (where f.has_e_result) as num,
        count(*) as den
    from flags f
    join months m on f.received_date between m.month_start and m.p_end
    where f.is_copy_certification
    group by all
),
ratings as (
    select distinct dossier_code, rated_at, rating
    from {{ ref('stg_ratings__dossier_ratings') }}
    where dossier_code is not null and rated_at is not null and rating is not null
),
rated_by_month as (
    select
        'RATING_SATISFIED' as indicator_id,
        -- a rating counts in the periods of its own date, even after the dossiers' as-of (METHODOLOGY §5): its
        -- calendar month, which need not be a published month (a rating in August counts in a running Q3)
        cast(date_trunc('month', cast(r.rated_at as date)) as date) as month_start,
        d.agency_code, d.unit_code, d.unit_valid_from, d.field_code,
        count(*) filter (where r.rating in ('rat_hai_long', 'hai_long')) as num,
        count(*) as den
    from ratings r
    join {{ ref('int_dossier_lifecycle') }} d on d.dossier_code = r.dossier_code
    where d.unit_code is not null
    group by all
),
by_month as (
    select * from results_by_month
    union all
    select * from copies_by_month
    union all
    select * from rated_by_month
),
-- a completion, a copy or a rating dated after its unit ceased counts for the unit's successor (issue 21)
attributed as (
    {{ attribute_to_successors('by_month') }}
),
summed as (
    {{ roll_months_up('attributed', 'periods',
                      ['indicator_id', 'agency_code', 'unit_code', 'unit_valid_from', 'field_code'], ['num', 'den']) }}
),
reduced as (
    select indicator_id, period_type, period, agency_code, unit_code, unit_valid_from, field_code,
           cast(null as varchar) as procedure_code, num, den, cast(null as double) as value_sum, den as n
    from summed
),
rolled as (
    {{ dossier_values_rollup('reduced', by_field=true, by_procedure=false, by_agency=true) }}
)
select
    {{ indicator_values_columns() }}
from rolled
where denominator > 0
