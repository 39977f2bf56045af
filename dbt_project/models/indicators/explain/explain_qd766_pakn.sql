-- Why the PAKN rows QD766_5_1, 5_2, 5_3 lost points, at the grain of the thing that failed (DATA_CONTRACT §2.2
-- explain/): ONE row per (indicator, petition) left out of the numerator in at least one published period, at the
-- petition's own unit (its handling agency's unit at receipt) — no ancestor rows: a unit's value counts the
-- petitions of its subtree (int_admin_unit_tree; analyst.qd766_failing_pakn_by_period expands them).
-- A petition counts in the periods holding its receipt (int_qd766_petition_items: one month, quarter, half and
-- year), and is judged at each one's P_end (a PAKN in progress within its deadline at the month's end may be late
-- at the quarter's), so the reason is kept per period type: reason_m … reason_y (NULL = met in that period).
-- QD766_5_1A / 5_1B are shares of categories (monitoring), not failures: left out. Petitions without an attributed
-- unit count nowhere: left out.
with items as (
    select *
    from {{ ref('int_qd766_petition_items') }}
    where indicator_id in ('QD766_5_1', 'QD766_5_2', 'QD766_5_3') and unit_code is not null
),
per_petition as (
    select
        indicator_id,
        petition_code,
        agency_code,
        unit_code,
        unit_valid_from,
        -- the month period it counts in = its reception month
        max(period) filter (where period_type = 'M') as received_month,
        {%- for t in ['M', 'Q', 'H', 'Y'] %}
        max(period) filter (where period_type = '{{ t }}' and not is_met) as failing_{{ t | lower }},
        max(coalesce(reason, 'not met')) filter (where period_type = '{{ t }}' and not is_met) as reason_{{ t | lower }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from items
    group by all
)
select
    p.indicator_id,
    p.petition_code,
    u.province_code,
    p.unit_code,
    p.unit_valid_from,
    u.unit_level,
    p.agency_code,
    p.received_month,
    concat_ws(';', p.failing_m, p.failing_q, p.failing_h, p.failing_y) as failing_periods,
    -- the reason in the failing period with the latest P_end (year ≥ half ≥ quarter ≥ month)
    coalesce(p.reason_y, p.reason_h, p.reason_q, p.reason_m) as reason,
    p.reason_m,
    p.reason_q,
    p.reason_h,
    p.reason_y
from per_petition p
left join {{ ref('dim_units') }} u on u.unit_code = p.unit_code and u.unit_valid_from = p.unit_valid_from
where coalesce(p.reason_m, p.reason_q, p.reason_h, p.reason_y) is not null
