-- Why a unit lost points on a PAKN row (QD766_5_1, 5_2, 5_3): one row per (indicator, period, unit version,
-- petition) in the denominator but not in the numerator, for the petition's agency unit and every ancestor of it
-- (unit_code/unit_valid_from = the unit whose value the petition counts in; agency_code = the petition's handling
-- agency, whose own row is the one with unit_code = agency_unit_code), with the reason
-- (e.g. "handled 19 working days after receipt (limit 15)", "more dislikes than likes (4 vs 1)", "repeat complaint").
select
    i.indicator_id,
    i.period_type,
    i.period,
    t.ancestor_code as unit_code,
    t.ancestor_valid_from as unit_valid_from,
    t.ancestor_level as unit_level,
    i.agency_code,
    i.unit_code as agency_unit_code,
    i.petition_code,
    i.reason
from {{ ref('int_qd766_petition_items') }} i
join {{ ref('int_admin_unit_tree') }} t
  on t.descendant_code = i.unit_code and t.descendant_valid_from = i.unit_valid_from
where not i.is_met
  and i.indicator_id not in ('QD766_5_1A', 'QD766_5_1B')  -- shares of categories, not failures
