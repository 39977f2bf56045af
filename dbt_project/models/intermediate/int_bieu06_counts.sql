{{ config(materialized="incremental", incremental_strategy="append", pre_hook="{{ delete_periods_in_scope() }}") }}
{{ require_incremental_table() }}
-- Incremental by period (macros/incremental.sql): only the periods in this build's scope are rolled up again.
-- Biểu 06 counts (METHODOLOGY §4) per (period, agency, unit, field) for every period type, rolled up from the
-- monthly partial aggregates of int_bieu06_month_counts — never from the dossiers (issue 20 point 2). For a period
-- P holding months m1 … mk, of a unit version whose P_end is cut at its last day like int_dossier_period_status
-- (judged_on = least(P_end, unit_valid_to)):
--   flows (received online / direct-postal; resolved early / on time / late) are additive: Σ over the months — a
--     dossier is received in one month and resolved in one month;
--   carried over (open at P's start) = that of P's first month: open at the quarter's start is open at its first
--     month's start, and such a dossier has a row in that month. For a unit version that starts inside P (a unit
--     created on 2025-07-01: its 2025 year is the partial period July–December) the first month is the unit's
--     own first month, whose carried over holds the dossiers it took over from its predecessors (issue 21);
--   pending within time / overdue (at P_end) = those of the month holding judged_on, judged at the same P_end. A
--     group with no row in that month had nothing open at its start (an open dossier has a row in every month up
--     to its end or the unit's last day) nor received in it: nothing pending, as the sum over no row says.
-- A month rolled into itself gives back its own counts. ind_bieu06 rolls the result up the unit tree.
with months as (
    select * from {{ ref('int_bieu06_month_counts') }}
),
periods as (
    select period_type, period, period_start, period_end, p_end
    from {{ ref('int_periods') }}
    where {{ period_in_build_scope() }}
),
units as (
    select unit_code, valid_from, valid_to from {{ ref('int_admin_units') }}
),
placed as (
    select
        p.period_type,
        p.period,
        m.month_start = greatest(p.period_start, cast(date_trunc('month', m.unit_valid_from) as date)) as is_first_month,
        least(p.p_end, coalesce(u.valid_to, p.p_end)) between m.month_start and last_day(m.month_start) as holds_judged_on,
        m.*
        exclude (period_type, period)  -- m's columns left out, not references -- noqa: RF02
    from months m
    join periods p on m.month_start between p.period_start and p.period_end
    left join units u on u.unit_code = m.unit_code and u.valid_from = m.unit_valid_from
)
select
    period_type,
    period,
    agency_code,
    unit_code,
    unit_valid_from,
    field_code,
    cast(sum(received_online) as bigint)                                                  as received_online,
    cast(sum(received_direct_postal) as bigint)                                           as received_direct_postal,
    cast(coalesce(sum(carried_over) filter (where is_first_month), 0) as bigint)           as carried_over,
    cast(sum(resolved_early) as bigint)                                                   as resolved_early,
    cast(sum(resolved_on_time) as bigint)                                                 as resolved_on_time,
    cast(sum(resolved_late) as bigint)                                                    as resolved_late,
    cast(coalesce(sum(pending_within_time) filter (where holds_judged_on), 0) as bigint)  as pending_within_time,
    cast(coalesce(sum(pending_overdue) filter (where holds_judged_on), 0) as bigint)      as pending_overdue
from placed
group by all
