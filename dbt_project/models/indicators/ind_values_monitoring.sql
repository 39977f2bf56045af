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
results as (
    select
        'RESULTS_DIGITISED' as indicator_id,
        p.period_type, p.period, f.agency_code, f.unit_code, f.unit_valid_from, f.field_code,
        count(*) filter (where f.has_e_result) as num,
        count(*) as den
    from flags f
    join periods p on f.end_date between p.period_start and p.p_end
    where f.is_completed and f.has_result
    group by all
),
copies as (
    select
        'ECERT_COPY_SHARE' as indicator_id,
        p.period_type, p.period, f.agency_code, f.unit_code, f.unit_valid_from, f.field_code,
        count(*) filter (where f.has_e_result) as num,
        count(*) as den
    from flags f
    join periods p on f.received_date between p.period_start and p.p_end
    where f.is_copy_certification
    group by all
),
ratings as (
    select distinct dossier_code, rated_at, rating
    from {{ ref('stg_ratings__dossier_ratings') }}
    where dossier_code is not null and rated_at is not null and rating is not null
),
rated as (
    select
        'RATING_SATISFIED' as indicator_id,
        p.period_type, p.period, d.agency_code, d.unit_code, d.unit_valid_from, d.field_code,
        count(*) filter (where r.rating in ('rat_hai_long', 'hai_long')) as num,
        count(*) as den
    from ratings r
    join {{ ref('int_dossier_lifecycle') }} d on d.dossier_code = r.dossier_code
    -- a rating counts in the periods of its own date, even after the dossiers' as-of (METHODOLOGY §5)
    join periods p on cast(r.rated_at as date) between p.period_start and p.period_end
    where d.unit_code is not null
    group by all
),
reduced as (
    select indicator_id, period_type, period, agency_code, unit_code, unit_valid_from, field_code,
           cast(null as varchar) as procedure_code, num, den, cast(null as double) as value_sum, den as n
    from results
    union all
    select indicator_id, period_type, period, agency_code, unit_code, unit_valid_from, field_code,
           cast(null as varchar), num, den, cast(null as double), den
    from copies
    union all
    select indicator_id, period_type, period, agency_code, unit_code, unit_valid_from, field_code,
           cast(null as varchar), num, den, cast(null as double), den
    from rated
),
rolled as (
    {{ dossier_values_rollup('reduced', by_field=true, by_procedure=false, by_agency=true) }}
)
select
    {{ indicator_values_columns() }}
from rolled
where denominator > 0
