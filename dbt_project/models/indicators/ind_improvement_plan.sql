-- Improvement planner (issue 23, first part: the arithmetic): per unit and period, for every scored QD766 row that
-- lost points, how many points are lost, how many items fail behind them (dossiers, procedures or PAKN: denominator −
-- numerator), how many must be fixed for the row to be full (a threshold row gains nothing above T: only the items
-- up to T count), and the points recovered by fixing the first item and all of them — computed with the scoring
-- macro itself (indicator_points: the same rule, the same 2-decimal rounding), so the promised gain is the one a
-- recomputation gives. Actions are ranked per unit and period by points recovered, then by fewest items.
-- Whole-unit rows only (no agency / field / procedure breakdown); M and Q rows (no value) have nothing to fix.
with scored as (
    select
        s.formula_version, s.indicator_id, s.indicator_name_vi, s.group_id, s.period_type, s.period, s.is_running,
        s.unit_code, s.unit_valid_from, s.unit_level,
        cast(s.numerator as double) as numerator, cast(s.denominator as double) as denominator,
        s.points, cast(d.max_points as double) as max_points, d.scoring_rule, cast(d.threshold as double) as threshold,
        d.empty_rule
    from {{ ref('ind_scored_values') }} s
    join {{ ref('indicator_definitions') }} d using (indicator_id, formula_version)
    where s.agency_code is null and s.field_code is null and s.procedure_code is null
      and d.scoring_rule in ('linear', 'threshold') and d.max_points > 0
      and s.denominator > 0 and s.points < d.max_points and s.obs_status not in ('M', 'Q')
),
sized as (
    select s.*,
        -- what fails behind a row (METHODOLOGY §3; the improvement_actions seed): dossier, procedure or petition
        -- (NULL for a row the seed does not list: its gain is computed, no item is named)
        a.item_kind,
        s.denominator - s.numerator as failing_items,
        case when s.scoring_rule = 'threshold'
             -- the fewest items taking the ratio to T: ceil(T × den / 100 − num), at most the failing ones
             then least(s.denominator - s.numerator,
                        greatest(1, ceil(s.threshold * s.denominator / 100.0 - s.numerator - 1e-9)))
             else s.denominator - s.numerator end as items_to_full
    from scored s
    left join {{ ref('improvement_actions') }} a using (indicator_id)
),
gains as (
    select *,
        round(max_points - points, 2) as points_lost,
        round({{ indicator_points('100.0 * (numerator + 1) / denominator', 'scoring_rule', 'max_points', 'threshold',
                                  'empty_rule', 'denominator') }} - points, 2) as gain_first_item,
        round({{ indicator_points('100.0 * (numerator + items_to_full) / denominator', 'scoring_rule', 'max_points',
                                  'threshold', 'empty_rule', 'denominator') }} - points, 2) as gain_to_full
    from sized
)
select
    formula_version, period_type, period, is_running, unit_code, unit_valid_from, unit_level, indicator_id,
    indicator_name_vi, group_id, scoring_rule, threshold, numerator, denominator, points, max_points, points_lost,
    item_kind, failing_items, items_to_full, gain_first_item, gain_to_full,
    round(gain_to_full / items_to_full, 4) as gain_per_item,
    row_number() over (partition by formula_version, period_type, period, unit_code, unit_valid_from
                       order by gain_to_full desc, items_to_full asc, indicator_id asc) as action_rank
from gains
