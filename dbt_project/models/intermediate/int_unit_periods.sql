-- Every unit version valid at some point of each period (up to P_end for a running period): the frame every
-- whole-unit indicator row is published on, with the QD766 formula version in force on the last day the unit
-- existed in the period (METHODOLOGY §1: the period's last day unless the unit ceased inside it).
with periods as (
    select * from {{ ref('int_periods') }}
),
versions as (
    select * from {{ ref('formula_versions') }} where family = 'QD766'
),
-- Series semantics across a reorganisation (METHODOLOGY §7, ADMIN_UNITS.md "Readings"; issue 21):
--   a break: a unit version the lineage table creates that is not a plain continuation of one predecessor — it
--     has several predecessors, or a predecessor of another code (a reused code), or takes a share of one, or its
--     predecessor also went elsewhere. Its first period of each type is published with obs_status B;
--   discontinued: a ceased version with no successor of the same code (districts, province 06, communes merged
--     into another code) — its last period of each type carries the comment "discontinued on <its last day>".
lineage as (
    select *, count(*) over (partition by old_code, old_valid_from) as successors
    from {{ ref('int_unit_lineage') }}
),
breaks as (
    select new_code as unit_code, new_valid_from as unit_valid_from
    from lineage
    group by all
    having count(*) > 1 or bool_or(old_code <> new_code or coalesce(share, 1) < 1 or successors > 1)
),
continued as (
    select distinct old_code as unit_code, old_valid_from as unit_valid_from from lineage where new_code = old_code
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
    v.formula_version as qd766_version,
    b.unit_code is not null and u.unit_valid_from between p.period_start and p.period_end as is_series_break,
    case when u.unit_valid_to between p.period_start and p.period_end and c.unit_code is null
         then u.unit_valid_to end as discontinued_on
from {{ ref('int_units') }} u
join periods p
  on u.unit_valid_from <= p.p_end
 and coalesce(u.unit_valid_to, date '9999-12-31') >= p.period_start
left join breaks b on b.unit_code = u.unit_code and b.unit_valid_from = u.unit_valid_from
left join continued c on c.unit_code = u.unit_code and c.unit_valid_from = u.unit_valid_from
left join versions v
  on least(p.period_end, coalesce(u.unit_valid_to, date '9999-12-31'))
     between coalesce(v.valid_from, date '0001-01-01') and coalesce(v.valid_to, date '9999-12-31')
