-- The scoring layer: every indicator value model (docs/indicator_values_contract.md) scored with the indicator
-- definitions (seeds/indicator_definitions.csv: Pmax, scoring rule, threshold, empty rule per formula version),
-- the source inventory (absent source ⇒ M, 0 points), coverage (a unit with no data at all for the period ⇒ M, "no
-- data for this unit", no points: ind_unit_coverage) and the period frame (running ⇒ P).
-- QD766 rows get a whole-unit row for EVERY unit version valid in the period (denominator 0 when it had nothing);
-- when the raw root holds no survey file, SIPAS gets a whole-unit M row per quarter and year (METHODOLOGY §3
-- "Missing sources": a row whose source is absent is published as M, never left out).
-- `ratio` is the observation value in the indicator's unit_measure: percent for shares (100 × numerator /
-- denominator), working days for QD766_2_2, a count for counts, the mean of element indices for SIPAS.
{%- set members = [
    'ind_values_qd766_2_1',
    'ind_values_qd766_dossiers',
    'ind_values_qd766_2_2',
    'ind_values_qd766_5_4',
    'ind_values_monitoring',
    'ind_values_qd766_procedures',
    'ind_values_qd766_pakn',
    'ind_values_reviews',
    'ind_values_sipas',
] %}
{#- Incremental by period digest (macros/period_digests.sql): only the periods whose inputs changed are rescored.
    A value row is digested at the published precision (doubles rounded to 9 decimals). -#}
{%- set value_row = "hash(t.indicator_id, t.unit_code, t.unit_valid_from, t.agency_code, t.field_code, t.procedure_code, "
    ~ "round(cast(t.numerator as double), 9), round(cast(t.denominator as double), 9), "
    ~ "round(cast(t.value as double), 9), t.n, t.comment)" %}
{%- set inputs = [{'model': 'int_unit_periods'}, {'model': 'ind_unit_coverage'}] %}
{%- for m in members %}{% do inputs.append({'model': m, 'row': value_row}) %}{% endfor %}
{{ config(
    materialized="incremental", incremental_strategy="append",
    period_digest_inputs=inputs,
    period_digest_globals=[{'model': 'stg_lake__source_inventory', 'row': 'hash(t.source_name, t.is_present)'}],
    pre_hook="{{ period_digest_pre_hooks() }}", post_hook="{{ period_digest_post_hooks() }}") }}
with vals as (
    {% for m in members %}
    select indicator_id, period_type, period, unit_code, unit_valid_from, agency_code, field_code, procedure_code,
           cast(numerator as double) as numerator, cast(denominator as double) as denominator,
           cast(value as double) as value, cast(n as bigint) as n, cast(comment as varchar) as comment
    from {{ ref(m) }}
    where {{ period_digest_changed() }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),
frame as (
    select * from {{ ref('int_unit_periods') }} where {{ period_digest_changed() }}
),
-- QD766_4_6 under the portal's reading: scoring rule 'full' (macros/scoring.sql)
defs as (
    {{ scored_definitions() }}
),
row_groups as (
    select unnest(['QD766_CKMB', 'QD766_TDGQ', 'QD766_TTTT', 'QD766_CLGQ', 'QD766_MDSH', 'QD766_MDHL']) as group_id
),
-- the QD766 row indicators of each formula version, on every unit version of the frame
whole_frame as (
    select d.indicator_id, f.period_type, f.period, f.unit_code, f.unit_valid_from
    from frame f
    join defs d on d.formula_version = f.qd766_version and d.group_id in (select group_id from row_groups)
),
surveys_absent as (
    select coalesce(bool_or(not is_present), false) as absent
    from {{ ref('stg_lake__source_inventory') }} where source_name = 'survey_answers'
),
all_vals as (
    select v.* from vals v
    union all
    select 'SIPAS', f.period_type, f.period, f.unit_code, f.unit_valid_from, null, null, null, null, null, null, 0, null
    from frame f
    where f.period_type in ('Q', 'Y') and (select surveys_absent.absent from surveys_absent)
    union all
    select w.indicator_id, w.period_type, w.period, w.unit_code, w.unit_valid_from,
           null, null, null, 0.0, 0.0, null, 0, null
    from whole_frame w
    where not exists (
        select 1 from vals v
        where v.indicator_id = w.indicator_id and v.period_type = w.period_type and v.period = w.period
          and v.unit_code = w.unit_code and v.unit_valid_from = w.unit_valid_from
          and v.agency_code is null and v.field_code is null and v.procedure_code is null)
),
-- absent = the inventory says the source folder was not in the raw root (no inventory row: not judged absent)
sources as (
    select s.indicator_id, coalesce(bool_or(not i.is_present), false) as source_absent,
           string_agg(case when not i.is_present then s.source_name end, ', ') as absent_sources
    from {{ ref('indicator_sources') }} s
    left join {{ ref('stg_lake__source_inventory') }} i on i.source_name = s.source_name
    group by s.indicator_id
),
joined as (
    select
        v.*,
        f.is_running, f.is_partial_period, f.is_series_break, f.discontinued_on, f.unit_level, f.unit_name,
        d.formula_version, d.name_vi, d.max_points, d.scoring_rule, d.threshold, d.empty_rule, d.unit_measure,
        d.group_id,
        coalesce(s.source_absent, false) as source_absent,
        s.absent_sources,
        coalesce(v.comment like '%small cell%', false) as small_cell,
        v.agency_code is null and not coalesce(c.has_data, true) as is_out_of_coverage
    from all_vals v
    join frame f
      on f.period_type = v.period_type and f.period = v.period
     and f.unit_code = v.unit_code and f.unit_valid_from = v.unit_valid_from
    left join {{ ref('ind_unit_coverage') }} c
      on c.period_type = v.period_type and c.period = v.period
     and c.unit_code = v.unit_code and c.unit_valid_from = v.unit_valid_from
    -- QD766 rows: the version in force for this unit and period; others: their family's single definition
    -- (SIPAS_TC_<criterion> and SIPAS_MD_<code> share the SIPAS definition)
    join defs d
      on d.indicator_id = case when v.indicator_id like 'SIPAS_TC_%' or v.indicator_id like 'SIPAS_MD_%' then 'SIPAS'
                               else v.indicator_id end
     and (d.formula_version = f.qd766_version or d.formula_version not like 'QD766-%')
    left join sources s
      on s.indicator_id = case when v.indicator_id like 'SIPAS%' then 'SIPAS' else v.indicator_id end
),
valued as (
    select
        *,
        case
            when small_cell or source_absent or is_out_of_coverage then null
            else {{ observation_ratio() }}
        end as ratio
    from joined
)
select
    formula_version,
    indicator_id,
    case
        when indicator_id like 'SIPAS_TC_%' then 'Tiêu chí SIPAS: ' || lower(substr(indicator_id, 10))
        when indicator_id like 'SIPAS_MD_%' then 'Mong đợi: ' || substr(indicator_id, 10)
        else name_vi
    end as indicator_name_vi,
    group_id,
    unit_measure,
    period_type,
    period,
    is_running,
    unit_code,
    unit_valid_from,
    unit_level,
    unit_name,
    agency_code,
    field_code,
    procedure_code,
    case when small_cell or scoring_rule = 'full' then null else numerator end as numerator,
    case when small_cell or scoring_rule = 'full' then null else denominator end as denominator,
    ratio,
    case
        when scoring_rule not in ('linear', 'threshold', 'full') then null
        when is_out_of_coverage then null
        when source_absent then 0.0
        else {{ indicator_points('ratio', 'scoring_rule', 'max_points', 'threshold', 'empty_rule', 'denominator') }}
    end as points,
    case when scoring_rule in ('linear', 'threshold', 'full') then max_points end as max_points,
    n,
    is_out_of_coverage,
    is_series_break,
    discontinued_on,
    -- METHODOLOGY §7 precedence: Q, M (no value), then B, E, P, A
    case
        when small_cell then 'Q'
        when source_absent or is_out_of_coverage or (ratio is null and scoring_rule <> 'full') then 'M'
        when is_series_break then 'B'
        when is_running then 'P'
        else 'A'
    end as obs_status,
    nullif(concat_ws('; ',
        case when is_out_of_coverage then 'no data for this unit' end,
        case when source_absent then 'source absent from the raw root: ' || absent_sources end,
        case when is_partial_period then 'partial period' end,
        case when discontinued_on is not null then 'discontinued on ' || strftime(discontinued_on, '%Y-%m-%d') end,
        case when scoring_rule = 'full' and not source_absent and not is_out_of_coverage
             then 'full points for every unit, as the national portal publishes this row (qd766_4_6_rule = portal)' end,
        comment
    ), '') as comment
from valued
