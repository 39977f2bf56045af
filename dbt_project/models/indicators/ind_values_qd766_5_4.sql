-- QD766_5_4 (METHODOLOGY §3): satisfaction with dossier handling, unscored.
--   denominator D = QD766_2_1's denominator: dossiers completed in P + open at P_end
--   numerator     = D − those resolved late or pending overdue at P_end, rated "khong_hai_long" by P_end, or
--                   named by a PAKN received by P_end (int_qd766_5_4_dossier_periods)
-- Rows: per unit subtree — whole and per field (the land / construction / investment targets G05-DD, G06-XD,
-- G07-DT) — and per agency (whole and per field). Only where D > 0.
with d as (
    select * from {{ ref('int_qd766_5_4_dossier_periods') }}
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
        count(*) filter (where is_satisfied) as num,
        count(*) as den,
        cast(null as double) as value_sum,
        count(*) as n
    from d
    group by all
),
rolled as (
    {{ dossier_values_rollup('reduced', by_field=true, by_procedure=false, by_agency=true) }}
)
select
    {{ indicator_values_columns() }}
from rolled
where denominator > 0
