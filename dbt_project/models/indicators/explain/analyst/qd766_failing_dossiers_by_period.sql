{{ config(materialized="view", schema="analyst") }}
-- The analysts' expanded view of indicators.explain_qd766_dossiers: one row per (period, unit version — the
-- dossier's own unit and every ancestor, depth 0 = its own —, dossier, QD766 row failed), recovered from the
-- failing-dossier table alone, so that the count of rows of a (unit, period, indicator) is that indicator's
-- denominator − numerator (tests/test_explain_grain.py). A view: nothing is stored; filter on unit and period.
--   * 1_4 … 4_5b: the periods holding the reception date (P_end not cut);
--   * 2_1 and 5_4: the periods whose D holds the dossier, judged at judged_at = P_end cut at the unit version's
--     last day (int_dossier_period_status), for the dossiers failing them somewhere — and, for a dossier still
--     open when its unit ceased, its successor's periods under the successor unit (issue 21).
{% set granularity = classification_granularity() %}
{% set reception_rows = qd766_reception_rows() %}
with d as (
    select * from {{ ref('explain_qd766_dossiers') }}
),
periods as (
    select period_type, period, period_start, period_end, p_end, is_running from {{ ref('int_periods') }}
),
ctx as (
    select as_of_at from {{ ref('int_as_of') }}
),
calendar as (
    select date, working_day_index from {{ ref('int_calendar') }}
),
-- D(P) of QD766_2_1 and 5_4 (completed in P + open at P_end), P_end cut at the unit version's last day
in_d as (
    select
        d.*,
        p.period_type,
        p.period,
        least(p.p_end, coalesce(d.unit_valid_to, p.p_end)) as judged_at,
        p.is_running and not coalesce(d.unit_valid_to < p.p_end, false) as judged_at_as_of_time
    from d
    join periods p
      on d.received_date <= least(p.p_end, coalesce(d.unit_valid_to, p.p_end))
     and p.period_start <= coalesce(d.unit_valid_to, p.period_start)
     and (d.end_date is null or d.end_date >= p.period_start)
    where d.fails_qd766_2_1 or d.fails_qd766_5_4
    union all
    -- the successor's periods of a dossier still open when its unit ceased (int_dossier_period_status, issue 21):
    -- under the successor unit and province, without the old agency
    select
        d.* replace (
            d.successor_code as unit_code, d.successor_valid_from as unit_valid_from,
            d.successor_valid_to as unit_valid_to, d.successor_province_code as province_code,
            cast(null as varchar) as agency_code),
        p.period_type,
        p.period,
        least(p.p_end, coalesce(d.successor_valid_to, p.p_end)) as judged_at,
        p.is_running and not coalesce(d.successor_valid_to < p.p_end, false) as judged_at_as_of_time
    from d
    join periods p
      -- a period holding a month that starts on or after the hand-over (the successor's months, rolled up: its
      -- partial year 2025 included)
      on date_trunc('month', p.period_end) >= d.handed_over_on
     and p.period_start <= coalesce(d.successor_valid_to, p.period_start)
     and (d.end_date is null or d.end_date >= p.period_start)
    where d.successor_code is not null and (d.fails_qd766_2_1 or d.fails_qd766_5_4)
),
judged as (
    select
        s.*,
        s.resolved_late and coalesce(s.end_date <= s.judged_at, false) as is_late,
        not coalesce(s.end_date <= s.judged_at, false)
            and coalesce(s.overdue_from <= s.judged_at, false)
            {%- if granularity == 'timestamp' %}
            -- due_at >= the as-of time at a running period's end: still within time
            and not (s.judged_at_as_of_time and not coalesce(s.supplement_count > 1, false)
                     and s.due_at is not null and s.due_at >= c.as_of_at)
            {%- endif %}
            as is_overdue,
        coalesce(s.first_unsatisfied_date <= s.judged_at, false) as is_not_satisfied,
        coalesce(s.first_pakn_date <= s.judged_at, false) as is_named_by_pakn
    from in_d s
    cross join ctx c
),
timed as (
    -- days late: to the adjusted end (resolved, explain_qd766_dossiers) or to judged_at (pending)
    select
        j.*,
        case when j.is_late then j.days_late_calendar
             when j.is_overdue then date_diff('day', j.due_date, j.judged_at) end as period_days_late_calendar,
        case when j.is_late then j.days_late_working
             when j.is_overdue and j.due_date is not null
                 then {{ working_days_between('cd.working_day_index', 'ce.working_day_index') }} end
            as period_days_late_working,
        case when j.is_late then j.working_days_elapsed
             when j.is_overdue then {{ working_days_between('cr.working_day_index', 'ce.working_day_index') }} end
            as period_working_days_elapsed
    from judged j
    left join calendar cd on cd.date = j.due_date
    left join calendar ce on ce.date = j.judged_at
    left join calendar cr on cr.date = j.received_date
),
own as (
    select
        period_type, period, judged_at, 'QD766_2_1' as indicator_id,
        case when is_late then 'resolved_late' else 'pending_overdue' end as reason,
        late_basis,
        dossier_code, province_code, unit_code, unit_valid_from, agency_code, field_code, procedure_code,
        received_date, due_date, end_date,
        period_days_late_calendar as days_late_calendar,
        period_days_late_working as days_late_working,
        period_working_days_elapsed as working_days_elapsed
    from timed
    where is_late or is_overdue
    union all
    select
        period_type, period, judged_at, 'QD766_5_4',
        concat_ws('; ',
            case when is_late then 'late' end,
            case when is_overdue then 'overdue' end,
            case when is_not_satisfied then 'not_satisfied' end,
            case when is_named_by_pakn then 'pakn' end),
        case when is_late or is_overdue then late_basis end,
        dossier_code, province_code, unit_code, unit_valid_from, agency_code, field_code, procedure_code,
        received_date, due_date, end_date,
        period_days_late_calendar, period_days_late_working, period_working_days_elapsed
    from timed
    where is_late or is_overdue or is_not_satisfied or is_named_by_pakn
    {%- for indicator_id, column, reason in reception_rows %}
    union all
    select
        p.period_type, p.period, p.p_end, '{{ indicator_id }}', '{{ reason }}', null,
        d.dossier_code, d.province_code, d.unit_code, d.unit_valid_from, d.agency_code, d.field_code, d.procedure_code,
        d.received_date, d.due_date, d.end_date,
        null, null, null
    from d
    join periods p on d.received_date between p.period_start and p.p_end
    where d.{{ column }}
    {%- endfor %}
)
select
    o.period_type,
    o.period,
    o.judged_at,
    t.ancestor_code as unit_code,
    t.ancestor_valid_from as unit_valid_from,
    t.ancestor_level as unit_level,
    t.depth,
    o.indicator_id,
    o.reason,
    o.late_basis,
    o.dossier_code,
    o.province_code,
    o.unit_code as dossier_unit_code,
    o.unit_valid_from as dossier_unit_valid_from,
    o.agency_code,
    o.field_code,
    o.procedure_code,
    o.received_date,
    o.due_date,
    o.end_date,
    o.days_late_calendar,
    o.days_late_working,
    o.working_days_elapsed
from own o
join {{ ref('int_admin_unit_tree') }} t
  on t.descendant_code = o.unit_code and t.descendant_valid_from = o.unit_valid_from
