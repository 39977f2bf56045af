{#- Points from a ratio (percent) and an indicator definition (METHODOLOGY §3 scoring rules and empty rule). -#}
{% macro indicator_points(ratio, scoring_rule, max_points, threshold, empty_rule, denominator) -%}
    (case
        when coalesce({{ denominator }}, 0) = 0 then
            case {{ empty_rule }} when 'zero' then 0.0 when 'full' then {{ max_points }} else null end
        when {{ scoring_rule }} = 'linear' then {{ max_points }} * {{ ratio }} / 100.0
        when {{ scoring_rule }} = 'threshold' then {{ max_points }} * least(1.0, {{ ratio }} / {{ threshold }})
        else null
    end)
{%- endmacro %}

{#- SQL literal for the classification granularity var, validated. -#}
{% macro classification_granularity() -%}
    {%- set g = var('classification_granularity') -%}
    {%- if g not in ['date', 'timestamp'] -%}
        {{ exceptions.raise_compiler_error("var classification_granularity must be 'date' or 'timestamp', got " ~ g) }}
    {%- endif -%}
    {{- g -}}
{%- endmacro %}
