{#- Points from a ratio (percent) and an indicator definition (METHODOLOGY §3 scoring rules and empty rule),
    rounded per var points_rounding (row_points_rounded). -#}
{% macro indicator_points(ratio, scoring_rule, max_points, threshold, empty_rule, denominator) -%}
    {%- set raw -%}
    (case
        when {{ scoring_rule }} = 'full' then {{ max_points }}
        when coalesce({{ denominator }}, 0) = 0 then
            case {{ empty_rule }} when 'zero' then 0.0 when 'full' then {{ max_points }} else null end
        when {{ scoring_rule }} = 'linear' then {{ max_points }} * {{ ratio }} / 100.0
        when {{ scoring_rule }} = 'threshold' then {{ max_points }} * least(1.0, {{ ratio }} / {{ threshold }})
        else null
    end)
    {%- endset -%}
    {{ row_points_rounded(raw) }}
{%- endmacro %}

{#- Row points as the portal publishes them (METHODOLOGY §3 "Rounding", observed on Phú Thọ 2026-08): each row's
    points rounded to 2 decimals, and groups/totals summed from the rounded row points. var points_rounding:
    2 (default) | none (full precision). Ratios are never rounded here. -#}
{% macro row_points_rounded(expr) -%}
    {%- set r = var('points_rounding', 2) -%}
    {%- if r is none or (r is string and r | lower == 'none') -%}
    {{ expr }}
    {%- elif r | string in ['0', '1', '2', '3', '4'] -%}
    {#- through DECIMAL(38, 9): the double first settles to 9 decimals (2.67499999… → 2.675), then rounds half
        away from zero (→ 2.68), the decimal reading of "rounded to 2 decimals" -#}
    cast(round(cast({{ expr }} as decimal(38, 9)), {{ r }}) as double)
    {%- else -%}
    {{ exceptions.raise_compiler_error("var points_rounding must be 2 (or another small number of decimals) or none, got " ~ r) }}
    {%- endif -%}
{%- endmacro %}

{#- SQL literal for the classification granularity var, validated. -#}
{% macro classification_granularity() -%}
    {%- set g = var('classification_granularity') -%}
    {%- if g not in ['date', 'timestamp'] -%}
        {{ exceptions.raise_compiler_error("var classification_granularity must be 'date' or 'timestamp', got " ~ g) }}
    {%- endif -%}
    {{- g -}}
{%- endmacro %}

{#- The reading of QD766_4_6 (METHODOLOGY §3), validated: 'portal' (default: the row's maximum for every unit, ratio
    and counts empty, as the portal publishes it in 2026) | 'communes_share' (communes that issued an electronic
    certified copy in P / communes of the unit). -#}
{% macro qd766_4_6_rule() -%}
    {%- set r = var('qd766_4_6_rule', 'portal') -%}
    {%- if r not in ['portal', 'communes_share'] -%}
        {{ exceptions.raise_compiler_error("var qd766_4_6_rule must be 'portal' or 'communes_share', got " ~ r) }}
    {%- endif -%}
    {{- r -}}
{%- endmacro %}

{#- The indicator definitions as scored: QD766_4_6 under the portal's reading (var qd766_4_6_rule = portal, the
    default) is the row's maximum for every unit, ratio and counts empty (scoring rule 'full'); communes_share keeps
    the seed's linear rule. Used by the scoring layer and the comparable series. -#}
{% macro scored_definitions() -%}
    select * replace (
        case when indicator_id = 'QD766_4_6' and '{{ qd766_4_6_rule() }}' = 'portal' then 'full' else scoring_rule end
            as scoring_rule)
    from {{ ref('indicator_definitions') }}
{%- endmacro %}

{#- The observation value in the indicator's unit_measure: 100 × numerator / denominator for a share without its own
    value, else the value (working days, a count, an index). -#}
{% macro observation_ratio(unit_measure='unit_measure', value='value', numerator='numerator', denominator='denominator') -%}
    case
        when {{ unit_measure }} = 'percent' and {{ value }} is null then
            case when {{ denominator }} > 0 then 100.0 * {{ numerator }} / {{ denominator }} end
        else {{ value }}
    end
{%- endmacro %}
