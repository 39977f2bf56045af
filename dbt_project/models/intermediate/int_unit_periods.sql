-- Every unit version valid at some point of each period (up to P_end for a running period): the frame every
-- whole-unit indicator row is published on, with the QD766 formula version in force on the last day the unit
-- existed in the period (METHODOLOGY §1: the period's last day unless the unit ceased inside it).
with periods as (
    select * from {{ ref('int_periods') }}
),
versions as (
    select * from {{ ref('formula_versions') }} where family = 'QD766'
)
select
    p.period_type,
    p.period,
    p.period_start,
    p.period_end,
    p.p_end,
    p.is_running,
    u.unit_code,
    u.unit_valid_from,
    u.unit_valid_to,
    u.unit_level,
    u.unit_name,
    u.province_code,
    u.province_valid_from,
    (u.unit_valid_from > p.period_start or coalesce(u.unit_valid_to, date '9999-12-31') < p.period_end) as is_partial_period,
    v.formula_version as qd766_version
from {{ ref('dim_units') }} u
join periods p
  on u.unit_valid_from <= p.p_end
 and coalesce(u.unit_valid_to, date '9999-12-31') >= p.period_start
left join versions v
  on least(p.period_end, coalesce(u.unit_valid_to, date '9999-12-31'))
     between coalesce(v.valid_from, date '0001-01-01') and coalesce(v.valid_to, date '9999-12-31')
