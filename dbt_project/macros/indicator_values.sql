{#- The select list of an indicator value model (docs/indicator_values_contract.md): keys as they are, the measures
    cast to the contract's types. Pass SQL expressions for a value indicator or a comment. -#}
{% macro indicator_values_columns(numerator='numerator', denominator='denominator', value='null', n='n', comment='null') -%}
    indicator_id,
    period_type,
    period,
    unit_code,
    unit_valid_from,
    agency_code,
    field_code,
    procedure_code,
    cast({{ numerator }} as double) as numerator,
    cast({{ denominator }} as double) as denominator,
    cast({{ value }} as double) as value,
    cast({{ n }} as bigint) as n,
    cast({{ comment }} as varchar) as comment
{%- endmacro %}
