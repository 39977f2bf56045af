-- QD766_5_4 (METHODOLOGY §3): satisfaction with dossier handling, unscored.
--   denominator D = QD766_2_1's denominator: dossiers completed in P + open at P_end
--   numerator     = D − those resolved late or pending overdue at P_end, rated "khong_hai_long" by P_end, or
--                   named by a PAKN received by P_end (int_qd766_5_4_dossier_periods)
-- Rows: per unit subtree — whole and per field (the land / construction / investment targets G05-DD, G06-XD,
-- G07-DT) — and per agency (whole and per field). Only where D > 0.
-- Rolled up from months (issue 20 point 2; int_qd766_5_4_dossier_periods holds month rows only). For a period P
-- holding months m1 … mk, of a unit version judged on judged_on = least(P_end, unit_valid_to):
--   resolved in some month of P: in D(P); satisfied unless late, or rated khong_hai_long / named by a PAKN on or
--     before judged_on — counted per (month, first such date) so that each period compares the date itself;
--   open at P_end: the month holding judged_on has exactly these dossiers open at its own (equal) P_end, with the
--     same reasons judged there (int_bieu06_counts argues why no other month can hold one).
with d as (
    select * from {{ ref('int_qd766_5_4_dossier_periods') }}
),
periods as (
    select period_type, period, period_start, period_end, p_end from {{ ref('int_periods') }}
),
units as (
    select unit_code, valid_from, valid_to from {{ ref('int_admin_units') }}
),
resolved as (
    select
        period_start as month_start, agency_code, unit_code, unit_valid_from, field_code,
        least(first_unsatisfied_date, first_pakn_date) as first_bad_date,
        count(*) as n,
        count(*) filter (where not is_late) as n_not_late
    from d
    where resolved_in_period
    group by all
),
open_at_end as (
    select
        period_start as month_start, agency_code, unit_code, unit_valid_from, field_code,
        count(*) as n,
        count(*) filter (where is_satisfied) as n_satisfied
    from d
    where not resolved_in_period
    group by all
),
judged as (
    -- every period holding the month, with the day the unit version's period is judged on
    select p.period_type, p.period, least(p.p_end, coalesce(u.valid_to, p.p_end)) as judged_on, m.*
    from (select distinct month_start, unit_code, unit_valid_from from resolved
          union select distinct month_start, unit_code, unit_valid_from from open_at_end) m
    join periods p on m.month_start between p.period_start and p.period_end
    left join units u on u.unit_code = m.unit_code and u.valid_from = m.unit_valid_from
),
pieces as (
    select j.period_type, j.period, r.agency_code, r.unit_code, r.unit_valid_from, r.field_code,
        case when r.first_bad_date is null or r.first_bad_date > j.judged_on then r.n_not_late else 0 end as num,
        r.n as den
    from resolved r
    join judged j using (month_start, unit_code, unit_valid_from)
    union all
    select j.period_type, j.period, o.agency_code, o.unit_code, o.unit_valid_from, o.field_code,
        o.n_satisfied, o.n
    from open_at_end o
    join judged j using (month_start, unit_code, unit_valid_from)
    where j.judged_on between o.month_start and last_day(o.month_start)
),
reduced as (
    select
        'QD766_5_4' as indicator_id,
        period_type,
        period,
        agency_code,
        unit_code,
        unit_valid_from,
        field_code,
        cast(null as varchar) as procedure_code,
        cast(sum(num) as bigint) as num,
        cast(sum(den) as bigint) as den,
        cast(null as double) as value_sum,
        cast(sum(den) as bigint) as n
    from pieces
    group by all
),
rolled as (
    {{ dossier_values_rollup('reduced', by_field=true, by_procedure=false, by_agency=true) }}
)
select
    {{ indicator_values_columns() }}
from rolled
where denominator > 0
