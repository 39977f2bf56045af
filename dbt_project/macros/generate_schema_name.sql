{#- Layer schemas are used as-is (staging, intermediate, marts, indicators, publish, reference),
    not prefixed with the target schema: analysts query publish.indicator_observations. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
