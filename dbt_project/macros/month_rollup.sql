{#- Month-level partial aggregates rolled up into quarters, halves and years (issue 20 point 2).
    A dossier-based count that is additive over months (received in P, completed in P, rated in P: each dossier or
    rating falls in exactly one month, and a period's P_end is that of its last month) is reduced once per month
    and the longer periods are sums of their months, instead of joining every dossier to every period holding it.
    Non-additive counts (open at P_end, Biểu 06's carried over, QD766_5_4) have their own roll-ups
    (int_bieu06_counts, ind_values_qd766_5_4). -#}

{#- The months of int_periods that lie in at least one period of the relation `periods` (period_start,
    period_end): the months to reduce before rolling them up into those periods. Columns: month_start, period_end,
    p_end. -#}
{% macro months_of_periods(periods) -%}
    select m.period_start as month_start, m.period_end, m.p_end
    from {{ ref('int_periods') }} m
    where m.period_type = 'M'
      and exists (select 1 from {{ periods }} p where m.period_start between p.period_start and p.period_end)
{%- endmacro %}

{#- Sum the month rows of `month_rows` (a month_start column, the `keys`, the additive `sums`) into every period
    of `periods` holding the month — the month itself included. Sums are cast to BIGINT, or to the type given as
    "name:TYPE". -#}
{% macro roll_months_up(month_rows, periods, keys, sums) -%}
    select
        p.period_type,
        p.period,
        {%- for k in keys %}
        r.{{ k }},
        {%- endfor %}
        {%- for s in sums %}
        {%- set name, _, type = s.partition(':') %}
        cast(sum(r.{{ name }}) as {{ type or 'bigint' }}) as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ month_rows }} r
    join {{ periods }} p on r.month_start between p.period_start and p.period_end
    group by all
{%- endmacro %}
