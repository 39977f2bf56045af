{{ config(materialized="incremental", incremental_strategy="append", pre_hook="{{ delete_periods_in_scope() }}") }}
{{ require_incremental_table() }}
-- Incremental by period (macros/incremental.sql), like int_qd766_procedure_items it reads.
-- Why a unit lost points on a procedure-based QD766 row: one row per (indicator, period, unit version
-- [, agency], procedure) in the denominator but not in the numerator (int_qd766_procedure_items), with the reason
-- (e.g. "decision … 3 working days before the legal basis took effect on … (needs ≥ 5)"). Already at the grain of
-- the thing that failed (DATA_CONTRACT §2.2 explain/): a procedure fails for a unit and period (whether it had
-- dossiers in P, a decision dated in P …), at the unit's own row — a unit handles the procedures of its subtree's
-- agencies, so each unit has its own rows and none is copied to an ancestor.
with procedure_names as (
    select procedure_code, any_value(procedure_name order by valid_from desc nulls last) as procedure_name
    from {{ ref('dim_procedures') }} group by procedure_code
),
periods_in_scope as (
    select period_type, period from {{ ref('int_periods') }} where {{ period_in_build_scope() }}
)
select
    i.indicator_id,
    i.period_type,
    i.period,
    u.province_code,
    i.unit_code,
    i.unit_valid_from,
    i.unit_level,
    i.agency_code,
    i.procedure_code,
    p.procedure_name,
    i.reason
from {{ ref('int_qd766_procedure_items') }} i
left join procedure_names p on p.procedure_code = i.procedure_code
left join {{ ref('dim_units') }} u on u.unit_code = i.unit_code and u.unit_valid_from = i.unit_valid_from
semi join periods_in_scope s
  on s.period_type = i.period_type and s.period = i.period
where not i.is_met
