-- PAKN rows of the Decision 766 index (QD766_5_1 monitoring, 5_2, 5_3) as unscored values
-- (docs/indicator_values_contract.md), counted from int_qd766_petition_items (the rules are documented there):
-- whole-unit rows roll each PAKN up to every ancestor of its agency's unit (each unit covers its subtree);
-- agency rows are published under the agency's own unit. Empty denominators are left to the scoring layer
-- (empty rule 'full' for 5_2 and 5_3 in the definitions seed).
with items as (
    select * from {{ ref('int_qd766_petition_items') }}
),
periods as (
    select period_type, period, period_start, period_end, p_end from {{ ref('int_periods') }}
),
unit_rows as (
    select
        i.indicator_id, i.period_type, i.period,
        t.ancestor_code as unit_code, t.ancestor_valid_from as unit_valid_from,
        cast(null as varchar) as agency_code,
        count(*) filter (where i.is_met) as numerator,
        count(*) as denominator
    from items i
    join {{ ref('int_admin_unit_tree') }} t
      on t.descendant_code = i.unit_code and t.descendant_valid_from = i.unit_valid_from
    group by all
),
agency_rows as (
    select
        indicator_id, period_type, period, unit_code, unit_valid_from, agency_code,
        count(*) filter (where is_met) as numerator,
        count(*) as denominator
    from items
    where unit_code is not null and agency_code is not null
    group by all
),
all_rows as (
    select * from unit_rows
    union all
    select * from agency_rows
)
select
    r.indicator_id,
    r.period_type,
    r.period,
    r.unit_code,
    r.unit_valid_from,
    r.agency_code,
    cast(null as varchar) as field_code,
    cast(null as varchar) as procedure_code,
    cast(r.numerator as double) as numerator,
    cast(r.denominator as double) as denominator,
    cast(null as double) as value,
    cast(r.denominator as bigint) as n,
    case when r.unit_valid_from > p.period_start or coalesce(u.unit_valid_to, date '9999-12-31') < p.period_end
         then 'partial period' end as comment
from all_rows r
join periods p on p.period_type = r.period_type and p.period = r.period
left join {{ ref('dim_units') }} u on u.unit_code = r.unit_code and u.unit_valid_from = r.unit_valid_from
