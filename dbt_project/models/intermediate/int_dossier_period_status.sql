{{ config(materialized="incremental", incremental_strategy="append", pre_hook="{{ delete_periods_in_scope() }}") }}
{{ require_incremental_table() }}
-- Incremental by period (macros/incremental.sql): only the months in this build's scope are rebuilt.
-- One row per (dossier, MONTH) in scope: received (is_received) on or before P_end and not ended before the
-- month's start (METHODOLOGY §1 period membership, §4 Biểu 06). Judged from dates, never from today's status,
-- so a closed period is reproducible. Months only: quarters, halves and years are rolled up from the months'
-- counts (int_bieu06_counts, ind_values_qd766_5_4 — issue 20 point 2), so a new month never re-reads the
-- dossiers of the year's earlier months.
-- Partial period (METHODOLOGY §1): when the dossier's unit version ceased inside the period, the period is cut at
-- the unit's last day — P_end (counts, resolved/pending, the pending judgement) is that day, and a period starting
-- after it has no row for the old unit. In the 2025 reorganisation the old province, district and communes all
-- ceased on 2025-06-30, so the cut is the same for a dossier's whole old subtree.
-- Successors (ADMIN_UNITS.md point 4, issue 21): a dossier not ended before its unit's successor took over
-- (int_unit_successors: the lineage table; a dissolved district's dossiers go to the province's successor) has
-- rows in the successor's months from the first month starting on or after that day, under the successor unit
-- with no agency (the old agency no longer exists): carried over into the successor's July (Biểu 06 column 6) and
-- judged there like any other dossier (`attribution` = 'successor').
{% set granularity = classification_granularity() %}
with own as (
    -- unit_valid_to: the last day of the dossier's unit version (NULL = still exists), with its calendar row
    select
        d.*, u.valid_to as unit_valid_to, cu.working_day_index as unit_last_working_day_index,
        cast(null as date) as attributed_from, 'reception' as attribution
    from {{ ref('int_dossier_lifecycle') }} d
    left join {{ ref('int_admin_units') }} u on u.unit_code = d.unit_code and u.valid_from = d.unit_valid_from
    left join {{ ref('int_calendar') }} cu on cu.date = u.valid_to
    where d.is_received and d.received_at is not null
),
successors as (
    -- a second scan, joined to the small successor table: only dossiers of ceased units open when it ceased
    select
        d.* replace (
            s.successor_code as unit_code, s.successor_valid_from as unit_valid_from,
            cast(null as varchar) as agency_code),
        s.successor_valid_to as unit_valid_to, cs.working_day_index as unit_last_working_day_index,
        s.attributed_from, 'successor' as attribution
    from {{ ref('int_dossier_lifecycle') }} d
    join {{ ref('int_unit_successors') }} s on s.unit_code = d.unit_code and s.unit_valid_from = d.unit_valid_from
    left join {{ ref('int_calendar') }} cs on cs.date = s.successor_valid_to
    where d.is_received and d.received_at is not null
      and (d.end_date is null or d.end_date >= s.attributed_from)
),
dossiers as (
    select * from own
    union all
    select * from successors
),
periods as (
    select * from {{ ref('int_periods') }} where period_type = 'M' and {{ period_in_build_scope() }}
),
scoped as (
    select
        d.dossier_code,
        d.agency_code,
        d.unit_code,
        d.unit_valid_from,
        d.field_code,
        d.procedure_code,
        d.channel,
        d.received_date,
        d.received_at,
        d.due_at,
        d.due_date,
        d.end_date,
        d.outcome_class,
        d.supplement_count,
        d.legal_limit_kind,
        d.legal_limit_amount,
        d.received_working_day_index,
        d.received_cum_working_seconds,
        d.attribution,
        p.period_type,
        p.period,
        p.period_start,
        p.period_end,
        case when d.unit_valid_to < p.p_end then d.unit_valid_to else p.p_end end as p_end,
        case when d.unit_valid_to < p.p_end then cast(d.unit_valid_to + interval 1 day as timestamp) else p.p_end_at end
            as p_end_at,
        p.is_running,
        case when d.unit_valid_to < p.p_end then d.unit_last_working_day_index else p.p_end_working_day_index end
            as p_end_working_day_index,
        d.received_date >= p.period_start as received_in_period,
        d.end_date is not null and d.end_date <= least(p.p_end, coalesce(d.unit_valid_to, p.p_end)) as resolved_in_period
    from dossiers d
    join periods p
      on d.received_date <= least(p.p_end, coalesce(d.unit_valid_to, p.p_end))
     and p.period_start <= coalesce(d.unit_valid_to, p.period_start)
     and (d.end_date is null or d.end_date >= p.period_start)
     and (d.attributed_from is null or p.period_start >= d.attributed_from)
),
flags as (
select
    dossier_code,
    period_type,
    period,
    period_start,
    p_end,
    is_running,
    agency_code,
    unit_code,
    unit_valid_from,
    field_code,
    procedure_code,
    attribution,
    received_in_period,
    received_in_period and coalesce(channel, 1) = 2 as received_online,
    received_in_period and coalesce(channel, 1) <> 2 as received_direct_postal,
    not received_in_period as carried_over,
    resolved_in_period,
    case when resolved_in_period then outcome_class end as resolved_class,
    not resolved_in_period as pending_at_end,
    case when not resolved_in_period then
        case
            when supplement_count > 1 then false
            {%- if granularity == 'timestamp' %}
            when due_at is not null then due_at >= p_end_at
            {%- else %}
            when due_at is not null then due_date >= p_end
            {%- endif %}
            when legal_limit_kind is not null then
                {{ within_legal_limit('legal_limit_kind', 'legal_limit_amount', 'received_date', 'p_end',
                                      'received_working_day_index', 'p_end_working_day_index',
                                      'received_cum_working_seconds',
                                      cumulative_working_seconds_end_of_day('p_end_working_day_index')) }}
            else true
        end
    else false end as pending_within_time
from scoped
)
select
    *,
    pending_at_end and not pending_within_time as pending_overdue
from flags
