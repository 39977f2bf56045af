{{ config(materialized="incremental", incremental_strategy="append", pre_hook="{{ delete_periods_in_scope() }}") }}
{{ require_incremental_table() }}
-- Incremental by period (macros/incremental.sql): only the periods in this build's scope are rebuilt — a closed
-- period's rows depend on the catalogue, applicability list and registries only, which are in the build fingerprint.
-- The procedures each unit version handles in each period (METHODOLOGY §1 "Procedure-based rows"):
--   * with an applicability list (procedures/applicability.csv): the union over the agencies of the unit's subtree
--     of the procedures applied to them (int_agency_period_procedures); a procedure is fee-bearing for the unit
--     when it is for at least one of those agencies (their own co_phi, else the catalogue's flag);
--   * without one: the catalogue procedures whose cap_thuc_hien includes the unit's level (macro
--     unit_handles_procedure, var qd766_procedure_levels).
-- Procedures in force at some day of the period; attributes from the latest version in force in the period
-- (int_period_procedures). Unit versions: those valid at some day of the period (up to P_end for a running period).
with periods as (
    select period_type, period, period_start, period_end, p_end, is_running from {{ ref('int_periods') }}
    where {{ period_in_build_scope() }}
),
unit_frame as (
    select u.unit_code, u.unit_valid_from, u.unit_valid_to, u.unit_level, p.*
    from {{ ref('int_units') }} u
    join periods p
      on u.unit_valid_from <= p.p_end
     and coalesce(u.unit_valid_to, date '9999-12-31') >= p.period_start
),
list_present as (
    select count(*) > 0 as present
    from {{ ref('stg_procedures__applicability') }}
    where procedure_code is not null and agency_code is not null
),
-- applicability: the subtree's agencies' procedures, one row per (period, ancestor unit version, code)
applied as (
    select a.period_type, a.period, t.ancestor_code as unit_code, t.ancestor_valid_from as unit_valid_from,
        a.procedure_code, bool_or(a.has_fee) as has_fee
    from {{ ref('int_agency_period_procedures') }} a
    join {{ ref('int_admin_unit_tree') }} t
      on t.descendant_code = a.unit_code and t.descendant_valid_from = a.unit_valid_from
    where (select list_present.present from list_present)
    group by all
),
handled as (
    select f.*, v.procedure_code, ap.has_fee as unit_has_fee
    from unit_frame f
    join applied ap
      on ap.period_type = f.period_type and ap.period = f.period
     and ap.unit_code = f.unit_code and ap.unit_valid_from = f.unit_valid_from
    join {{ ref('int_period_procedures') }} v
      on v.period_type = f.period_type and v.period = f.period and v.procedure_code = ap.procedure_code
    union all
    select f.*, v.procedure_code, v.has_fee
    from unit_frame f
    join {{ ref('int_period_procedures') }} v
      on v.period_type = f.period_type and v.period = f.period
     and {{ unit_handles_procedure('f.unit_level', 'v.level_tinh', 'v.level_huyen', 'v.level_xa') }}
    where not (select list_present.present from list_present)
)
select
    h.period_type,
    h.period,
    h.period_start,
    h.period_end,
    h.p_end,
    h.is_running,
    h.unit_code,
    h.unit_valid_from,
    h.unit_valid_to,
    h.unit_level,
    (h.unit_valid_from > h.period_start or coalesce(h.unit_valid_to, date '9999-12-31') < h.period_end) as is_partial_period,
    v.procedure_code,
    v.procedure_valid_from,
    v.procedure_valid_to,
    v.field_code,
    v.levels,
    v.online_service_level,
    v.is_online_enabled,
    coalesce(h.unit_has_fee, false) as has_fee,
    v.is_citizen_facing,
    v.is_fully_disclosed,
    v.in_force_at_p_end
from handled h
join {{ ref('int_period_procedures') }} v
  on v.period_type = h.period_type and v.period = h.period and v.procedure_code = h.procedure_code
