-- The procedures each unit version handles in each period (METHODOLOGY §1 "Procedure-based rows"): catalogue
-- procedures whose cap_thuc_hien includes the unit's level (macro unit_handles_procedure, var
-- qd766_procedure_levels) and that are in force at some day of the period (hieu_luc_tu ≤ P_end and
-- hieu_luc_den ≥ period start). Attributes come from the latest version of the code in force in the period.
-- Unit versions: those valid at some day of the period (up to P_end for a running period).
with periods as (
    select period_type, period, period_start, period_end, p_end, is_running from {{ ref('int_periods') }}
),
units as (
    select unit_code, unit_valid_from, unit_valid_to, unit_level from {{ ref('dim_units') }}
),
unit_frame as (
    select u.*, p.*
    from units u
    join periods p
      on u.unit_valid_from <= p.p_end
     and coalesce(u.unit_valid_to, date '9999-12-31') >= p.period_start
),
versions as (
    select * from {{ ref('dim_procedures') }} where procedure_code is not null
),
-- one version per (period, code): the latest one in force during the period
period_versions as (
    select p.period_type, p.period, p.p_end, v.*
    from periods p
    join versions v
      on coalesce(v.valid_from, date '0001-01-01') <= p.p_end
     and coalesce(v.valid_to, date '9999-12-31') >= p.period_start
    qualify row_number() over (
        partition by p.period_type, p.period, v.procedure_code order by v.valid_from desc nulls last
    ) = 1
)
select
    f.period_type,
    f.period,
    f.period_start,
    f.period_end,
    f.p_end,
    f.is_running,
    f.unit_code,
    f.unit_valid_from,
    f.unit_valid_to,
    f.unit_level,
    (f.unit_valid_from > f.period_start or coalesce(f.unit_valid_to, date '9999-12-31') < f.period_end) as is_partial_period,
    v.procedure_code,
    v.valid_from as procedure_valid_from,
    v.valid_to as procedure_valid_to,
    v.field_code,
    v.levels,
    v.online_service_level,
    coalesce(v.online_service_level in ('toan_trinh', 'mot_phan'), false) as is_online_enabled,
    coalesce(v.has_fee, false) as has_fee,
    coalesce(v.is_citizen_facing, false) as is_citizen_facing,
    coalesce(v.is_fully_disclosed, false) as is_fully_disclosed,
    coalesce(v.valid_from, date '0001-01-01') <= f.p_end
        and coalesce(v.valid_to, date '9999-12-31') >= f.p_end as in_force_at_p_end
from unit_frame f
join period_versions v
  on v.period_type = f.period_type and v.period = f.period
 and {{ unit_handles_procedure('f.unit_level', 'v.level_tinh', 'v.level_huyen', 'v.level_xa') }}
