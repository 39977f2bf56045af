{{ config(materialized="incremental", incremental_strategy="append", pre_hook="{{ delete_periods_in_scope() }}") }}
{{ require_incremental_table() }}
-- Incremental by period (macros/incremental.sql): only the periods in this build's scope are rebuilt.
-- Why QD766_2_1 lost points: one row per (period, dossier) in its denominator but not its numerator — resolved
-- in P late, or pending at P_end and overdue — at the dossier's own unit and agency. A unit's explain rows are
-- those of the dossiers of its subtree (join int_admin_unit_tree descendant → ancestor).
with s as (
    select *
    from {{ ref('int_dossier_period_status') }}
    where (resolved_in_period and resolved_class = 'late') or pending_overdue
),
d as (
    select
        dossier_code, due_date, adjusted_end, adjusted_end_date, adjusted_end_working_day_index,
        received_date, received_working_day_index, classification_basis, supplement_count,
        legal_time_limit, legal_time_unit
    from {{ ref('int_dossier_lifecycle') }}
),
p as (
    select period_type, period, p_end_working_day_index from {{ ref('int_periods') }} where {{ period_in_build_scope() }}
),
cal as (
    select date, working_day_index from {{ ref('int_calendar') }}
)
select
    s.period_type,
    s.period,
    s.p_end,
    s.dossier_code,
    s.unit_code,
    s.unit_valid_from,
    s.agency_code,
    s.field_code as ma_linh_vuc,
    s.procedure_code as ma_tthc,
    case when s.resolved_in_period then 'resolved_late' else 'pending_overdue' end as reason,
    case
        when s.resolved_in_period then d.classification_basis
        when d.supplement_count > 1 then 'multiple_supplements'
        when d.due_date is not null then 'due_date'
        else 'legal_time_limit'
    end as late_basis,
    d.received_date,
    d.due_date,
    case when s.resolved_in_period then d.adjusted_end end as adjusted_end,
    -- calendar days past the original due date: to the adjusted end (resolved) or to P_end (pending)
    case when d.due_date is not null then
        date_diff('day', d.due_date, case when s.resolved_in_period then d.adjusted_end_date else s.p_end end)
    end as days_late_calendar,
    -- working days strictly after the due date up to the adjusted end / P_end (macros/working_time.sql)
    case when d.due_date is not null then
        {{ working_days_between('cd.working_day_index',
             'case when s.resolved_in_period then d.adjusted_end_working_day_index else p.p_end_working_day_index end') }}
    end as days_late_working,
    -- working days used from reception (for dossiers without a due date, to compare with the legal time limit)
    {{ working_days_between('d.received_working_day_index',
         'case when s.resolved_in_period then d.adjusted_end_working_day_index else p.p_end_working_day_index end') }}
        as working_days_elapsed,
    d.legal_time_limit,
    d.legal_time_unit,
    d.supplement_count
from s
join d on d.dossier_code = s.dossier_code
join p on p.period_type = s.period_type and p.period = s.period
left join cal cd on cd.date = d.due_date
