{{ config(materialized="table") }}
-- Why the dossier-based QD766 rows lost points, at the grain of the thing that failed (DATA_CONTRACT §2.2
-- explain/): ONE row per dossier that fails at least one of QD766_1_4, 2_1, 3_3, 3_6, 4_1, 4_2, 4_3, 4_4, 4_5b, 5_4
-- in at least one published period (int_periods), at the dossier's own unit, agency, field and procedure — never
-- multiplied by period or ancestor unit. Every period's failures are recovered from the columns
-- (analyst.qd766_failing_dossiers_by_period does it; the rules are in _explain.yml):
--   * reception-based rows (1_4 … 4_5b): fails_<row> holds in every period containing received_date;
--   * 2_1 and 5_4 are judged at each period's P_end, cut at the unit version's last day (unit_valid_to) like
--     int_dossier_period_status: e = least(P_end, unit_valid_to); the dossier is in D(P) when
--     received_date <= e and P starts on or before unit_valid_to and (end_date is null or end_date >= P's start);
--     a dossier not ended when its unit ceased is judged in its successor's periods too (successor_*: P starts on or
--     after handed_over_on, e = least(P_end, successor_valid_to), under the successor unit, no agency — issue 21);
--     resolved late in P: resolved_late and end_date <= e; pending overdue at P: (end_date is null or
--     end_date > e) and overdue_from <= e; 5_4 also first_unsatisfied_date <= e or first_pakn_date <= e.
-- A plain table rebuilt every run (not incremental): whether a dossier fails 5_4 depends on ratings and PAKN that
-- arrive for dossiers of any reception month, and which periods are published depends on the as-of date. It reads
-- the dossier-level tables once (no dossier × period join).
{% set granularity = classification_granularity() %}
{% set reception_rows = [
    ('1_4', 'not num_1_4'), ('3_3', 'not num_3_3'), ('3_6', 'den_3_6 and not num_3_6'),
    ('4_1', 'den_4_1 and not num_4_1'), ('4_2', 'not num_4_2'), ('4_3', 'not num_4_3'), ('4_4', 'not num_4_4'),
    ('4_5b', 'not num_4_5b'),
] %}
with ctx as (
    select as_of_date, as_of_at from {{ ref('int_as_of') }}
),
flags as (
    -- received dossiers with a unit (the population of every dossier-based row)
    select * from {{ ref('int_qd766_dossier_flags') }}
),
lifecycle as (
    select
        dossier_code, due_at, due_date, end_date, adjusted_end, adjusted_end_date, adjusted_end_working_day_index,
        outcome_class, classification_basis, supplement_count, legal_time_limit, legal_time_unit,
        legal_limit_kind, legal_limit_amount, received_working_day_index, received_cum_working_seconds,
        processing_working_days
    from {{ ref('int_dossier_lifecycle') }}
    where is_received and received_at is not null and unit_code is not null
),
calendar as (
    select date, is_working_day, working_day_index from {{ ref('int_calendar') }}
),
-- QD766_5_4's other two reasons, dated (as int_qd766_5_4_dossier_periods): the first "khong_hai_long" rating and
-- the first PAKN naming the dossier; a period counts them when dated on or before its P_end
unsatisfied as (
    select dossier_code, min(cast(rated_at as date)) as first_unsatisfied_date
    from {{ ref('stg_ratings__dossier_ratings') }}
    where rating = 'khong_hai_long' and rated_at is not null and dossier_code is not null
    group by dossier_code
),
pakn as (
    select related_dossier_code as dossier_code, min(cast(received_at as date)) as first_pakn_date
    from {{ ref('stg_petitions__petitions') }}
    where related_dossier_code is not null and received_at is not null
    group by related_dossier_code
),
-- Legal time limit without a due date (int_dossier_period_status: within_legal_limit at P_end, judged with the
-- cumulative working time at the END of P_end's day): the working day index from which the limit is exceeded.
-- working_days: wdi(P_end) − wdi(reception) > limit  ⇔  wdi(P_end) ≥ wdi(reception) + limit + 1;
-- working_hours: exceeded once wdi(P_end) > cum(reception) / DAY + limit / hours_per_day — k0 below, then checked
-- with the very expression of int_dossier_period_status at k0 − 1, k0 (float rounding), else k0 + 1.
legal_k0 as (
    select
        l.*,
        case l.legal_limit_kind
            when 'working_days' then l.received_working_day_index + cast(l.legal_limit_amount as bigint) + 1
            when 'working_hours' then cast(floor(
                l.received_cum_working_seconds / {{ office_day_seconds() }}.0
                + l.legal_limit_amount / {{ var('hours_per_working_day') }}) as bigint) + 1
        end as k0
    from lifecycle l
),
legal as (
    select
        l.*,
        case
            when l.k0 is null then null
            when not {{ within_legal_limit('l.legal_limit_kind', 'l.legal_limit_amount', 'l.due_date', 'l.due_date',
                                           'l.received_working_day_index', '(l.k0 - 1)', 'l.received_cum_working_seconds',
                                           cumulative_working_seconds_end_of_day('(l.k0 - 1)')) }} then l.k0 - 1
            when not {{ within_legal_limit('l.legal_limit_kind', 'l.legal_limit_amount', 'l.due_date', 'l.due_date',
                                           'l.received_working_day_index', 'l.k0', 'l.received_cum_working_seconds',
                                           cumulative_working_seconds_end_of_day('l.k0')) }} then l.k0
            else l.k0 + 1
        end as exceeded_working_day_index
    from legal_k0 l
),
base as (
    select
        f.dossier_code,
        u.province_code,
        f.unit_code,
        f.unit_valid_from,
        u.unit_valid_to,
        f.unit_level,
        f.agency_code,
        f.field_code as field_code,
        f.procedure_code as procedure_code,
        f.procedure_known,
        f.requires_paper_result,
        f.received_date,
        strftime(f.received_date, '%Y-%m') as received_month,
        l.due_at,
        l.due_date,
        l.end_date,
        strftime(l.end_date, '%Y-%m') as end_month,
        l.adjusted_end,
        l.adjusted_end_date,
        l.supplement_count,
        l.legal_time_limit,
        l.legal_time_unit,
        -- QD766_2_1 resolved late: classified late (int_dossier_lifecycle.outcome_class) at its end
        l.end_date is not null and coalesce(l.outcome_class = 'late', false) as resolved_late,
        l.classification_basis,
        -- pending overdue from this date on (int_dossier_period_status.pending_within_time, branch by branch)
        case
            when l.supplement_count > 1 then f.received_date
            {%- if granularity == 'timestamp' %}
            -- due_at >= P_end_at (= P_end + 1 day, 00:00) fails from due_at's own date on (except at the as-of time
            -- of a running period: see due_at)
            when l.due_at is not null then cast(l.due_at as date)
            {%- else %}
            -- due_date >= P_end fails from the day after the due date
            when l.due_at is not null then l.due_date + 1
            {%- endif %}
            when l.legal_limit_kind = 'calendar_days'
                then greatest(f.received_date, f.received_date + cast(l.legal_limit_amount as integer) + 1)
            when l.legal_limit_kind in ('working_days', 'working_hours') and ce.date is not null
                then greatest(f.received_date, ce.date)
        end as overdue_from,
        case
            when l.supplement_count > 1 then 'multiple_supplements'
            when l.due_at is not null then 'due_date'
            when l.legal_limit_kind is not null then 'legal_time_limit'
        end as overdue_basis,
        -- days late of the resolution (resolved_late only); a pending dossier's depend on P_end
        date_diff('day', l.due_date, l.adjusted_end_date) as resolution_days_late_calendar,
        {{ working_days_between('cd.working_day_index', 'l.adjusted_end_working_day_index') }} as resolution_days_late_working,
        l.processing_working_days,
        un.first_unsatisfied_date,
        k.first_pakn_date,
        {%- for row, expr in reception_rows %}
        {{ expr }} as fails_qd766_{{ row }},
        {%- endfor %}
        -- the successor that takes the dossier over when its unit ceases (issue 21; int_unit_successors, the
        -- direct successor): a dossier not ended before then is judged in the successor's periods too
        s.successor_code,
        s.successor_valid_from,
        s.attributed_from as handed_over_on,
        s.successor_valid_to,
        su.province_code as successor_province_code,
        case when s.successor_code is not null then s.successor_valid_to else u.unit_valid_to end as judged_until,
        -- the last day any period holding the dossier judges: the as-of date, or the last day of its unit version
        -- (of its successor's, when one takes it over)
        case when c.as_of_date is not null
             then least(c.as_of_date,
                        case when s.successor_code is not null then s.successor_valid_to else u.unit_valid_to end)
        end as last_judged,
        c.as_of_date,
        c.as_of_at
    from flags f
    join lifecycle l on l.dossier_code = f.dossier_code
    left join legal lg on lg.dossier_code = f.dossier_code
    left join calendar ce on ce.is_working_day and ce.working_day_index = lg.exceeded_working_day_index
    left join calendar cd on cd.date = l.due_date
    left join {{ ref('dim_units') }} u on u.unit_code = f.unit_code and u.unit_valid_from = f.unit_valid_from
    left join {{ ref('int_unit_successors') }} s
      on s.unit_code = f.unit_code and s.unit_valid_from = f.unit_valid_from and s.step = 1
     and (l.end_date is null or l.end_date >= s.attributed_from)
    left join {{ ref('dim_units') }} su on su.unit_code = s.successor_code and su.unit_valid_from = s.successor_valid_from
    left join unsatisfied un on un.dossier_code = f.dossier_code
    left join pakn k on k.dossier_code = f.dossier_code
    cross join ctx c
),
-- In at least one published period? (int_periods: every month from the first reception to the as-of month, and
-- the quarters, halves and years holding them; the P_end of a unit version's periods never passes last_judged.)
judged as (
    select
        b.*,
        -- resolved late in the month of its end, if that month is judged for this unit version
        b.resolved_late and b.end_date <= b.last_judged as late_somewhere,
        -- pending overdue: at the first P_end on or after max(reception, overdue_from) — its month's end, the as-of
        -- date or the unit's last day — if it is still open then (a later P_end only finds it ended as well)
        b.overdue_from is not null
            and greatest(b.received_date, b.overdue_from) <= b.last_judged
            and (b.end_date is null
                 or b.end_date > least(last_day(greatest(b.received_date, b.overdue_from)), b.last_judged))
            {%- if granularity == 'timestamp' %}
            -- at a running period's as-of time (not cut) a dossier due later that day is still within time
            and not (b.overdue_basis = 'due_date'
                     and least(last_day(greatest(b.received_date, b.overdue_from)), b.last_judged) = b.as_of_date
                     and not coalesce(b.judged_until < b.as_of_date, false)
                     and b.due_at >= b.as_of_at)
            {%- endif %}
            as overdue_somewhere,
        -- rated unsatisfied / named by a PAKN by the P_end of a period whose D holds the dossier: the largest such
        -- P_end is that of the year of its end (ended by last_judged), else last_judged
        -- (least / greatest skip NULLs: a dossier neither rated unsatisfied nor named is not "somewhere")
        coalesce(b.first_unsatisfied_date, b.first_pakn_date) is not null
        and greatest(b.received_date, least(b.first_unsatisfied_date, b.first_pakn_date))
            <= case when b.end_date <= b.last_judged then least(make_date(year(b.end_date), 12, 31), b.last_judged)
                    else b.last_judged end as rated_or_named_somewhere
    from base b
),
failing as (
    select
        j.*,
        j.received_date <= j.last_judged and (j.late_somewhere or j.overdue_somewhere) as fails_qd766_2_1,
        j.received_date <= j.last_judged
            and (j.late_somewhere or j.overdue_somewhere or coalesce(j.rated_or_named_somewhere, false)) as fails_qd766_5_4
    from judged j
)
select
    dossier_code,
    province_code,
    unit_code,
    unit_valid_from,
    unit_valid_to,
    successor_code,
    successor_valid_from,
    handed_over_on,
    successor_valid_to,
    successor_province_code,
    unit_level,
    agency_code,
    field_code,
    procedure_code,
    procedure_known,
    requires_paper_result,
    received_date,
    received_month,
    due_date,
    due_at,
    end_date,
    end_month,
    adjusted_end,
    adjusted_end_date,
    supplement_count,
    legal_time_limit,
    legal_time_unit,
    {%- for row, expr in reception_rows %}
    fails_qd766_{{ row }},
    {%- endfor %}
    fails_qd766_2_1,
    fails_qd766_5_4,
    resolved_late,
    -- 2_1 (and 5_4's late / overdue reasons) only: NULL for a dossier failing neither in any period
    case when fails_qd766_2_1 then overdue_from end as overdue_from,
    case
        when not fails_qd766_2_1 then null
        when resolved_late then classification_basis
        else overdue_basis
    end as late_basis,
    case when resolved_late then resolution_days_late_calendar end as days_late_calendar,
    case when resolved_late and due_date is not null then resolution_days_late_working end as days_late_working,
    case when resolved_late then processing_working_days end as working_days_elapsed,
    first_unsatisfied_date,
    first_pakn_date,
    concat_ws(';',
        case when fails_qd766_1_4 then 'QD766_1_4' end,
        case when fails_qd766_2_1 then 'QD766_2_1' end,
        case when fails_qd766_3_3 then 'QD766_3_3' end,
        case when fails_qd766_3_6 then 'QD766_3_6' end,
        case when fails_qd766_4_1 then 'QD766_4_1' end,
        case when fails_qd766_4_2 then 'QD766_4_2' end,
        case when fails_qd766_4_3 then 'QD766_4_3' end,
        case when fails_qd766_4_4 then 'QD766_4_4' end,
        case when fails_qd766_4_5b then 'QD766_4_5b' end,
        case when fails_qd766_5_4 then 'QD766_5_4' end
    ) as failed_indicators
from failing
where fails_qd766_2_1 or fails_qd766_5_4
   -- a reception-based row fails in every period holding the reception date (ind_values_qd766_dossiers: received
   -- in [period start, P_end], P_end not cut; periods run to the as-of date)
   or (received_date <= as_of_date and (
       {%- for row, expr in reception_rows %}
       fails_qd766_{{ row }}{{ " or" if not loop.last }}
       {%- endfor %}))
