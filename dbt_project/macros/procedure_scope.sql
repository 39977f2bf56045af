{#-
  Which catalogue procedures a unit handles (METHODOLOGY §1 "Procedure-based rows"): the procedures whose
  cap_thuc_hien includes the unit's level. The reading is configurable with the var qd766_procedure_levels:
    own      (default, METHODOLOGY §1 as written) — a province handles the `tinh` procedures, a district the
             `huyen` ones, a commune the `xa` ones;
    subtree  — the unit's level and every level below it (province: all, district: huyen + xa, commune: xa),
             for readers who take a unit's competence to include the units under it.
  level_tinh / level_huyen / level_xa are boolean expressions (dim_procedures columns), unit_level the unit's level.
-#}
{% macro procedure_levels_mode() -%}
    {%- set mode = var('qd766_procedure_levels', 'own') -%}
    {%- if mode not in ('own', 'subtree') -%}
        {{ exceptions.raise_compiler_error("var qd766_procedure_levels must be 'own' or 'subtree', got " ~ mode) }}
    {%- endif -%}
    {{- mode -}}
{%- endmacro %}

{% macro unit_handles_procedure(unit_level, level_tinh, level_huyen, level_xa) -%}
    {%- if procedure_levels_mode() == 'subtree' -%}
    (
        ({{ unit_level }} = 'tinh' and ({{ level_tinh }} or {{ level_huyen }} or {{ level_xa }}))
        or ({{ unit_level }} = 'huyen' and ({{ level_huyen }} or {{ level_xa }}))
        or ({{ unit_level }} = 'xa' and {{ level_xa }})
    )
    {%- else -%}
    (
        ({{ unit_level }} = 'tinh' and {{ level_tinh }})
        or ({{ unit_level }} = 'huyen' and {{ level_huyen }})
        or ({{ unit_level }} = 'xa' and {{ level_xa }})
    )
    {%- endif -%}
{%- endmacro %}

{#- Working days d with a ≤ d < b ("b is N working days after a" counted back from b, METHODOLOGY §2:
    "N working days before D counts back strictly before D"), from the int_calendar rows of a and b:
    (wdi(b) − [b working]) − (wdi(a) − [a working]). A decision dated on the 5th working day before D gives 5. -#}
{% macro working_days_from_until_before(a_wdi, a_is_working, b_wdi, b_is_working) -%}
    (({{ b_wdi }} - case when {{ b_is_working }} then 1 else 0 end) - ({{ a_wdi }} - case when {{ a_is_working }} then 1 else 0 end))
{%- endmacro %}
