{{ config(materialized="incremental", incremental_strategy="append", pre_hook="{{ delete_periods_in_scope() }}") }}
{{ require_incremental_table() }}
-- Incremental by period (macros/incremental.sql): only the months in this build's scope are recounted.
-- Biểu 06 counts (METHODOLOGY §4) of each MONTH reduced to (month, agency, unit, field) — small — from the
-- dossier × month statuses: the monthly partial aggregates int_bieu06_counts rolls up into quarters, halves and
-- years (issue 20 point 2), so that a month's dossiers are read once, when their month is in scope.
select
    period_type,
    period,
    period_start as month_start,
    agency_code,
    unit_code,
    unit_valid_from,
    field_code,
    count(*) filter (where received_online)                              as received_online,
    count(*) filter (where received_direct_postal)                       as received_direct_postal,
    count(*) filter (where carried_over)                                 as carried_over,
    count(*) filter (where resolved_in_period and resolved_class = 'early')   as resolved_early,
    count(*) filter (where resolved_in_period and resolved_class = 'on_time') as resolved_on_time,
    count(*) filter (where resolved_in_period and resolved_class = 'late')    as resolved_late,
    count(*) filter (where pending_within_time)                          as pending_within_time,
    count(*) filter (where pending_overdue)                              as pending_overdue
from {{ ref('int_dossier_period_status') }} s
where (period_type, period) in (
    select (p.period_type, p.period) from {{ ref('int_periods') }} p
    where p.period_type = 'M' and {{ period_in_build_scope() }})
group by all
