{#- A table published as the warehouse builds it, under the contract's column names (var published_names): a view in
    schema publish with the warehouse table's name (the release looks tables up by name, the publish schema first).
    `columns`: the warehouse columns the copy renames (each must exist: DuckDB's RENAME fails on a missing one). -#}
{% macro published_copy(model, columns) -%}
{%- set names = var('published_names') -%}
{%- set renamed = {} -%}
{%- for c in columns %}{% do renamed.update({c: names[c]}) %}{% endfor -%}
{{ config(materialized='view', alias=model, meta={'published_copy_of': model, 'published_names': renamed}) }}
select * rename ({% for c in columns %}{{ c }} as {{ names[c] }}{{ ", " if not loop.last }}{% endfor %})
from {{ ref(model) }}
{%- endmacro %}
