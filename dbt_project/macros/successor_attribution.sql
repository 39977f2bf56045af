{#- Month-reduced rows of a unit version that had ceased by their month (a dossier completed, or rated, after the
    2025 reform by an agency of a dissolved unit) belong to the unit's successor in that month
    (int_unit_successors): the unit key is replaced and the agency emptied — the old agency no longer exists, so the
    row counts for the successor unit and its ancestors, never as an agency row. Rows of units still in force, or
    without a successor, pass through unchanged. `month_rows` needs month_start, agency_code, unit_code,
    unit_valid_from. A successor counts from the first month starting on or after its attributed_from (the
    reform took effect on 1 July 2025). -#}
{% macro attribute_to_successors(month_rows) -%}
    select r.* replace (
        coalesce(s.successor_code, r.unit_code) as unit_code,
        coalesce(s.successor_valid_from, r.unit_valid_from) as unit_valid_from,
        case when s.successor_code is null then r.agency_code end as agency_code
    )
    from {{ month_rows }} r
    left join {{ ref('int_unit_successors') }} s
      on s.unit_code = r.unit_code and s.unit_valid_from = r.unit_valid_from
     and r.month_start >= s.attributed_from
     and r.month_start <= coalesce(s.successor_valid_to, date '9999-12-31')
{%- endmacro %}
