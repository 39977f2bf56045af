{#-
  Roll reduced dossier counts up to the indicator value rows of docs/indicator_values_contract.md.

  `reduced` names a CTE (already small: one row per indicator × period × agency × unit × field [× procedure])
  with columns indicator_id, period_type, period, agency_code, unit_code, unit_valid_from, field_code,
  procedure_code, num, den, value_sum, n. It is summed
    * up the unit tree (int_admin_unit_tree, each ancestor unit version over its whole subtree, depth 0 = itself):
      whole unit, and per field / per procedure when asked;
    * per agency, under the agency's own unit (the dossier's unit): whole agency, and per field / per procedure.
  A breakdown row whose key is NULL (dossier without a field / procedure code) is dropped: it would be
  indistinguishable from the whole row. Output columns: indicator_id, period_type, period, unit_code,
  unit_valid_from, agency_code, field_code, procedure_code, numerator, denominator, value_sum, n, is_whole
  (true = agency NULL or not, but neither field nor procedure breakdown).
-#}
{% macro dossier_values_rollup(reduced, by_field=true, by_procedure=false, by_agency=true) %}
    {%- set keys = 'r.indicator_id, r.period_type, r.period' -%}
    select
        r.indicator_id,
        r.period_type,
        r.period,
        t.ancestor_code as unit_code,
        t.ancestor_valid_from as unit_valid_from,
        cast(null as varchar) as agency_code,
        {% if by_field %}case when grouping(r.field_code) = 0 then r.field_code end{% else %}cast(null as varchar){% endif %} as field_code,
        {% if by_procedure %}case when grouping(r.procedure_code) = 0 then r.procedure_code end{% else %}cast(null as varchar){% endif %} as procedure_code,
        sum(r.num) as numerator,
        sum(r.den) as denominator,
        sum(r.value_sum) as value_sum,
        sum(r.n) as n,
        ({% if by_field %}grouping(r.field_code) = 1{% else %}true{% endif %}
         and {% if by_procedure %}grouping(r.procedure_code) = 1{% else %}true{% endif %}) as is_whole
    from {{ reduced }} r
    join {{ ref('int_admin_unit_tree') }} t
      on t.descendant_code = r.unit_code and t.descendant_valid_from = r.unit_valid_from
    group by grouping sets (
        ({{ keys }}, t.ancestor_code, t.ancestor_valid_from)
        {%- if by_field %},
        ({{ keys }}, t.ancestor_code, t.ancestor_valid_from, r.field_code)
        {%- endif %}
        {%- if by_procedure %},
        ({{ keys }}, t.ancestor_code, t.ancestor_valid_from, r.procedure_code)
        {%- endif %}
    )
    having true
        {% if by_field %}and (grouping(r.field_code) = 1 or r.field_code is not null){% endif %}
        {% if by_procedure %}and (grouping(r.procedure_code) = 1 or r.procedure_code is not null){% endif %}
    {% if by_agency %}
    union all
    select
        r.indicator_id,
        r.period_type,
        r.period,
        r.unit_code,
        r.unit_valid_from,
        r.agency_code,
        {% if by_field %}case when grouping(r.field_code) = 0 then r.field_code end{% else %}cast(null as varchar){% endif %} as field_code,
        {% if by_procedure %}case when grouping(r.procedure_code) = 0 then r.procedure_code end{% else %}cast(null as varchar){% endif %} as procedure_code,
        sum(r.num) as numerator,
        sum(r.den) as denominator,
        sum(r.value_sum) as value_sum,
        sum(r.n) as n,
        ({% if by_field %}grouping(r.field_code) = 1{% else %}true{% endif %}
         and {% if by_procedure %}grouping(r.procedure_code) = 1{% else %}true{% endif %}) as is_whole
    from {{ reduced }} r
    where r.agency_code is not null
    group by grouping sets (
        ({{ keys }}, r.unit_code, r.unit_valid_from, r.agency_code)
        {%- if by_field %},
        ({{ keys }}, r.unit_code, r.unit_valid_from, r.agency_code, r.field_code)
        {%- endif %}
        {%- if by_procedure %},
        ({{ keys }}, r.unit_code, r.unit_valid_from, r.agency_code, r.procedure_code)
        {%- endif %}
    )
    having true
        {% if by_field %}and (grouping(r.field_code) = 1 or r.field_code is not null){% endif %}
        {% if by_procedure %}and (grouping(r.procedure_code) = 1 or r.procedure_code is not null){% endif %}
    {% endif %}
{% endmacro %}

{#- Statuses that make a dossier "completed" (QD766_2_2, RESULTS_DIGITISED): processing finished (9) and
    result returned (10) by default; withdrawn (7), stopped (8) and a pending supplement have no processing
    result. Override with --vars '{completed_statuses: [7, 8, 9, 10]}'. -#}
{% macro completed_statuses() -%}
    ({{ var('completed_statuses', [9, 10]) | join(', ') }})
{%- endmacro %}
