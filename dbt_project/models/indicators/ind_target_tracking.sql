-- ind_target_tracking (indicators: it reads ind_observations_all) (the published copy is publish/target_tracking: the
-- release and the data dictionary look the publish table up by the model name target_tracking, and dbt model names
-- are unique).
-- Plan-target tracking (METHODOLOGY §6, DATA_CONTRACT §1.5): each target row with its actual value, a linear
-- year-end projection for a running year, and its attainment, plus one summary row per target (ma_chi_tieu).
--
-- Targets: seed `targets`, overridden key by key and extended by the raw root's reference/targets.csv
--   (stg_reference__targets), key = (unit_code, nam, ma_chi_tieu, indicator_id, ma_linh_vuc).
-- Unit version: the version of unit_code valid on 1 January of nam, else the first version starting in the year.
-- Actual = the year's observation (period_type Y, period = nam) of the indicator in ind_observations_all
--   (`ratio` = the observation value in the indicator's unit_measure — percent, count, …):
--   pham_vi toan_bo: the whole-unit row (agency NULL) of the unit — its whole subtree — for the target's field,
--   pham_vi rieng:   the unit's OWN agencies = the agency rows whose unit_code is the unit, aggregated:
--                    percent → 100 × Σ numerator / Σ denominator, count → Σ value; other measures → no value.
--   No value (no row, M, or Q small cell) ⇒ attainment no_data.
-- Attainment: finished year → met / not_met (actual compared with gia_tri by so_sanh ge | le | eq, tolerance 1e-9),
--   running year (int_periods.is_running, or the observation is P) → on_track / at_risk by comparing the linear
--   year-end projection: for a share (any non-count measure) the value so far, for a count measure
--   (indicator_definitions.unit_measure = count, e.g. TTHC_REVIEWED_COUNT) actual × days in the year / days elapsed
--   (period_start … P_end, inclusive). projection is NULL for a finished year.
-- Summary row (row_type = target) per (unit, nam, ma_chi_tieu): not_met if any row is not_met, else at_risk if any
--   row is at_risk, else no_data if any row has no data, else met if every row is met, else on_track.
-- target_met_all_rows (every row of the target): true when every row is met, false when a row is not_met, else NULL
--   (running year or missing data).
{%- set meets = "case so_sanh when 'ge' then X >= gia_tri - 1e-9 when 'le' then X <= gia_tri + 1e-9"
                ~ " when 'eq' then abs(X - gia_tri) <= 1e-9 end" %}
with seed_targets as (
    select
        cast(unit_code as varchar) as unit_code,
        cast(nam as integer) as nam,
        cast(ma_chi_tieu as varchar) as ma_chi_tieu,
        cast(indicator_id as varchar) as indicator_id,
        nullif(trim(cast(ma_linh_vuc as varchar)), '') as ma_linh_vuc,
        coalesce(nullif(lower(trim(cast(pham_vi as varchar))), ''), 'toan_bo') as pham_vi,
        lower(trim(cast(so_sanh as varchar))) as so_sanh,
        cast(gia_tri as double) as gia_tri,
        cast(ghi_chu as varchar) as ghi_chu,
        'seed' as target_source
    from {{ ref('targets') }}
),
raw_targets as (
    select
        cast(unit_code as varchar) as unit_code,
        cast(target_year as integer) as nam,
        cast(target_code as varchar) as ma_chi_tieu,
        cast(indicator_id as varchar) as indicator_id,
        nullif(trim(cast(field_code as varchar)), '') as ma_linh_vuc,
        coalesce(nullif(lower(trim(cast(scope as varchar))), ''), 'toan_bo') as pham_vi,
        lower(trim(cast(comparator as varchar))) as so_sanh,
        cast(target_value as double) as gia_tri,
        cast(note as varchar) as ghi_chu,
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
        where r.unit_code = s.unit_code and r.nam = s.nam and r.ma_chi_tieu = s.ma_chi_tieu
          and r.indicator_id = s.indicator_id and r.ma_linh_vuc is not distinct from s.ma_linh_vuc
    )
),
unit_version as (
    select
        t.unit_code, t.nam,
        u.valid_from as unit_valid_from, u.unit_name, u.unit_level
    from (select distinct unit_code, nam from targets) t
    join {{ ref('int_admin_units') }} u
      on u.unit_code = t.unit_code
     and u.valid_from <= make_date(t.nam, 12, 31)
     and coalesce(u.valid_to, date '9999-12-31') >= make_date(t.nam, 1, 1)
    qualify row_number() over (partition by t.unit_code, t.nam order by u.valid_from) = 1
),
years as (
    select cast(period as integer) as nam, is_running, period_start, period_end, p_end
    from {{ ref('int_periods') }}
    where period_type = 'Y'
),
measures as (
    select indicator_id, max(unit_measure) as unit_measure
    from {{ ref('indicator_definitions') }}
    group by indicator_id
),
obs as (
    select unit_code, unit_valid_from, period, indicator_id, agency_code, ma_linh_vuc,
        numerator, denominator, ratio, obs_status
    from {{ ref('ind_observations_all') }}
    -- the as-published series: a plan target is checked against the unit as it was, never against the
    -- comparable back-cast series (E) of its successor
    where period_type = 'Y' and ma_tthc is null and obs_status <> 'E'
),
whole_unit as (
    select unit_code, unit_valid_from, period, indicator_id, ma_linh_vuc,
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
    select unit_code, unit_valid_from, period, indicator_id, ma_linh_vuc,
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
            when t.pham_vi = 'rieng' then
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
    left join unit_version v on v.unit_code = t.unit_code and v.nam = t.nam
    left join years y on y.nam = t.nam
    left join measures m on m.indicator_id = t.indicator_id
    left join whole_unit w
      on t.pham_vi <> 'rieng'
     and w.unit_code = t.unit_code and w.unit_valid_from = v.unit_valid_from and w.period = cast(t.nam as varchar)
     and w.indicator_id = t.indicator_id and w.ma_linh_vuc is not distinct from t.ma_linh_vuc
    left join own_agencies a
      on t.pham_vi = 'rieng'
     and a.unit_code = t.unit_code and a.unit_valid_from = v.unit_valid_from and a.period = cast(t.nam as varchar)
     and a.indicator_id = t.indicator_id and a.ma_linh_vuc is not distinct from t.ma_linh_vuc
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
            when pham_vi = 'rieng' then
                case when actual is null then case when rieng_small_cell then 'Q' else 'M' end
                     when is_running then 'P' else 'A' end
            else coalesce(whole_obs_status, 'M')
        end as obs_status
    from projected
),
target_groups as (
    select
        unit_code, nam, ma_chi_tieu,
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
        case when count(distinct pham_vi) = 1 then min(pham_vi) end as pham_vi,
        string_agg(distinct ghi_chu, ' | ' order by ghi_chu) as ghi_chu,
        case when count(distinct target_source) = 1 then min(target_source) else 'mixed' end as target_source,
        bool_or(is_running) as is_running,
        max(p_end) as p_end,
        min(unit_valid_from) as unit_valid_from,
        min(unit_name) as unit_name
    from rows_attained
    group by unit_code, nam, ma_chi_tieu
)
select
    'indicator' as row_type,
    r.unit_code,
    r.unit_valid_from,
    r.unit_name,
    r.nam,
    r.ma_chi_tieu,
    r.indicator_id,
    r.ma_linh_vuc,
    r.pham_vi,
    r.so_sanh,
    r.gia_tri,
    r.actual,
    r.projection,
    r.attainment,
    r.obs_status,
    r.ghi_chu,
    g.target_met_all_rows,
    r.unit_measure,
    r.is_running,
    r.p_end,
    r.target_source
from rows_attained r
join target_groups g on g.unit_code = r.unit_code and g.nam = r.nam and g.ma_chi_tieu = r.ma_chi_tieu
union all
select
    'target' as row_type,
    g.unit_code,
    g.unit_valid_from,
    g.unit_name,
    g.nam,
    g.ma_chi_tieu,
    cast(null as varchar) as indicator_id,
    cast(null as varchar) as ma_linh_vuc,
    g.pham_vi,
    cast(null as varchar) as so_sanh,
    cast(null as double) as gia_tri,
    cast(null as double) as actual,
    cast(null as double) as projection,
    g.attainment,
    g.obs_status,
    g.ghi_chu,
    g.target_met_all_rows,
    cast(null as varchar) as unit_measure,
    g.is_running,
    g.p_end,
    g.target_source
from target_groups g
