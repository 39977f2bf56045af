{{ config(meta={'dagster': {'ref': {'name': 'ind_values_qd766_2_1'}}}) }}
-- QD766_2_1 is Biểu 06 col (8 + 9 + 12) / (7 + 11) for the same unit, field, agency and period.
select q.*
from {{ ref('ind_values_qd766_2_1') }} q
join {{ ref('ind_bieu06') }} b
  on b.period_type = q.period_type and b.period = q.period
 and b.unit_code = q.unit_code and b.unit_valid_from = q.unit_valid_from
 and b.agency_code is not distinct from q.agency_code
 and b.field_code is not distinct from q.field_code
where q.numerator <> b.resolved_early + b.resolved_on_time + b.pending_within_time
   or q.denominator <> b.resolved_total + b.pending_total
