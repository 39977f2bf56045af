-- The catalogue version of each procedure code in force in each period (METHODOLOGY §1 "Procedure-based rows"):
-- in force at some day of the period (hieu_luc_tu ≤ P_end and hieu_luc_den ≥ period start); when several are,
-- the latest. Shared by the agency and unit procedure sets so both read one version per (period, code).
with periods as (
    select period_type, period, period_start, period_end, p_end, is_running from {{ ref('int_periods') }}
),
versions as (
    select * from {{ ref('int_procedures') }} where procedure_code is not null
)
select
    p.period_type,
    p.period,
    p.period_start,
    p.period_end,
    p.p_end,
    p.is_running,
    v.procedure_code,
    v.valid_from as procedure_valid_from,
    v.valid_to as procedure_valid_to,
    v.field_code,
    v.levels,
    coalesce(v.level_tinh, false) as level_tinh,
    coalesce(v.level_huyen, false) as level_huyen,
    coalesce(v.level_xa, false) as level_xa,
    v.online_service_level,
    coalesce(v.online_service_level in ('toan_trinh', 'mot_phan'), false) as is_online_enabled,
    coalesce(v.has_fee, false) as has_fee,
    coalesce(v.is_citizen_facing, false) as is_citizen_facing,
    coalesce(v.is_fully_disclosed, false) as is_fully_disclosed,
    coalesce(v.valid_from, date '0001-01-01') <= p.p_end
        and coalesce(v.valid_to, date '9999-12-31') >= p.p_end as in_force_at_p_end
from periods p
join versions v
  on coalesce(v.valid_from, date '0001-01-01') <= p.p_end
 and coalesce(v.valid_to, date '9999-12-31') >= p.period_start
qualify row_number() over (
    partition by p.period_type, p.period, v.procedure_code order by v.valid_from desc nulls last
) = 1
