-- PAKN rows of the Decision 766 index (METHODOLOGY §3), one row per (indicator, period, petition) in the row's
-- denominator, with the petition's agency and unit, is_met (in the numerator) and, when not met, why.
-- ind_values_qd766_pakn rolls them up the unit tree; explain_qd766_pakn lists the unmet ones.
--
-- Attribution: the agency version (int_agencies) valid at the PAKN's reception date (else the nearest version of
-- that code), and the unit it belongs to.
-- Deadlines, in working days (wdi(step date) − wdi(start date), "N working days after D counts strictly after D"),
-- judged at each period's P_end:
--   start = the latest transfer ngay_chuyen when present and dated ≤ P_end, else the receipt ngay_tiep_nhan
--   (cho_tiep_nhan PAKN count from their receipt like the others);
--   refused (ngay_tu_choi) ≤ 2 after start; supplement requested ≤ 5 after start; handled (ngay_xu_ly) ≤ 15
--   after start; answer published (ngay_cong_khai) ≤ 2 after handling. The clock does not pause for supplements.
--   A step is judged when it was taken: refusal, supplement request and handling when dated ≤ P_end; the answer
--   publication whenever it is recorded, once the handling is dated ≤ P_end (a late publication after P_end still
--   makes the handling late). A step never taken is not judged.
--   Outcome = refusal or handling. A PAKN with its outcome by P_end is on time when every step it took met its
--   deadline; a PAKN without an outcome by P_end (in progress) is on time when P_end is ≤ 15 working days after the
--   start and the steps it took so far met their deadlines.
--   QD766_5_1  PAKN received in P; met: classified (phan_loai not empty).
--   QD766_5_1A PAKN received in P; met: about regulations and procedures (phan_loai = quy_dinh_tthc) — monitoring,
--              as the portal shows it (observed: H44 179/247).
--   QD766_5_1B PAKN received in P; met: about staff conduct (phan_loai = hanh_vi_cbccvc) — monitoring (H44 62/247).
--   QD766_5_2  PAKN received in P (the same denominator as 5_3, the portal's totalPetitions: H44 182/247 and
--              137/247); met: on time (above) at P_end — with its outcome in time, or in progress within 15
--              working days at P_end.
--   QD766_5_3  PAKN first received in P (ngay_tiep_nhan in P; a transfer is not a new receipt); met: none of
--              more dislikes than likes, late at P_end (5_2 rule), followed by a repeat complaint (khieu_nai_lai).
--              A PAKN with several faults is subtracted once.
with periods as (
    select period_type, period, period_start, p_end from {{ ref('int_periods') }}
),
calendar as (
    select date, working_day_index from {{ ref('int_calendar') }}
),
petitions as (
    select *
    from {{ ref('stg_petitions__petitions') }}
    where petition_code is not null and received_at is not null
    qualify row_number() over (
        partition by petition_code order by loaded_at desc nulls last, source_record desc nulls last
    ) = 1
),
attributed as (
    select
        p.*,
        a.unit_code,
        a.unit_valid_from
    from petitions p
    left join {{ ref('int_agencies') }} a on a.agency_code = p.agency_code
    qualify row_number() over (
        partition by p.petition_code
        order by
            case when cast(p.received_at as date) between a.valid_from and coalesce(a.valid_to, date '9999-12-31')
                 then 0 else 1 end,
            abs(date_diff('day', a.valid_from, cast(p.received_at as date))) nulls last
    ) = 1
),
dated as (
    select
        a.*,
        cast(a.received_at as date) as received_date,
        cast(a.transferred_at as date) as transferred_date,
        cast(a.refused_at as date) as refused_date,
        cast(a.supplement_requested_at as date) as supplement_date,
        cast(a.handled_at as date) as handled_date,
        cast(a.answer_published_at as date) as published_date,
        cast(coalesce(a.refused_at, a.handled_at) as date) as outcome_date
    from attributed a
),
-- (petition, period) pairs in any denominator: received in P, or outcome in P
in_period as (
    select
        d.*,
        p.period_type, p.period, p.period_start, p.p_end,
        d.received_date between p.period_start and p.p_end as received_in_period,
        coalesce(d.outcome_date between p.period_start and p.p_end, false) as outcome_in_period
    from dated d
    join periods p
      on d.received_date between p.period_start and p.p_end
      or d.outcome_date between p.period_start and p.p_end
),
timed as (
    select
        i.*,
        i.transferred_date is not null and i.transferred_date <= i.p_end as counts_from_transfer,
        case when i.transferred_date is not null and i.transferred_date <= i.p_end then ct.working_day_index
             else cr.working_day_index end as start_wdi,
        coalesce(i.outcome_date <= i.p_end, false) as has_outcome,
        case when i.refused_date <= i.p_end then cf.working_day_index
             - (case when i.transferred_date is not null and i.transferred_date <= i.p_end then ct.working_day_index
                     else cr.working_day_index end) end as refused_wd,
        case when i.supplement_date <= i.p_end then cs.working_day_index
             - (case when i.transferred_date is not null and i.transferred_date <= i.p_end then ct.working_day_index
                     else cr.working_day_index end) end as supplement_wd,
        case when i.handled_date <= i.p_end then ch.working_day_index
             - (case when i.transferred_date is not null and i.transferred_date <= i.p_end then ct.working_day_index
                     else cr.working_day_index end) end as handled_wd,
        case when i.handled_date <= i.p_end then cp.working_day_index - ch.working_day_index end as published_wd,
        ce.working_day_index
             - (case when i.transferred_date is not null and i.transferred_date <= i.p_end then ct.working_day_index
                     else cr.working_day_index end) as elapsed_at_p_end_wd
    from in_period i
    left join calendar cr on cr.date = i.received_date
    left join calendar ct on ct.date = i.transferred_date
    left join calendar cf on cf.date = i.refused_date
    left join calendar cs on cs.date = i.supplement_date
    left join calendar ch on ch.date = i.handled_date
    left join calendar cp on cp.date = i.published_date
    left join calendar ce on ce.date = i.p_end
),
judged as (
    select
        t.*,
        case when t.counts_from_transfer then 'transfer' else 'receipt' end as start_label,
        coalesce(t.refused_wd > {{ var('pakn_deadlines')['refuse'] }}, false) as refused_late,
        coalesce(t.supplement_wd > {{ var('pakn_deadlines')['supplement'] }}, false) as supplement_late,
        coalesce(t.handled_wd > {{ var('pakn_deadlines')['handle'] }}, false) as handled_late,
        coalesce(t.published_wd > {{ var('pakn_deadlines')['publish'] }}, false) as published_late,
        not t.has_outcome and coalesce(t.elapsed_at_p_end_wd > {{ var('pakn_deadlines')['handle'] }}, false) as in_progress_late
    from timed t
),
classified as (
    select
        j.*,
        not (  -- NOT is an operator -- noqa: LT06
            j.refused_late or j.supplement_late or j.handled_late or j.published_late or j.in_progress_late
        ) as is_on_time,
        nullif(concat_ws('; ',
            case when j.refused_late then 'refused ' || j.refused_wd || ' working days after ' || j.start_label
                 || ' (limit {{ var('pakn_deadlines')['refuse'] }})' end,
            case when j.supplement_late then 'supplement requested ' || j.supplement_wd || ' working days after ' || j.start_label
                 || ' (limit {{ var('pakn_deadlines')['supplement'] }})' end,
            case when j.handled_late then 'handled ' || j.handled_wd || ' working days after ' || j.start_label
                 || ' (limit {{ var('pakn_deadlines')['handle'] }})' end,
            case when j.published_late then 'answer published ' || j.published_wd
                 || ' working days after handling (limit {{ var('pakn_deadlines')['publish'] }})' end,
            case when j.in_progress_late then 'in progress ' || j.elapsed_at_p_end_wd || ' working days after ' || j.start_label
                 || ' at ' || strftime(j.p_end, '%Y-%m-%d') || ' (limit {{ var('pakn_deadlines')['handle'] }})' end
        ), '') as late_reason,
        coalesce(j.dislikes, 0) > coalesce(j.likes, 0) as is_disliked,
        coalesce(cast(j.has_repeat_complaint as boolean), false) as is_repeat_complaint
    from judged j
)
select
    'QD766_5_1' as indicator_id, period_type, period, petition_code, agency_code, unit_code, unit_valid_from,
    nullif(trim(coalesce(category, '')), '') is not null as is_met,
    case when nullif(trim(coalesce(category, '')), '') is null then 'not classified (phan_loai empty)' end as reason
from classified
where received_in_period
{%- for indicator_id, category, label in [
    ('QD766_5_1A', 'quy_dinh_tthc', 'not about regulations or procedures'),
    ('QD766_5_1B', 'hanh_vi_cbccvc', 'not about staff conduct'),
] %}
union all
select
    '{{ indicator_id }}', period_type, period, petition_code, agency_code, unit_code, unit_valid_from,
    coalesce(category = '{{ category }}', false),
    case when coalesce(category, '') <> '{{ category }}' then '{{ label }} (phan_loai = '
        || coalesce(nullif(trim(category), ''), 'empty') || ')' end
from classified
where received_in_period
{%- endfor %}
union all
select
    'QD766_5_2', period_type, period, petition_code, agency_code, unit_code, unit_valid_from,
    is_on_time,
    case when not is_on_time then late_reason end
from classified
where received_in_period
union all
select
    'QD766_5_3', period_type, period, petition_code, agency_code, unit_code, unit_valid_from,
    not (is_disliked or not is_on_time or is_repeat_complaint),  -- NOT is an operator -- noqa: LT06
    nullif(concat_ws('; ',
        case when is_disliked then 'more dislikes than likes (' || coalesce(dislikes, 0) || ' vs ' || coalesce(likes, 0) || ')' end,
        case when not is_on_time then 'late: ' || late_reason end,
        case when is_repeat_complaint then 'repeat complaint' end
    ), '')
from classified
where received_in_period
