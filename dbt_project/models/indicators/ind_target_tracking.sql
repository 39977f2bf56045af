-- ind_target_tracking (indicators: it reads ind_observations_all) (the published copy is publish/target_tracking: the
-- release and the data dictionary look the publish table up by the model name target_tracking, and dbt model names
-- are unique).
-- Plan-target tracking (METHODOLOGY §6, DATA_CONTRACT §1.5): each target row with its actual value, a linear
-- year-end projection for a running year, and its attainment, plus one summary row per target (target_code).
--
-- Targets: seed `targets`, overridden key by key and extended by the raw root's reference/targets.csv
--   (stg_reference__targets), key = (unit_code, target_year, target_code, indicator_id, field_code).
-- Unit version: the version of unit_code valid on 1 January of target_year, else the first version starting in the year.
-- Actual = the year's observation (period_type Y, period = target_year) of the indicator in ind_observations_all
--   (`ratio` = the observation value in the indicator's unit_measure — percent, count, …):
--   scope toan_bo: the whole-unit row (agency NULL) of the unit — its whole subtree — for the target's field,
--   scope rieng:   the unit's OWN agencies = the agency rows whose unit_code is the unit, aggregated:
--                    percent → 100 × Σ numerator / Σ denominator, count → Σ value; other measures → no value.
--   No value (no row, M, or Q small cell) ⇒ attainment no_data.
-- Attainment: finished year → met / not_met (actual compared with target_value by comparator ge | le | eq, tolerance 1e-9),
--   running year (int_periods.is_running, or the observation is P) → on_track / at_risk by comparing the linear
--   year-end projection: for a share (any non-count measure) the value so far, for a count measure
--   (indicator_definitions.unit_measure = count, e.g. TTHC_REVIEWED_COUNT) actual × days in the year / days elapsed
--   (period_start … P_end, inclusive). projection is NULL for a finished year.
-- Summary row (row_type = target) per (unit, target_year, target_code): not_met if any row is not_met, else at_risk if any
--   row is at_risk, else no_data if any row has no data, else met if every row is met, else on_track.
-- target_met_all_rows (every row of the target): true when every row is met, false when a row is not_met, else NULL
--   (running year or missing data).
{%- set meets = "case comparator when 'ge' then X >= target_value - 1e-9 when 'le' then X <= target_value + 1e-9"
                ~ " when 'eq' then abs(X - target_value) <= 1e-9 end" %}
with seed_targets as (
    select
        -- the seed keeps the contract's column names (reference/targets.csv, DATA_CONTRACT §1.5)
        cast(unit_code as varchar) as unit_code,
        cast(nam as integer) as target_year,
        cast(ma_chi_tieu as varchar) as target_code,
        cast(indicator_id as varchar) as indicator_id,
        nullif(trim(cast(ma_linh_vuc as varchar)), '') as field_code,
        coalesce(nullif(lower(trim(cast(pham_vi as varchar))), ''), 'toan_bo') as scope,
        lower(trim(cast(so_sanh as varchar))) as comparator,
        cast(gia_tri as double) as target_value,
        cast(ghi_chu as varchar) as note,
        'seed' as target_source
    from {{ ref('targets') }}
),
raw_targets as (
    select
        cast(unit_code as varchar) as unit_code,
        cast(target_year as integer) as target_year,
        cast(target_code as varchar) as target_code,
        cast(indicator_id as varchar) as indicator_id,
        nullif(trim(cast(field_code as varchar)), '') as field_code,
        coalesce(nullif(lower(trim(cast(scope as varchar))), ''), 'toan_bo') as scope,
        lower(trim(cast(comparator as varchar))) as comparator,
        cast(target_value as double) as target_value,
        cast(note as varchar) as note,
        'raw_reference' as target_source
    from {{ ref('stg_reference__targets') }}
    where unit_code is not null and target_year is not null and target_code is not null and indicator_id is not null
    -- the same key twice in the raw root: the latest loaded record wins
    qualify row_number() over (
        partition by unit_code, target_year, target_code, indicator_id, nullif(trim(cast(field_code as varchar)), '')
        order by loaded_at desc nulls last, source_file desc nulls last, source_record desc nulls last
    ) = 1
),
targets as (
    select * from raw_targets
    union all
    select s.* from seed_targets s
    where not exists (
        select 1 from raw_targets r
        where r.unit_code = s.unit_code and r.target_year = s.target_year and r.target_code = s.target_code
          and r.indicator_id = s.indicator_id and r.field_code is not distinct from s.field_code
    )
),
unit_version as (
    select
        t.unit_code, t.target_year,
        u.valid_from as unit_valid_from, u.unit_name, u.unit_level
    from (select distinct unit_code, target_year from targets) t
    join {{ ref('int_admin_units') }} u
      on u.unit_code = t.unit_code
     and u.valid_from <= make_date(t.target_year, 12, 31)
     and coalesce(u.valid_to, date '9999-12-31') >= make_date(t.target_year, 1, 1)
    qualify row_number() over (partition by t.unit_code, t.target_year order by u.valid_from) = 1
),
years as (
    select cast(period as integer) as target_year, is_running, period_start, period_end, p_end
    from {{ ref('int_periods') }}
    where period_type = 'Y'
),
measures as (
    select indicator_id, max(unit_measure) as unit_measure
    from {{ ref('indicator_definitions') }}
    group by indicator_id
),
obs as (
    select unit_code, unit_valid_from, period, indicator_id, agency_code, field_code,
        numerator, denominator, ratio, obs_status
    from {{ ref('ind_observations_all') }}
    -- the as-published series: a plan target is checked against the unit as it was, never against the
    -- comparable back-cast series (E) of its successor
    where period_type = 'Y' and procedure_code is null and obs_status <> 'E'
),
whole_unit as (
    select unit_code, unit_valid_from, period, indicator_id, field_code,
        max(ratio) as ratio,
        -- one observation per key is expected, keep the METHODOLOGY §7 precedence if several
        case
            when bool_or(obs_status = 'Q') then 'Q' when bool_or(obs_status = 'M') then 'M'
            when bool_or(obs_status = 'B') then 'B' when bool_or(obs_status = 'E') then 'E'
            when bool_or(obs_status = 'P') then 'P' else max(obs_status)
        end as obs_status
    from obs
    where agency_code is null
    group by all
),
own_agencies as (
    select unit_code, unit_valid_from, period, indicator_id, field_code,
        sum(numerator) filter (where numerator is not null and denominator is not null) as numerator,
        sum(denominator) filter (where numerator is not null and denominator is not null) as denominator,
        sum(ratio) as ratio_sum,
        count(ratio) as agencies_with_value,
        bool_or(obs_status = 'Q') as any_small_cell,
        bool_or(obs_status = 'P') as any_provisional
    from obs
    where agency_code is not null
    group by all
),
valued as (
    select
        t.*,
        v.unit_valid_from,
        v.unit_name,
        coalesce(m.unit_measure, 'percent') as unit_measure,
        coalesce(y.is_running, w.obs_status = 'P', a.any_provisional, false) as is_running,
        y.period_start,
        y.period_end,
        y.p_end,
        case
            when t.scope = 'rieng' then
                case
                    when coalesce(m.unit_measure, 'percent') = 'percent' then
                        case when a.denominator > 0 then 100.0 * a.numerator / a.denominator end
                    when m.unit_measure = 'count' and a.agencies_with_value > 0 then a.ratio_sum
                end
            else w.ratio
        end as actual,
        w.obs_status as whole_obs_status,
        coalesce(a.any_small_cell, false) as rieng_small_cell
    from targets t
    left join unit_version v on v.unit_code = t.unit_code and v.target_year = t.target_year
    left join years y on y.target_year = t.target_year
    left join measures m on m.indicator_id = t.indicator_id
    left join whole_unit w
      on t.scope <> 'rieng'
     and w.unit_code = t.unit_code and w.unit_valid_from = v.unit_valid_from and w.period = cast(t.target_year as varchar)
     and w.indicator_id = t.indicator_id and w.field_code is not distinct from t.field_code
    left join own_agencies a
      on t.scope = 'rieng'
     and a.unit_code = t.unit_code and a.unit_valid_from = v.unit_valid_from and a.period = cast(t.target_year as varchar)
     and a.indicator_id = t.indicator_id and a.field_code is not distinct from t.field_code
),
projected as (
    select
        *,
        case
            when actual is null or not is_running then null
            when unit_measure = 'count' then
                case when p_end is not null and p_end >= period_start
                     then actual * (datediff('day', period_start, period_end) + 1)
                                 / (datediff('day', period_start, p_end) + 1)
                     else actual end
            else actual
        end as projection
    from valued
),
rows_attained as (
    select
        *,
        case
            when actual is null then 'no_data'
            when not is_running then case when {{ meets | replace('X', 'actual') }} then 'met' else 'not_met' end
            else case when {{ meets | replace('X', 'projection') }} then 'on_track' else 'at_risk' end
        end as attainment,
        case
            when scope = 'rieng' then
                case when actual is null then case when rieng_small_cell then 'Q' else 'M' end
                     when is_running then 'P' else 'A' end
            else coalesce(whole_obs_status, 'M')
        end as obs_status
    from projected
),
target_groups as (
    select
        unit_code, target_year, target_code,
        case
            when bool_or(attainment = 'not_met') then 'not_met'
            when bool_or(attainment = 'at_risk') then 'at_risk'
            when bool_or(attainment = 'no_data') then 'no_data'
            when bool_and(attainment = 'met') then 'met'
            else 'on_track'
        end as attainment,
        case when bool_and(attainment = 'met') then true when bool_or(attainment = 'not_met') then false end
            as target_met_all_rows,
        case
            when bool_or(obs_status = 'Q') then 'Q' when bool_or(obs_status = 'M') then 'M'
            when bool_or(obs_status = 'B') then 'B' when bool_or(obs_status = 'E') then 'E'
            when bool_or(obs_status = 'P') then 'P' else 'A'
        end as obs_status,
        case when count(distinct scope) = 1 then min(scope) end as scope,
        string_agg(distinct note, ' | ' order by note) as note,
        case when count(distinct target_source) = 1 then min(target_source) else 'mixed' end as target_source,
        bool_or(is_running) as is_running,
        max(p_end) as p_end,
        min(unit_valid_from) as unit_valid_from,
        min(unit_name) as unit_name
    from rows_attained
    group by unit_code, target_year, target_code
)
select
    'indicator' as row_type,
    r.unit_code,
    r.unit_valid_from,
    r.unit_name,
    r.target_year,
    r.target_code,
    r.indicator_id,
    r.field_code,
    r.scope,
    r.comparator,
    r.target_value,
    r.actual,
    r.projection,
    r.attainment,
    r.obs_status,
    r.note,
    g.target_met_all_rows,
    r.unit_measure,
    r.is_running,
    r.p_end,
    r.target_source
from rows_attained r
join target_groups g on g.unit_code = r.unit_code and g.target_year = r.target_year and g.target_code = r.target_code
union all
select
    'target' as row_type,
    g.unit_code,
    g.unit_valid_from,
    g.unit_name,
    g.target_year,
    g.target_code,
    cast(null as varchar) as indicator_id,
    cast(null as varchar) as field_code,
    g.scope,
    cast(null as varchar) as comparator,
    cast(null as double) as target_value,
    cast(null as double) as actual,
    cast(null as double) as projection,
    g.attainment,
    g.obs_status,
    g.note,
    g.target_met_all_rows,
    cast(null as varchar) as unit_measure,
    g.is_running,
    g.p_end,
    g.target_source
from target_groups g
