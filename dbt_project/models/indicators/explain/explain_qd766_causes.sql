{{ config(materialized="table") }}
-- Why points were lost, counted — the small table the scorecards read instead of explain rows: the number of
-- distinct failing things (dossiers, PAKN, procedures) per (period, OWN unit version, indicator, reason, field
-- [, procedure for QD766_2_1 only]). Own unit: a dossier or a PAKN counts at its handling agency's unit only, so a
-- subtree's count is the sum over its units (each thing belongs to one unit); a procedure counts at each unit whose
-- own whole-unit row it fails (a unit's procedure set is its subtree's: not additive up the tree).
-- Sources: QD766_2_1 and 5_4 from analyst.qd766_failing_dossiers_by_period at depth 0 (judged per period);
-- 1_4 … 4_5b from explain_qd766_dossiers counted by reception month, then summed into the quarter, half and year
-- holding the month (a dossier counts in the periods holding its reception date); PAKN from
-- analyst.qd766_failing_pakn_by_period at depth 0; procedures from explain_qd766_procedures (whole-unit rows).
-- A plain table rebuilt every run, like the explain tables it counts.
{% set reception_rows = qd766_reception_rows() %}
with periods as (
    select period_type, period, period_start, period_end from {{ ref('int_periods') }}
),
judged as (
    select *
    from {{ ref('qd766_failing_dossiers_by_period') }}
    where depth = 0 and indicator_id in ('QD766_2_1', 'QD766_5_4')
),
judged_parts as (
    -- 5_4: one row per reason of the period (late; overdue; not_satisfied; pakn)
    select *, unnest(string_split(reason, '; ')) as reason_part
    from judged
    where indicator_id = 'QD766_5_4'
),
reception_by_month as (
    select
        received_month,
        province_code,
        unit_code,
        unit_valid_from,
        field_code,
        {%- for indicator_id, column, reason in reception_rows %}
        count(*) filter (where {{ column }}) as n_{{ loop.index }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ ref('explain_qd766_dossiers') }}
    group by all
),
reception as (
    select
        p.period_type, p.period, m.province_code, m.unit_code, m.unit_valid_from, m.field_code,
        {%- for indicator_id, column, reason in reception_rows %}
        sum(m.n_{{ loop.index }}) as n_{{ loop.index }}{{ "," if not loop.last }}
        {%- endfor %}
    from reception_by_month m
    join periods p on cast(m.received_month || '-01' as date) between p.period_start and p.period_end
    group by all
),
pakn_parts as (
    select *, trim(regexp_replace(unnest(string_split(reason, '; ')), '^late:\s*', '')) as part
    from {{ ref('qd766_failing_pakn_by_period') }}
    where depth = 0
),
procedures as (
    select *
    from {{ ref('explain_qd766_procedures') }}
    where agency_code is null
),
causes as (
    select period_type, period, province_code, unit_code, unit_valid_from, indicator_id, 'dossier' as failing_thing,
        reason, field_code, procedure_code, count(distinct dossier_code) as n_failing
    from judged
    where indicator_id = 'QD766_2_1'
    group by all
    union all
    select period_type, period, province_code, unit_code, unit_valid_from, indicator_id, 'dossier',
        reason_part, field_code, cast(null as varchar), count(distinct dossier_code)
    from judged_parts
    group by all
    {%- for indicator_id, column, reason in reception_rows %}
    union all
    select period_type, period, province_code, unit_code, unit_valid_from, '{{ indicator_id }}', 'dossier',
        '{{ reason }}', field_code, cast(null as varchar), n_{{ loop.index }}
    from reception
    where n_{{ loop.index }} > 0
    {%- endfor %}
    union all
    select period_type, period, province_code, unit_code, unit_valid_from, indicator_id, 'pakn',
        case
            when part like 'not classified%' then 'not_classified'
            when part like 'refused %' then 'refused_late'
            when part like 'supplement requested %' then 'supplement_late'
            when part like 'handled %' then 'handled_late'
            when part like 'in progress %' then 'in_progress_late'
            when part like 'answer published %' then 'answer_published_late'
            when part like 'more dislikes than likes%' then 'more_dislikes'
            when part like 'repeat complaint%' then 'repeat_complaint'
            else 'other'
        end,
        cast(null as varchar), cast(null as varchar), count(distinct petition_code)
    from pakn_parts
    group by all
    union all
    select period_type, period, province_code, unit_code, unit_valid_from, indicator_id, 'procedure',
        case when reason like '%no dossier received in P%' or reason like '%without any dossier received in P%'
             then 'no_dossier_in_period' else 'condition_not_met' end,
        cast(null as varchar), cast(null as varchar), count(distinct procedure_code)
    from procedures
    group by all
)
select
    period_type,
    period,
    province_code,
    unit_code,
    unit_valid_from,
    indicator_id,
    failing_thing,
    reason,
    field_code,
    procedure_code,
    cast(n_failing as bigint) as n_failing
from causes
