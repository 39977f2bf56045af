{{ config(materialized="view", schema="analyst") }}
-- The analysts' expanded view of indicators.explain_qd766_pakn: one row per (indicator, period, unit version —
-- the petition's own unit and every ancestor, depth 0 = its own —, petition) left out of the numerator, with the
-- reason in that period — the rows of the former per-period explain table, recovered from the failing-petition
-- table alone (the count of a (unit, period, indicator) is its denominator − numerator: tests/test_explain_grain.py).
with x as (
    select * from {{ ref('explain_qd766_pakn') }}
),
periods as (
    select period_type, period, period_start, period_end from {{ ref('int_periods') }}
),
by_type as (
    {%- for t in ['M', 'Q', 'H', 'Y'] %}
    select x.*, '{{ t }}' as failing_period_type, x.reason_{{ t | lower }} as period_reason
    from x where x.reason_{{ t | lower }} is not null
    {{ "union all" if not loop.last }}
    {%- endfor %}
)
select
    b.indicator_id,
    p.period_type,
    p.period,
    t.ancestor_code as unit_code,
    t.ancestor_valid_from as unit_valid_from,
    t.ancestor_level as unit_level,
    t.depth,
    b.agency_code,
    b.unit_code as agency_unit_code,
    b.unit_valid_from as agency_unit_valid_from,
    b.province_code,
    b.petition_code,
    b.period_reason as reason
from by_type b
-- the period of that type holding the reception month
join periods p
  on p.period_type = b.failing_period_type
 and cast(b.received_month || '-01' as date) between p.period_start and p.period_end
join {{ ref('int_admin_unit_tree') }} t
  on t.descendant_code = b.unit_code and t.descendant_valid_from = b.unit_valid_from
