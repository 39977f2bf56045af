{{ config(materialized="incremental", incremental_strategy="append", pre_hook="{{ delete_periods_in_scope() }}") }}
{{ require_incremental_table() }}
-- Incremental by period (macros/incremental.sql): only the periods in this build's scope are rebuilt.
-- Why the dossier-based QD766 rows 1_4, 3_3, 3_6, 4_1, 4_2, 4_3, 4_4, 4_5b lost points: one row per
-- (period, dossier received in P) that is in the denominator but not the numerator of at least one of them, at the
-- dossier's own unit, agency and field; fails_<row> is true for each row it failed (false when it counted in the
-- numerator or is outside that row's denominator). A unit's explain rows are those of the dossiers of its subtree
-- (join int_admin_unit_tree descendant → ancestor).
with f as (
    select
        *,
        not num_1_4 as fails_qd766_1_4,
        not num_3_3 as fails_qd766_3_3,
        den_3_6 and not num_3_6 as fails_qd766_3_6,
        den_4_1 and not num_4_1 as fails_qd766_4_1,
        not num_4_2 as fails_qd766_4_2,
        not num_4_3 as fails_qd766_4_3,
        not num_4_4 as fails_qd766_4_4,
        not num_4_5b as fails_qd766_4_5b
    from {{ ref('int_qd766_dossier_flags') }}
),
periods as (
    select period_type, period, period_start, p_end from {{ ref('int_periods') }} where {{ period_in_build_scope() }}
)
select
    p.period_type,
    p.period,
    f.dossier_code,
    f.unit_code,
    f.unit_valid_from,
    f.agency_code,
    f.field_code as ma_linh_vuc,
    f.procedure_code as ma_tthc,
    f.procedure_known,
    f.requires_paper_result,
    f.fails_qd766_1_4,
    f.fails_qd766_3_3,
    f.fails_qd766_3_6,
    f.fails_qd766_4_1,
    f.fails_qd766_4_2,
    f.fails_qd766_4_3,
    f.fails_qd766_4_4,
    f.fails_qd766_4_5b,
    concat_ws(';',
        case when f.fails_qd766_1_4 then 'QD766_1_4' end,
        case when f.fails_qd766_3_3 then 'QD766_3_3' end,
        case when f.fails_qd766_3_6 then 'QD766_3_6' end,
        case when f.fails_qd766_4_1 then 'QD766_4_1' end,
        case when f.fails_qd766_4_2 then 'QD766_4_2' end,
        case when f.fails_qd766_4_3 then 'QD766_4_3' end,
        case when f.fails_qd766_4_4 then 'QD766_4_4' end,
        case when f.fails_qd766_4_5b then 'QD766_4_5b' end
    ) as failed_indicators
from f
join periods p on f.received_date between p.period_start and p.p_end
where f.fails_qd766_1_4 or f.fails_qd766_3_3 or f.fails_qd766_3_6 or f.fails_qd766_4_1
   or f.fails_qd766_4_2 or f.fails_qd766_4_3 or f.fails_qd766_4_4 or f.fails_qd766_4_5b
