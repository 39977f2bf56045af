-- A view: at national scale this union is 13 M rows, and its readers (the publish table, target tracking, one
-- test) each scan it once — materialising it cost a 13 M-row write per build (17 s at 1 M dossiers, issue 7).
{{ config(materialized='view') }}
-- Every published observation (scored rows and the QD766 group/total scores) in the tidy shape of
-- DATA_CONTRACT §2.2 (without release_id), plus `value`-free helpers (is_running, group_id, unit_measure) for
-- downstream marts such as target_tracking. The publish model selects the contract columns from here.
select
    formula_version, indicator_id, indicator_name_vi, period_type, period, is_running, unit_code, unit_valid_from,
    unit_level, unit_name, agency_code, field_code, procedure_code, numerator, denominator, ratio, points, max_points,
    cast(null as varchar) as grade, cast(null as integer) as rank, cast(null as integer) as rank_of, n, obs_status,
    comment, group_id, unit_measure
from {{ ref('ind_scored_values') }}
union all
select
    formula_version, indicator_id, indicator_name_vi, period_type, period, is_running, unit_code, unit_valid_from,
    unit_level, unit_name, agency_code, field_code, procedure_code, numerator, denominator, ratio, points, max_points,
    grade, rank, rank_of, n, obs_status, comment, 'QD766_TOTAL' as group_id, 'points' as unit_measure
from {{ ref('ind_qd766_groups') }}
union all
-- the comparable series on the new boundaries (obs_status E, issue 21)
select
    formula_version, indicator_id, indicator_name_vi, period_type, period, is_running, unit_code, unit_valid_from,
    unit_level, unit_name, agency_code, field_code, procedure_code, numerator, denominator, ratio, points, max_points,
    grade, rank, rank_of, n, obs_status, comment, group_id, unit_measure
from {{ ref('ind_backcast_observations') }}
