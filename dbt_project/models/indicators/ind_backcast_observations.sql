{{ config(materialized="table") }}
-- A plain table rebuilt every run, not incremental by the plan's period scope: the value models it reads include
-- closed periods that change outside that scope (a late rating changes a closed month's QD766_5_4 and
-- RATING_SATISFIED — the scoring layer catches those by digest). On a warehouse without a reorganisation
-- (int_unit_successors empty) it reads nothing.
-- Comparable series on the new boundaries (issue 21 point 3; ADMIN_UNITS.md "What this means for indicator series"
-- point 2; METHODOLOGY §7): every dossier-based row and the Biểu 06 columns of the periods that ended before a
-- unit version came into force, recomputed for that unit from the dossier-level history of its predecessors
-- through the lineage table, and published as obs_status E — a separate series, keyed by the NEW unit version
-- (unit_valid_from 2025-07-01), so it never collides with, nor revises, the as-published values of the old units.
--   * each predecessor agency's own values (the agency rows of the value models, which hold exactly that agency's
--     dossiers) go to the direct successor of the agency's unit (int_unit_successors step 1: the unit's own lineage
--     row, else its nearest ancestor's — a dissolved district's agencies go to the new province only), and are
--     summed up the new unit tree: numerators, denominators and counts add; a mean (QD766_2_2) is re-weighted
--     by its n. Pending and carried-over counts add too: every predecessor's period ends on the same day.
--   * periods ending before the successor's attributed_from only (2025-06, 2025-Q2, 2025-H1, 2024, …); a period
--     straddling the change (the year 2025) is published as it happened (the new unit's partial year, B).
--   * the Biểu 06 columns as observations BIEU06_COL03 … BIEU06_COL13 (the count in `ratio`, as the SDMX and
--     revision views of report_bieu06 name them): the official form itself shows the units as they were;
--   * formula version of the period (June 2025 → QD766-2022), as the as-published rows of that period.
--   * not back-cast (not dossier-based): procedure-based rows, PAKN, SIPAS, group scores and totals, ranks.
{%- set members = [
    'ind_values_qd766_2_1',
    'ind_values_qd766_dossiers',
    'ind_values_qd766_2_2',
    'ind_values_qd766_5_4',
    'ind_values_monitoring',
] %}
{%- set bieu06 = {
    'BIEU06_COL03': 'received_total', 'BIEU06_COL04': 'received_online', 'BIEU06_COL05': 'received_direct_postal',
    'BIEU06_COL06': 'carried_over', 'BIEU06_COL07': 'resolved_total', 'BIEU06_COL08': 'resolved_early',
    'BIEU06_COL09': 'resolved_on_time', 'BIEU06_COL10': 'resolved_late', 'BIEU06_COL11': 'pending_total',
    'BIEU06_COL12': 'pending_within_time', 'BIEU06_COL13': 'pending_overdue',
} %}
with successors as (
    select * from {{ ref('int_unit_successors') }} where step = 1
),
periods as (
    select period_type, period, period_start, period_end, p_end, is_running from {{ ref('int_periods') }}
),
agency_values as (
    {%- for m in members %}
    select indicator_id, period_type, period, unit_code, unit_valid_from, field_code, procedure_code,
           numerator, denominator, value, n
    from {{ ref(m) }}
    where agency_code is not null and unit_code in (select successors.unit_code from successors)
    union all
    {%- endfor %}
    select
        case col
            {%- for id, col in bieu06.items() %}
            when '{{ col }}' then '{{ id }}'
            {%- endfor %}
        end as indicator_id,
        period_type, period, unit_code, unit_valid_from, field_code, cast(null as varchar) as procedure_code,
        cast(cnt as double) as numerator, null as denominator, null as value, cnt as n
    from (
        unpivot (
            select period_type, period, unit_code, unit_valid_from, field_code,
                   {{ bieu06.values() | join(', ') }}
            from {{ ref('ind_bieu06') }}
            where agency_code is not null and unit_code in (select successors.unit_code from successors)
        ) on {{ bieu06.values() | join(', ') }} into name col value cnt
    )
),
mapped as (
    select v.*, s.successor_code, s.successor_valid_from
    from agency_values v
    join successors s on s.unit_code = v.unit_code and s.unit_valid_from = v.unit_valid_from
    join periods p on p.period_type = v.period_type and p.period = v.period
    where p.period_end < s.attributed_from
),
rolled as (
    select
        m.indicator_id, m.period_type, m.period,
        t.ancestor_code as unit_code, t.ancestor_valid_from as unit_valid_from,
        m.field_code, m.procedure_code,
        sum(m.numerator) as numerator,
        sum(m.denominator) as denominator,
        sum(m.value * m.n) / nullif(sum(m.n) filter (where m.value is not null), 0) as value,
        sum(m.n) as n
    from mapped m
    join {{ ref('int_admin_unit_tree') }} t
      on t.descendant_code = m.successor_code and t.descendant_valid_from = m.successor_valid_from
    group by all
),
versions as (
    select * from {{ ref('formula_versions') }}
),
defs as (
    {{ scored_definitions() }}
),
joined as (
    select
        r.*,
        p.is_running,
        u.unit_level, u.unit_name, u.unit_valid_from as unit_first_day,
        d.formula_version, d.name_vi, d.group_id, d.unit_measure, d.max_points, d.scoring_rule, d.threshold,
        d.empty_rule
    from rolled r
    join periods p on p.period_type = r.period_type and p.period = r.period
    join {{ ref('dim_units') }} u on u.unit_code = r.unit_code and u.unit_valid_from = r.unit_valid_from
    -- the definition in force on the period's last day, in the indicator's own family
    join defs d on d.indicator_id = r.indicator_id
    join versions v on v.formula_version = d.formula_version
     and p.period_end between coalesce(v.valid_from, date '0001-01-01') and coalesce(v.valid_to, date '9999-12-31')
    -- a row every unit gets in full (QD766_4_6 under the portal's reading) says nothing about the territory
    where d.scoring_rule <> 'full'
),
valued as (
    select
        *,
        case
            when group_id = 'BIEU06' then numerator  -- a Biểu 06 column: the count itself
            else {{ observation_ratio() }}
        end as ratio
    from joined
)
select
    formula_version,
    indicator_id,
    name_vi as indicator_name_vi,
    period_type,
    period,
    is_running,
    unit_code,
    unit_valid_from,
    unit_level,
    unit_name,
    cast(null as varchar) as agency_code,
    field_code,
    procedure_code,
    case when group_id = 'BIEU06' then null else numerator end as numerator,
    case when group_id = 'BIEU06' then null else denominator end as denominator,
    ratio,
    case
        when scoring_rule not in ('linear', 'threshold') then null
        else {{ indicator_points('ratio', 'scoring_rule', 'max_points', 'threshold', 'empty_rule', 'denominator') }}
    end as points,
    case when scoring_rule in ('linear', 'threshold') then max_points end as max_points,
    cast(null as varchar) as grade,
    cast(null as integer) as rank,
    cast(null as integer) as rank_of,
    cast(n as bigint) as n,
    case when ratio is null then 'M' else 'E' end as obs_status,
    'comparable series: back-cast on the units in force from ' || strftime(unit_first_day, '%Y-%m-%d')
        || ' from the dossiers of their predecessors' as comment,
    group_id,
    unit_measure
from valued
