-- QD766_1_4's denominator (dossiers received in P) must equal Biểu 06 columns 4 + 5 (received online + in person
-- or by post in P) on every unit / agency / field row where either is non-zero.
with mine as (
    select period_type, period, unit_code, unit_valid_from, agency_code, field_code, denominator
    from {{ ref('ind_values_qd766_dossiers') }}
    where indicator_id = 'QD766_1_4'
),
b06 as (
    select period_type, period, unit_code, unit_valid_from, agency_code, field_code,
           received_online + received_direct_postal as received
    from {{ ref('ind_bieu06') }}
    where received_online + received_direct_postal > 0
)
select m.*, b.*
from mine m
full outer join b06 b
  on b.period_type = m.period_type and b.period = m.period and b.unit_code = m.unit_code
 and b.unit_valid_from = m.unit_valid_from
 and b.agency_code is not distinct from m.agency_code and b.field_code is not distinct from m.field_code
where coalesce(m.denominator, 0) <> coalesce(b.received, 0)
