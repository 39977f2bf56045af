{{ config(materialized="table") }}
-- The improvement planner as published (issue 23, improvement_plan.csv): ind_improvement_plan's actions for the
-- periods a province acts on — the latest period of each type in var('improvement_plan_period_types') (default the
-- month and the year the scorecard shows) — with the action's wording (seed improvement_actions) and the items
-- behind it named: up to var('improvement_plan_named_items') codes (dossiers oldest reception first, procedures and
-- petitions by code), and how many there are in all. The full lists are the explain tables (analyst views
-- qd766_failing_dossiers_by_period / qd766_failing_pakn_by_period, explain_qd766_procedures).
-- Only the latest periods: a plan is for what a unit can still change; every period's arithmetic stays in
-- indicators.ind_improvement_plan.
{% set n_named = var('improvement_plan_named_items', 20) | int %}
{% set period_types = var('improvement_plan_period_types', ['M', 'Y']) %}
with latest as (
    select period_type, max(period) as period
    from {{ ref('int_periods') }}
    where period_type in ({% for t in period_types %}'{{ t }}'{{ ", " if not loop.last }}{% endfor %})
    group by period_type
),
plan as (
    select p.*
    from {{ ref('ind_improvement_plan') }} p
    semi join latest l on l.period_type = p.period_type and l.period = p.period
),
-- one row per failing item of each (period, unit version, row) — the unit's own and every ancestor's: the analyst
-- views expand a dossier / petition to its units' ancestors (a district's list holds its communes' dossiers)
items as (
    -- dossiers: oldest reception first, the ones a unit has kept waiting longest
    select 'dossier' as item_kind, d.period_type, d.period, d.unit_code, d.unit_valid_from, d.indicator_id,
           d.dossier_code as item_code, min(d.received_date) as sort_date
    from {{ ref('qd766_failing_dossiers_by_period') }} d
    semi join latest l on l.period_type = d.period_type and l.period = d.period
    group by d.period_type, d.period, d.unit_code, d.unit_valid_from, d.indicator_id, d.dossier_code
    union all
    select 'procedure', x.period_type, x.period, x.unit_code, x.unit_valid_from, x.indicator_id, x.procedure_code,
           cast(null as date)
    from {{ ref('explain_qd766_procedures') }} x
    semi join latest l on l.period_type = x.period_type and l.period = x.period
    where x.agency_code is null  -- the unit's own row (agency rows are the same procedures, per agency)
    group by x.period_type, x.period, x.unit_code, x.unit_valid_from, x.indicator_id, x.procedure_code
    union all
    select 'petition', x.period_type, x.period, x.unit_code, x.unit_valid_from, x.indicator_id, x.petition_code,
           cast(null as date)
    from {{ ref('qd766_failing_pakn_by_period') }} x
    semi join latest l on l.period_type = x.period_type and l.period = x.period
    group by x.period_type, x.period, x.unit_code, x.unit_valid_from, x.indicator_id, x.petition_code
),
ranked as (
    select *, row_number() over (partition by item_kind, period_type, period, unit_code, unit_valid_from, indicator_id
                                 order by sort_date nulls last, item_code) as rn
    from items
),
named as (
    select item_kind, period_type, period, unit_code, unit_valid_from, indicator_id, count(*) as n,
           string_agg(item_code, ';' order by rn) filter (where rn <= {{ n_named }}) as named
    from ranked
    group by item_kind, period_type, period, unit_code, unit_valid_from, indicator_id
)
select
    cast(p.formula_version as varchar)     as formula_version,
    cast(p.period_type as varchar)         as period_type,
    cast(p.period as varchar)              as period,
    cast(p.is_running as boolean)          as is_running,
    cast(u.province_code as varchar)       as province_code,
    cast(p.unit_code as varchar)           as unit_code,
    cast(p.unit_valid_from as date)        as unit_valid_from,
    cast(u.unit_name as varchar)           as unit_name,
    cast(p.unit_level as varchar)          as unit_level,
    cast(p.action_rank as integer)         as action_rank,
    cast(p.indicator_id as varchar)        as indicator_id,
    cast(p.indicator_name_vi as varchar)   as indicator_name_vi,
    cast(p.group_id as varchar)            as group_id,
    cast(a.action_vi as varchar)           as action_vi,
    cast(a.action_en as varchar)           as action_en,
    cast(p.scoring_rule as varchar)        as scoring_rule,
    cast(p.threshold as double)            as threshold,
    cast(p.numerator as double)            as numerator,
    cast(p.denominator as double)          as denominator,
    cast(p.points as double)               as points,
    cast(p.max_points as double)           as max_points,
    cast(p.points_lost as double)          as points_lost,
    cast(p.item_kind as varchar)           as item_kind,
    cast(p.failing_items as bigint)        as failing_items,
    cast(p.items_to_full as bigint)        as items_to_full,
    cast(p.gain_first_item as double)      as gain_first_item,
    cast(p.gain_to_full as double)         as gain_to_full,
    cast(p.gain_per_item as double)        as gain_per_item,
    cast(coalesce(n.n, 0) as bigint)       as named_items_total,
    cast(n.named as varchar)               as named_items
from plan p
left join {{ ref('improvement_actions') }} a on a.indicator_id = p.indicator_id
left join named n
  on n.item_kind = p.item_kind and n.period_type = p.period_type and n.period = p.period
 and n.unit_code = p.unit_code and n.unit_valid_from = p.unit_valid_from and n.indicator_id = p.indicator_id
left join {{ ref('dim_units') }} u on u.unit_code = p.unit_code and u.unit_valid_from = p.unit_valid_from
