{{ config(materialized="incremental", incremental_strategy="append", pre_hook="{{ delete_periods_in_scope() }}") }}
{{ require_incremental_table() }}
-- Incremental by period (macros/incremental.sql), like int_qd766_procedure_items it reads.
-- Procedure-based rows of the Decision 766 index (QD766_1_1, 1_2, 1_3, 3_1, 3_2, 3_4, 3_5, 4_5a) as unscored
-- values (docs/indicator_values_contract.md): numerator = procedures meeting the row's rule, denominator =
-- procedures in the row's denominator, counted from int_qd766_procedure_items (the rules are documented there).
-- Whole-unit rows for unit versions with a non-empty denominator; per-agency rows (3_2, 3_4, 3_5, 4_5a) for every
-- agency that handles procedures of the row (METHODOLOGY §1: the applicability list, else its unit's level). The
-- scoring layer adds the empty rows, ratio, points and obs_status.
with periods_in_scope as (
    select period_type, period from {{ ref('int_periods') }} where {{ period_in_build_scope() }}
)
select
    i.indicator_id,
    i.period_type,
    i.period,
    i.unit_code,
    i.unit_valid_from,
    i.agency_code,
    cast(null as varchar) as field_code,
    cast(null as varchar) as procedure_code,
    cast(count(*) filter (where i.is_met) as double) as numerator,
    cast(count(*) as double) as denominator,
    cast(null as double) as value,
    cast(count(*) as bigint) as n,
    nullif(concat_ws('; ',
        case when bool_or(i.is_partial_period) then 'partial period' end,
        case when i.agency_code is not null then 'agency scope: the procedures the agency handles, with its own dossiers' end
    ), '') as comment
from {{ ref('int_qd766_procedure_items') }} i
semi join periods_in_scope s
  on s.period_type = i.period_type and s.period = i.period
group by i.indicator_id, i.period_type, i.period, i.unit_code, i.unit_valid_from, i.agency_code
