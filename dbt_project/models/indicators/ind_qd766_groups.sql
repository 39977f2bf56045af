-- Decision 766 group scores and total (METHODOLOGY §3), with grade and rank.
--   QD766_CKMB, _TDGQ, _TTTT (3_1–3_3), _CLGQ (3_4–3_6), _MDSH, _MDHL = Σ points of their rows;
--   QD766_DVTT = TTTT + CLGQ;  QD766_TOTAL = CKMB + TDGQ + DVTT + MDSH + MDHL (max 100).
-- Computed per unit (whole unit, all fields) and per agency; missing rows (obs_status M) add the points their empty
-- rule gives (0, or the maximum for "no PAKN") and are named in `comment` with those points.
-- Ranks: competition ranking (1, 1, 3) among units of the same level under the same province, agencies among
-- agencies of the same province, provinces nationally. A unit out of coverage (no data at all for the period,
-- ind_unit_coverage) has no points, grade or rank, obs_status M, and is left out of rank_of: a unit without data is
-- never ranked against units with data. Grade bands (seeds/grade_bands.csv) for the total.
{#- Incremental by period digest (macros/period_digests.sql): the periods whose scored rows or units changed. -#}
{{ config(
    materialized="incremental", incremental_strategy="append",
    period_digest_inputs=[{'model': 'ind_scored_values', 'row':
        "hash(t.formula_version, t.indicator_id, t.group_id, t.is_running, t.unit_code, t.unit_valid_from, "
        ~ "t.unit_level, t.unit_name, t.agency_code, t.field_code, t.procedure_code, round(t.points, 9), t.max_points, "
        ~ "t.obs_status, t.is_out_of_coverage)"}],
    period_digest_globals=[{'model': 'dim_units', 'row': 'hash(t.unit_code, t.unit_valid_from, t.province_code)'}],
    pre_hook="{{ period_digest_pre_hooks() }}", post_hook="{{ period_digest_post_hooks() }}") }}
with rows_ as (
    select * from {{ ref('ind_scored_values') }}
    where {{ period_digest_changed() }}
      and formula_version like 'QD766-%' and field_code is null and procedure_code is null
      and group_id in ('QD766_CKMB', 'QD766_TDGQ', 'QD766_TTTT', 'QD766_CLGQ', 'QD766_MDSH', 'QD766_MDHL')
),
groups_ as (
    select
        formula_version, group_id as indicator_id, period_type, period, is_running, unit_code, unit_valid_from,
        unit_level, unit_name, agency_code,
        round(sum(coalesce(points, 0)), 9) as points,  -- rounded: float sums must not depend on the order of addition
        -- each missing row with the points it actually got (an M row under "no PAKN ⇒ full points" got its maximum)
        string_agg(case when obs_status = 'M' and max_points > 0
                        then indicator_id || ' (' || cast(round(coalesce(points, 0), 2) as varchar) || ' points)' end,
                   ', ' order by indicator_id) as missing_rows,
        count(*) as n,
        coalesce(bool_or(is_out_of_coverage), false) as out_of_coverage,
        coalesce(bool_or(is_series_break), false) as is_series_break,
        max(discontinued_on) as discontinued_on
    from rows_
    group by all
),
dvtt as (
    select formula_version, 'QD766_DVTT' as indicator_id, period_type, period, is_running, unit_code, unit_valid_from,
           unit_level, unit_name, agency_code, round(sum(points), 9) as points,
           string_agg(missing_rows, ', ') as missing_rows, sum(n) as n, bool_or(out_of_coverage) as out_of_coverage,
           bool_or(is_series_break) as is_series_break, max(discontinued_on) as discontinued_on
    from groups_ where indicator_id in ('QD766_TTTT', 'QD766_CLGQ')
    group by all
),
total as (
    select formula_version, 'QD766_TOTAL' as indicator_id, period_type, period, is_running, unit_code, unit_valid_from,
           unit_level, unit_name, agency_code, round(sum(points), 9) as points,
           string_agg(missing_rows, ', ') as missing_rows, sum(n) as n, bool_or(out_of_coverage) as out_of_coverage,
           bool_or(is_series_break) as is_series_break, max(discontinued_on) as discontinued_on
    from (select * from groups_ where indicator_id not in ('QD766_TTTT', 'QD766_CLGQ') union all select * from dvtt)
    group by all
),
all_groups as (
    select * from groups_ union all select * from dvtt union all select * from total
),
with_defs as (
    select g.*, d.name_vi, d.max_points, u.province_code
    from all_groups g
    join {{ ref('indicator_definitions') }} d on d.indicator_id = g.indicator_id and d.formula_version = g.formula_version
    join {{ ref('dim_units') }} u on u.unit_code = g.unit_code and u.unit_valid_from = g.unit_valid_from
),
ranked as (
    select
        *,
        case when not out_of_coverage then rank() over (peers order by points desc) end as rank,
        case when not out_of_coverage then count(*) over peers end as rank_of
    from with_defs
    window peers as (
        partition by indicator_id, formula_version, period_type, period, out_of_coverage,
            agency_code is not null,  -- agencies among agencies, units among units
            case when agency_code is null then unit_level end,
            case when agency_code is null and unit_level = 'tinh' then null else province_code end
    )
)
select
    r.formula_version,
    r.indicator_id,
    r.name_vi as indicator_name_vi,
    r.period_type,
    r.period,
    r.is_running,
    r.unit_code,
    r.unit_valid_from,
    r.unit_level,
    r.unit_name,
    r.agency_code,
    cast(null as varchar) as field_code,
    cast(null as varchar) as procedure_code,
    cast(null as double) as numerator,
    cast(null as double) as denominator,
    cast(null as double) as ratio,
    case when not r.out_of_coverage then r.points end as points,
    r.max_points,
    case when r.indicator_id = 'QD766_TOTAL' and not r.out_of_coverage then gb.grade_name_vi end as grade,
    cast(r.rank as integer) as rank,
    cast(r.rank_of as integer) as rank_of,
    cast(null as bigint) as n,  -- a sum of points, not a count of observations
    case when r.out_of_coverage then 'M' when r.is_series_break then 'B' when r.is_running then 'P' else 'A' end
        as obs_status,
    nullif(concat_ws('; ',
        case when r.out_of_coverage then 'no data for this unit'
             when r.missing_rows is not null
             then 'missing rows: ' || array_to_string(list_sort(list_distinct(string_split(r.missing_rows, ', '))), ', ')
        end,
        case when r.discontinued_on is not null then 'discontinued on ' || strftime(r.discontinued_on, '%Y-%m-%d') end
    ), '') as comment
from ranked r
left join {{ ref('grade_bands') }} gb
  on r.indicator_id = 'QD766_TOTAL'
 and r.points >= gb.min_points and (gb.max_points_exclusive is null or r.points < gb.max_points_exclusive)
