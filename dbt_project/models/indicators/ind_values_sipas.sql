-- SIPAS citizen satisfaction survey (METHODOLOGY §5), unscored values per docs/indicator_values_contract.md.
--
-- Respondent = one questionnaire (ma_phieu) of one unit on one survey date. Each respondent counts in the
-- unit version of its survey unit_code valid at the survey date, and in every ancestor of that version
-- (int_admin_unit_tree): a district's values cover its communes' respondents. Cells = unit × period, for the
-- quarters (Q) and years (Y) of int_periods whose [period_start, period_end] holds the survey date: answers belong
-- to the periods of their own date, whatever the dossiers' as-of (METHODOLOGY §5 — a survey taken in October
-- counts for the year even when the dossier extracts end in July; the year is then running, hence provisional).
-- Answers dated in no published period are reported by int_source_rows_outside_periods (quality gate warning).
--
-- Rows per cell (whole unit: agency_code, field_code, procedure_code NULL):
--   SIPAS_<ELEMENT>   numerator = answers 4–5, denominator = valid answers 1–5 (answers outside 1–5 ignored),
--                     n = valid answers; emitted only when the element has ≥ 1 valid answer in the cell.
--   SIPAS             value = mean of the five element indices (tong_the excluded) over the elements with ≥ 1
--                     valid answer (the others are named in comment); numerator/denominator NULL; n = respondents.
--                     var sipas_overall = tong_the: value = share of 4–5 on tong_the, n = its valid answers.
--   SIPAS_TC_<CRIT>   numerator = answers 1 (agree), denominator = answers 0/1, n = answers 0/1.
--   SIPAS_MD_<CODE>   numerator = respondents choosing the code, denominator = n = respondents of the cell; every
--                     code chosen somewhere in the same calendar year is emitted (share 0 where nobody chose it).
-- Small cells count respondents (METHODOLOGY §5): a cell with fewer than var small_cell_min_respondents
-- respondents ⇒ every value of the cell has 'small cell' in comment (scoring: obs_status Q, no value); `n` stays
-- the valid answers of an element (an element answered by 20 of 30 respondents is published, n = 20).
{% set overall = var('sipas_overall', 'mean_of_elements') %}
{% if overall not in ['mean_of_elements', 'tong_the'] %}
    {{ exceptions.raise_compiler_error("var sipas_overall must be mean_of_elements or tong_the, got " ~ overall) }}
{% endif %}
{% set min_resp = var('small_cell_min_respondents', 30) | int %}
{% set mean_elements = ['tiep_can', 'tthc', 'cong_chuc', 'ket_qua', 'pakn'] %}
with answers as (
    select
        unit_code,
        surveyed_on,
        unit_code || '|' || questionnaire_code || '|' || cast(surveyed_on as varchar) as respondent_key,
        lower(trim(question)) as question,
        answer_value,
        upper(trim(expectation_code)) as expectation_code
    from {{ ref('stg_surveys__answers') }}
    where questionnaire_code is not null and unit_code is not null and surveyed_on is not null
),
unit_versions as (
    select unit_code, valid_from, valid_to from {{ ref('int_admin_units') }}
),
-- the survey unit's version valid at the survey date; else the latest version starting on or before it; else
-- the earliest version (codes unknown to admin_units are dropped)
survey_unit as (
    select k.unit_code, k.surveyed_on, u.valid_from as unit_valid_from
    from (select distinct unit_code, surveyed_on from answers) k
    join unit_versions u on u.unit_code = k.unit_code
    qualify row_number() over (
        partition by k.unit_code, k.surveyed_on
        order by
            case when k.surveyed_on between u.valid_from and coalesce(u.valid_to, date '9999-12-31') then 0
                 when u.valid_from <= k.surveyed_on then 1 else 2 end,
            case when u.valid_from <= k.surveyed_on then u.valid_from end desc nulls last,
            u.valid_from
    ) = 1
),
periods as (
    select period_type, period, period_start, period_end
    from {{ ref('int_periods') }}
    where period_type in ('Q', 'Y')
),
-- one row per answer × (ancestor unit, period) cell it counts in
cell_answers as (
    select
        t.ancestor_code as unit_code,
        t.ancestor_valid_from as unit_valid_from,
        p.period_type,
        p.period,
        year(p.period_start) as period_year,
        a.respondent_key,
        a.question,
        a.answer_value,
        a.expectation_code
    from answers a
    join survey_unit s on s.unit_code = a.unit_code and s.surveyed_on = a.surveyed_on
    join {{ ref('int_admin_unit_tree') }} t
      on t.descendant_code = s.unit_code and t.descendant_valid_from = s.unit_valid_from
    join periods p on a.surveyed_on between p.period_start and p.period_end
),
cells as (
    select unit_code, unit_valid_from, period_type, period, period_year,
        count(distinct respondent_key) as respondents
    from cell_answers
    group by all
),
-- element indices (hl_<element>) and criterion indices (tc_<criterion>): one row per cell × question
question_stats as (
    select
        unit_code, unit_valid_from, period_type, period, question,
        count(distinct respondent_key) filter (where question like 'hl\_%' escape '\' and answer_value between 1 and 5)
            as valid_hl,
        count(distinct respondent_key) filter (where question like 'hl\_%' escape '\' and answer_value between 4 and 5)
            as satisfied,
        count(distinct respondent_key) filter (where question like 'tc\_%' escape '\' and answer_value in (0, 1))
            as valid_tc,
        count(distinct respondent_key) filter (where question like 'tc\_%' escape '\' and answer_value = 1)
            as agree
    from cell_answers
    where question like 'hl\_%' escape '\' or question like 'tc\_%' escape '\'
    group by all
),
element_rows as (
    select
        unit_code, unit_valid_from, period_type, period,
        substr(question, 4) as element,
        'SIPAS_' || upper(substr(question, 4)) as indicator_id,
        cast(satisfied as double) as numerator,
        cast(valid_hl as double) as denominator,
        cast(null as double) as value,
        cast(valid_hl as bigint) as n
    from question_stats
    where question like 'hl\_%' escape '\' and valid_hl > 0
),
criterion_rows as (
    select
        unit_code, unit_valid_from, period_type, period,
        'SIPAS_TC_' || upper(substr(question, 4)) as indicator_id,
        cast(agree as double) as numerator,
        cast(valid_tc as double) as denominator,
        cast(null as double) as value,
        cast(valid_tc as bigint) as n
    from question_stats
    where question like 'tc\_%' escape '\' and valid_tc > 0
),
expectation_codes as (
    select distinct period_year, expectation_code
    from cell_answers
    where question = 'mong_doi' and expectation_code is not null and expectation_code <> ''
),
expectation_chosen as (
    select unit_code, unit_valid_from, period_type, period, expectation_code,
        count(distinct respondent_key) as chosen
    from cell_answers
    where question = 'mong_doi' and expectation_code is not null and expectation_code <> ''
    group by all
),
expectation_rows as (
    select
        c.unit_code, c.unit_valid_from, c.period_type, c.period,
        'SIPAS_MD_' || e.expectation_code as indicator_id,
        cast(coalesce(x.chosen, 0) as double) as numerator,
        cast(c.respondents as double) as denominator,
        cast(null as double) as value,
        cast(c.respondents as bigint) as n
    from cells c
    join expectation_codes e on e.period_year = c.period_year
    left join expectation_chosen x
      on x.unit_code = c.unit_code and x.unit_valid_from = c.unit_valid_from
     and x.period_type = c.period_type and x.period = c.period and x.expectation_code = e.expectation_code
),
overall_rows as (
    select
        c.unit_code, c.unit_valid_from, c.period_type, c.period,
        'SIPAS' as indicator_id,
        cast(null as double) as numerator,
        cast(null as double) as denominator,
        {% if overall == 'mean_of_elements' %}
        avg(100.0 * e.numerator / e.denominator) as value,
        cast(c.respondents as bigint) as n,
        'no valid answer, left out of the mean: ' || nullif(concat_ws(', ',
            {% for el in mean_elements %}
            case when count(e.element) filter (where e.element = '{{ el }}') = 0 then '{{ el }}' end{{ ',' if not loop.last }}
            {% endfor %}
        ), '') as overall_note
        {% else %}
        max(100.0 * e.numerator / e.denominator) filter (where e.element = 'tong_the') as value,
        cast(coalesce(max(e.n) filter (where e.element = 'tong_the'), 0) as bigint) as n,
        case when count(e.element) filter (where e.element = 'tong_the') = 0
             then 'sipas_overall = tong_the, no valid answer on tong_the' else 'sipas_overall = tong_the' end as overall_note
        {% endif %}
    from cells c
    left join element_rows e
      on e.unit_code = c.unit_code and e.unit_valid_from = c.unit_valid_from
     and e.period_type = c.period_type and e.period = c.period
     {% if overall == 'mean_of_elements' %}
     and e.element in (
         {%- for el in mean_elements %}
         '{{ el }}'{{ ',' if not loop.last }}
         {%- endfor %}
     )
     {% endif %}
    group by c.unit_code, c.unit_valid_from, c.period_type, c.period, c.respondents
),
all_rows as (
    select unit_code, unit_valid_from, period_type, period, indicator_id, numerator, denominator, value, n,
        cast(null as varchar) as note
    from element_rows
    union all
    select unit_code, unit_valid_from, period_type, period, indicator_id, numerator, denominator, value, n, null
    from criterion_rows
    union all
    select unit_code, unit_valid_from, period_type, period, indicator_id, numerator, denominator, value, n, null
    from expectation_rows
    union all
    select unit_code, unit_valid_from, period_type, period, indicator_id, numerator, denominator, value, n, overall_note
    from overall_rows
)
select
    cast(r.indicator_id as varchar) as indicator_id,
    cast(r.period_type as varchar) as period_type,
    cast(r.period as varchar) as period,
    cast(r.unit_code as varchar) as unit_code,
    cast(r.unit_valid_from as date) as unit_valid_from,
    cast(null as varchar) as agency_code,
    cast(null as varchar) as field_code,
    cast(null as varchar) as procedure_code,
    r.numerator,
    r.denominator,
    r.value,
    r.n,
    cast(nullif(concat_ws(chr(59) || ' ',  -- chr(59) = semicolon (a literal one breaks dbt unit-test SQL wrapping)
        case when c.respondents < {{ min_resp }} then 'small cell' end,
        r.note
    ), '') as varchar) as comment
from all_rows r
join cells c
  on c.unit_code = r.unit_code and c.unit_valid_from = r.unit_valid_from
 and c.period_type = r.period_type and c.period = r.period
