-- Rows of the date-driven optional sources (survey answers, dossier ratings) whose own date falls in no published
-- period (METHODOLOGY §5: answers and ratings belong to the periods of their own dates, whatever the dossiers'
-- as-of). They are landed but count in no published value, so the quality gate names them in the run summary
-- (a warning) — never silently dropped. One row per source (zero rows outside ⇒ records = 0).
with bounds as (
    select min(period_start) as first_day, max(period_end) as last_day from {{ ref('int_periods') }}
),
surveys as (
    select distinct unit_code, questionnaire_code, surveyed_on as on_date
    from {{ ref('stg_surveys__answers') }}
    where questionnaire_code is not null and surveyed_on is not null
),
ratings as (
    select distinct dossier_code, cast(rated_at as date) as on_date
    from {{ ref('stg_ratings__dossier_ratings') }}
    where dossier_code is not null and rated_at is not null
),
dated as (
    select 'survey_answers' as source_name, 'respondents' as counted, on_date from surveys
    union all
    select 'ratings', 'ratings', on_date from ratings
),
outside as (
    select d.*
    from dated d cross join bounds b
    where b.first_day is null or d.on_date < b.first_day or d.on_date > b.last_day
)
select
    s.source_name,
    s.counted,
    cast(count(o.on_date) as bigint) as records,
    min(o.on_date) as first_date,
    max(o.on_date) as last_date,
    (select bounds.first_day from bounds) as published_from,
    (select bounds.last_day from bounds) as published_to
from (select 'survey_answers' as source_name, 'respondents' as counted union all select 'ratings', 'ratings') s
left join outside o on o.source_name = s.source_name
group by s.source_name, s.counted
