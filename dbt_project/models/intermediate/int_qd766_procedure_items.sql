{{ config(materialized="incremental", incremental_strategy="append", pre_hook="{{ delete_periods_in_scope() }}") }}
{{ require_incremental_table() }}
-- Incremental by period (macros/incremental.sql): only the periods in this build's scope are rebuilt.
-- Procedure-based rows of the Decision 766 index (METHODOLOGY §1, §3): one row per (indicator, period, unit
-- version [, agency], procedure) in the row's denominator, with is_met (in the numerator) and, when not met, why.
-- ind_values_qd766_procedures counts these rows; explain_qd766_procedures lists the unmet ones.
--
--   QD766_1_1  TTHC in publication decisions dated in P (issued by the unit's province, the unit handles it);
--              met when every such decision is dated ≤ legal-basis effective date − 5 working days, i.e. at
--              least 5 working days d with decision ≤ d < effective date ("counts back strictly before D").
--   QD766_1_2  same TTHC; met when every such decision was disclosed on CSDLQG ≤ decision + 5 working days
--              (wdi(disclosed) − wdi(decision) ≤ 5, "strictly after D"); not disclosed (yet) ⇒ not met.
--   QD766_1_3  TTHC the unit handles, in force and disclosed at P_end (a them_moi decision of the province
--              dated ≤ P_end without any disclosure ≤ P_end ⇒ not disclosed yet, left out); met: cong_khai_day_du.
--   QD766_3_1  TTHC the unit handles in P; met: muc_do_dvc toan_trinh or mot_phan.
--   QD766_3_2  online-enabled TTHC; met: ≥ 1 online dossier (channel 2) received in P in the unit's subtree.
--   QD766_3_4  fee-bearing TTHC; met: ≥ 1 dossier received in P synced to the portal (TrangThaiDongBoDVC) and
--              carrying fee data (≥ 1 fee line).
--   QD766_3_5  fee-bearing TTHC; met: ≥ 1 dossier received in P paid online (DuocThanhToanTrucTuyen 1 or 2).
--   QD766_4_5a citizen-facing TTHC; met: ≥ 1 dossier received in P with VNeID authentication or a DSKetNoiCSDL
--              entry.
-- Agency rows (3_2, 3_4, 3_5, 4_5a only; agency_code not null, published under the agency's unit): the
-- procedures the agency handles (int_agency_period_procedures: the applicability list, else its unit's level),
-- with the agency's own dossiers — an agency with applicable procedures and no dossier scores 0 on them (0/N).
-- 1_1, 1_2, 1_3, 3_1 are unit-wide catalogue facts (no agency rows).
-- Which procedures a unit handles (1_1, 1_2 included): with an applicability list, the union over its subtree's
-- agencies (int_unit_period_procedures); without, its level (cap_thuc_hien).
-- Unknown procedures (not in the catalogue) are left out of every row.
with periods as (
    select period_type, period, period_start, period_end, p_end from {{ ref('int_periods') }} where {{ period_in_build_scope() }}
),
calendar as (
    select date, is_working_day, working_day_index from {{ ref('int_calendar') }}
),
scope as (
    select s.* from {{ ref('int_unit_period_procedures') }} s
    semi join periods p on p.period_type = s.period_type and p.period = s.period
),
list_present as (
    select count(*) > 0 as present
    from {{ ref('stg_procedures__applicability') }}
    where procedure_code is not null and agency_code is not null
),
unit_frame as (
    select distinct period_type, period, period_start, p_end, unit_code, unit_valid_from, unit_level, is_partial_period
    from (
        select p.period_type, p.period, p.period_start, p.p_end, u.unit_code, u.unit_valid_from, u.unit_level,
            (u.unit_valid_from > p.period_start or coalesce(u.unit_valid_to, date '9999-12-31') < p.period_end) as is_partial_period
        from {{ ref('int_units') }} u
        join periods p
          on u.unit_valid_from <= p.p_end and coalesce(u.unit_valid_to, date '9999-12-31') >= p.period_start
    )
),
province_of as (
    select descendant_code, descendant_valid_from, ancestor_code as province_code
    from {{ ref('int_admin_unit_tree') }}
    where ancestor_level = 'tinh'
),
-- levels of a code over all its catalogue versions (publication decisions may precede or follow its validity)
code_levels as (
    select procedure_code, bool_or(level_tinh) as level_tinh, bool_or(level_huyen) as level_huyen, bool_or(level_xa) as level_xa
    from {{ ref('int_procedures') }}
    where procedure_code is not null
    group by procedure_code
),

-- ---------------------------------------------------------------- publication decisions (1_1, 1_2, 1_3)
publications as (
    select *
    from {{ ref('stg_procedures__publications') }}
    where procedure_code is not null and decision_date is not null
    qualify row_number() over (
        partition by decision_number, procedure_code, unit_code, decision_date
        order by loaded_at desc nulls last, source_record desc nulls last
    ) = 1
),
publication_days as (
    select
        p.*,
        {{ working_days_from_until_before('cd.working_day_index', 'cd.is_working_day', 'cb.working_day_index', 'cb.is_working_day') }}
            as working_days_before_basis,
        cd.working_day_index - cb.working_day_index as working_days_after_basis,
        cx.working_day_index - cd.working_day_index as working_days_to_disclosure
    from publications p
    left join calendar cd on cd.date = p.decision_date
    left join calendar cb on cb.date = p.legal_basis_effective_date
    left join calendar cx on cx.date = p.disclosed_on
),
publication_judged as (
    select
        *,
        coalesce(legal_basis_effective_date is not null and working_days_before_basis >= 5, false) as published_on_time,
        coalesce(disclosed_on is not null and working_days_to_disclosure <= 5, false) as disclosed_on_time,
        'decision ' || coalesce(decision_number, '?') || ' of ' || strftime(decision_date, '%Y-%m-%d') || ' ' as label
    from publication_days
),
publication_items as (
    select
        f.period_type, f.period, f.unit_code, f.unit_valid_from, f.unit_level, f.is_partial_period,
        j.procedure_code,
        bool_and(j.published_on_time) as published_on_time,
        bool_and(j.disclosed_on_time) as disclosed_on_time,
        count(*) as decisions,
        string_agg(
            case
                when j.published_on_time then null
                when j.legal_basis_effective_date is null then j.label || 'has no legal-basis effective date'
                when j.decision_date >= j.legal_basis_effective_date then j.label || 'dated '
                    || j.working_days_after_basis || ' working days after the legal basis took effect on '
                    || strftime(j.legal_basis_effective_date, '%Y-%m-%d') || ' (needs ≥ 5 before)'
                else j.label || 'dated ' || j.working_days_before_basis
                    || ' working days before the legal basis took effect on '
                    || strftime(j.legal_basis_effective_date, '%Y-%m-%d') || ' (needs ≥ 5)'
            end, '; ' order by j.decision_date, j.decision_number) as reason_1_1,
        string_agg(
            case
                when j.disclosed_on_time then null
                when j.disclosed_on is null then j.label || 'not disclosed on CSDLQG'
                else j.label || 'disclosed ' || j.working_days_to_disclosure || ' working days after the decision, on '
                    || strftime(j.disclosed_on, '%Y-%m-%d') || ' (limit 5)'
            end, '; ' order by j.decision_date, j.decision_number) as reason_1_2,
        min(j.working_days_before_basis) as working_days_before_basis,
        max(j.working_days_to_disclosure) as working_days_to_disclosure
    from unit_frame f
    join province_of po on po.descendant_code = f.unit_code and po.descendant_valid_from = f.unit_valid_from
    join publication_judged j
      on j.unit_code = po.province_code
     and j.decision_date between f.period_start and f.p_end
    join code_levels cl on cl.procedure_code = j.procedure_code
    where case
        when (select list_present.present from list_present) then exists (
            select 1 from scope s
            where s.period_type = f.period_type and s.period = f.period and s.unit_code = f.unit_code
              and s.unit_valid_from = f.unit_valid_from and s.procedure_code = j.procedure_code)
        else {{ unit_handles_procedure('f.unit_level', 'cl.level_tinh', 'cl.level_huyen', 'cl.level_xa') }}
    end
    group by all
),
-- a new procedure whose decision is dated ≤ P_end but not disclosed by P_end is not (yet) a disclosed TTHC
not_yet_disclosed as (
    select f.period_type, f.period, f.unit_code, f.unit_valid_from, p.procedure_code
    from unit_frame f
    join province_of po on po.descendant_code = f.unit_code and po.descendant_valid_from = f.unit_valid_from
    join publications p on p.unit_code = po.province_code and p.decision_date <= f.p_end
    group by all
    having bool_or(p.change_type = 'them_moi') and not coalesce(bool_or(p.disclosed_on <= f.p_end), false)
),

-- ---------------------------------------------------------------- dossiers (3_2, 3_4, 3_5, 4_5a)
dossier_days as (
    select
        unit_code, unit_valid_from, agency_code, procedure_code, received_date,
        count(*) as received,
        count(*) filter (where channel = 2) as received_online,
        count(*) filter (where coalesce(is_synced_to_portal, false) and coalesce(has_fee, false)) as synced_with_fee,
        count(*) filter (where online_payment in (1, 2)) as paid_online,
        count(*) filter (where coalesce(is_vneid_authenticated, false) or coalesce(connected_database_count, 0) > 0)
            as population_data
    from {{ ref('int_dossier_lifecycle') }}
    where is_received and procedure_known and unit_code is not null and received_date is not null
    group by all
),
dossier_periods as (
    select
        p.period_type, p.period, d.unit_code, d.unit_valid_from, d.agency_code, d.procedure_code,
        sum(d.received) as received,
        sum(d.received_online) as received_online,
        sum(d.synced_with_fee) as synced_with_fee,
        sum(d.paid_online) as paid_online,
        sum(d.population_data) as population_data
    from dossier_days d
    join periods p on d.received_date between p.period_start and p.p_end
    group by all
),
unit_dossiers as (
    select
        d.period_type, d.period, t.ancestor_code as unit_code, t.ancestor_valid_from as unit_valid_from, d.procedure_code,
        sum(d.received) as received,
        sum(d.received_online) as received_online,
        sum(d.synced_with_fee) as synced_with_fee,
        sum(d.paid_online) as paid_online,
        sum(d.population_data) as population_data
    from dossier_periods d
    join {{ ref('int_admin_unit_tree') }} t
      on t.descendant_code = d.unit_code and t.descendant_valid_from = d.unit_valid_from
    group by all
),
agency_dossiers as (
    select
        period_type, period, unit_code, unit_valid_from, agency_code, procedure_code,
        sum(received) as received,
        sum(received_online) as received_online,
        sum(synced_with_fee) as synced_with_fee,
        sum(paid_online) as paid_online,
        sum(population_data) as population_data
    from dossier_periods
    where agency_code is not null
    group by all
),
-- the procedures each agency handles in P, with the attributes of their version in force (one row per agency
-- code: registry rows of one agency under the same unit version are merged)
agency_scope as (
    select
        a.period_type, a.period, a.unit_code, a.unit_valid_from, f.unit_level, f.is_partial_period, a.agency_code,
        a.procedure_code, v.online_service_level, v.is_online_enabled, bool_or(a.has_fee) as has_fee,
        v.is_citizen_facing
    from {{ ref('int_agency_period_procedures') }} a
    join unit_frame f
      on f.period_type = a.period_type and f.period = a.period
     and f.unit_code = a.unit_code and f.unit_valid_from = a.unit_valid_from
    join {{ ref('int_period_procedures') }} v
      on v.period_type = a.period_type and v.period = a.period and v.procedure_code = a.procedure_code
    group by all
),
scoped_dossiers as (
    -- whole unit: every procedure the unit handles, with its subtree's dossiers (zeros when none)
    select
        s.period_type, s.period, s.unit_code, s.unit_valid_from, s.unit_level, s.is_partial_period,
        cast(null as varchar) as agency_code, s.procedure_code, s.online_service_level, s.is_online_enabled,
        s.has_fee, s.is_citizen_facing,
        coalesce(d.received, 0) as received,
        coalesce(d.received_online, 0) as received_online,
        coalesce(d.synced_with_fee, 0) as synced_with_fee,
        coalesce(d.paid_online, 0) as paid_online,
        coalesce(d.population_data, 0) as population_data
    from scope s
    left join unit_dossiers d
      on d.period_type = s.period_type and d.period = s.period and d.unit_code = s.unit_code
     and d.unit_valid_from = s.unit_valid_from and d.procedure_code = s.procedure_code
    union all
    -- per agency: every procedure the agency handles, with its own dossiers (zeros when none)
    select
        s.period_type, s.period, s.unit_code, s.unit_valid_from, s.unit_level, s.is_partial_period,
        s.agency_code, s.procedure_code, s.online_service_level, s.is_online_enabled,
        s.has_fee, s.is_citizen_facing,
        coalesce(d.received, 0),
        coalesce(d.received_online, 0),
        coalesce(d.synced_with_fee, 0),
        coalesce(d.paid_online, 0),
        coalesce(d.population_data, 0)
    from agency_scope s
    left join agency_dossiers d
      on d.period_type = s.period_type and d.period = s.period and d.unit_code = s.unit_code
     and d.unit_valid_from = s.unit_valid_from and d.agency_code = s.agency_code
     and d.procedure_code = s.procedure_code
),
dossier_items as (
    select
        'QD766_3_2' as indicator_id, period_type, period, unit_code, unit_valid_from, unit_level, is_partial_period,
        agency_code, procedure_code, received_online > 0 as is_met,
        case when received = 0 then 'online service (' || online_service_level || ') without any dossier received in P'
             else 'online service (' || online_service_level || ') without an online dossier in P (' || received
                  || ' received, none online)' end as reason,
        received as dossiers
    from scoped_dossiers where is_online_enabled
    union all
    select
        'QD766_3_4', period_type, period, unit_code, unit_valid_from, unit_level, is_partial_period,
        agency_code, procedure_code, synced_with_fee > 0,
        case when received = 0 then 'fee-bearing, no dossier received in P'
             else 'fee-bearing, no dossier synced to the national portal with fee data in P (' || received
                  || ' received)' end,
        received
    from scoped_dossiers where has_fee
    union all
    select
        'QD766_3_5', period_type, period, unit_code, unit_valid_from, unit_level, is_partial_period,
        agency_code, procedure_code, paid_online > 0,
        case when received = 0 then 'fee-bearing, no dossier received in P'
             else 'fee-bearing, no dossier paid online in P (' || received || ' received)' end,
        received
    from scoped_dossiers where has_fee
    union all
    select
        'QD766_4_5a', period_type, period, unit_code, unit_valid_from, unit_level, is_partial_period,
        agency_code, procedure_code, population_data > 0,
        case when received = 0 then 'citizen-facing, no dossier received in P'
             else 'citizen-facing, no dossier with VNeID authentication or a population-database connection in P ('
                  || received || ' received)' end,
        received
    from scoped_dossiers where is_citizen_facing
)

select
    'QD766_1_1' as indicator_id, period_type, period, unit_code, unit_valid_from, unit_level, is_partial_period,
    cast(null as varchar) as agency_code, procedure_code, published_on_time as is_met,
    case when not published_on_time then reason_1_1 end as reason,
    cast(decisions as bigint) as observations
from publication_items
union all
select
    'QD766_1_2', period_type, period, unit_code, unit_valid_from, unit_level, is_partial_period,
    cast(null as varchar), procedure_code, disclosed_on_time,
    case when not disclosed_on_time then reason_1_2 end,
    cast(decisions as bigint)
from publication_items
union all
select
    'QD766_1_3', s.period_type, s.period, s.unit_code, s.unit_valid_from, s.unit_level, s.is_partial_period,
    cast(null as varchar), s.procedure_code, s.is_fully_disclosed,
    case when not s.is_fully_disclosed then
        'catalogue entry lacks some ND 63/2010 art. 8.2 component (cong_khai_day_du = 0) at ' || strftime(s.p_end, '%Y-%m-%d')
    end,
    cast(1 as bigint)
from scope s
where s.in_force_at_p_end
  and not exists (
      select 1 from not_yet_disclosed n
      where n.period_type = s.period_type and n.period = s.period and n.unit_code = s.unit_code
        and n.unit_valid_from = s.unit_valid_from and n.procedure_code = s.procedure_code
  )
union all
select
    'QD766_3_1', period_type, period, unit_code, unit_valid_from, unit_level, is_partial_period,
    cast(null as varchar), procedure_code, is_online_enabled,
    case when not is_online_enabled then 'no online service (muc_do_dvc = ' || coalesce(online_service_level, 'empty') || ')' end,
    cast(1 as bigint)
from scope
union all
select
    indicator_id, period_type, period, unit_code, unit_valid_from, unit_level, is_partial_period,
    agency_code, procedure_code, is_met, case when not is_met then reason end, cast(dossiers as bigint)
from dossier_items
