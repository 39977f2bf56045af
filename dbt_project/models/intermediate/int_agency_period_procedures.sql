{{ config(materialized="incremental", incremental_strategy="append", pre_hook="{{ delete_periods_in_scope() }}") }}
{{ require_incremental_table() }}
-- Incremental by period (macros/incremental.sql): only the periods in this build's scope are rebuilt — a closed
-- period's rows depend on the catalogue, applicability list and registries only, which are in the build fingerprint.
-- The procedures each agency handles in each period (METHODOLOGY §1 "Procedure-based rows"; DATA_CONTRACT §1.2):
--   * with an applicability list (any row in procedures/applicability.csv): the procedures applied to the agency
--     for some day of the period, as the national catalogue lists them (the portal's appliedDepartmentIds);
--     `has_fee` is the agency's own co_phi when given, else the catalogue's flag;
--   * without one: the level rule — the procedures of the agency's unit level (cap_thuc_hien; macro
--     unit_handles_procedure, var qd766_procedure_levels).
-- Only procedures with a catalogue version in force in the period (int_period_procedures) are kept: a code the
-- catalogue does not know is left out of every procedure-based row, as for dossiers. Agencies: every registry row
-- valid at some day of the period (up to P_end), under the unit version it belongs to (dim_agencies) — every
-- agency has its rows, dossiers or not, as the portal lists every department.
with periods as (
    select period_type, period, period_start, p_end from {{ ref('int_periods') }} where {{ period_in_build_scope() }}
),
applicability as (
    select * from {{ ref('stg_procedures__applicability') }}
    where procedure_code is not null and agency_code is not null
),
list_present as (
    select count(*) > 0 as present from applicability
),
agency_frame as (
    select p.period_type, p.period, a.agency_code, a.valid_from as agency_valid_from, a.unit_code, a.unit_valid_from,
        a.unit_level
    from {{ ref('int_agencies') }} a
    join periods p
      on a.valid_from <= p.p_end and coalesce(a.valid_to, date '9999-12-31') >= p.period_start
    where a.unit_valid_from is not null
),
listed as (
    select f.*, pp.procedure_code, coalesce(a.has_fee, pp.has_fee) as has_fee, 'applicability' as procedure_source
    from agency_frame f
    join applicability a
      on a.agency_code = f.agency_code
    join {{ ref('int_period_procedures') }} pp
      on pp.period_type = f.period_type and pp.period = f.period and pp.procedure_code = a.procedure_code
     and coalesce(a.valid_from, date '0001-01-01') <= pp.p_end
     and coalesce(a.valid_to, date '9999-12-31') >= pp.period_start
    where (select list_present.present from list_present)
    -- several applicability rows of one agency and code overlapping the period: the latest one
    qualify row_number() over (
        partition by f.period_type, f.period, f.agency_code, f.agency_valid_from, pp.procedure_code
        order by a.valid_from desc nulls last
    ) = 1
),
by_level as (
    select f.*, pp.procedure_code, pp.has_fee, 'level' as procedure_source
    from agency_frame f
    join {{ ref('int_period_procedures') }} pp
      on pp.period_type = f.period_type and pp.period = f.period
     and {{ unit_handles_procedure('f.unit_level', 'pp.level_tinh', 'pp.level_huyen', 'pp.level_xa') }}
    where not (select list_present.present from list_present)
)
select * from listed
union all
select * from by_level
