-- QD766_2_1 (METHODOLOGY §3) as unscored values (docs/indicator_values_contract.md):
--   numerator   = resolved in P early + on time + pending at P_end within time   (Biểu 06 col 8 + 9 + 12)
--   denominator = resolved in P + pending at P_end                              (Biểu 06 col 7 + 11)
-- Same rows as ind_bieu06: every unit version valid in the period (its subtree), per field, per agency.
select
    'QD766_2_1' as indicator_id,
    period_type,
    period,
    unit_code,
    unit_valid_from,
    agency_code,
    field_code,
    cast(null as varchar) as procedure_code,
    cast(resolved_early + resolved_on_time + pending_within_time as double) as numerator,
    cast(resolved_total + pending_total as double) as denominator,
    cast(null as double) as value,
    cast(resolved_total + pending_total as bigint) as n,
    case when resolved_total + pending_total = 0 then 'no dossier resolved in the period or pending at its end' end as comment
from {{ ref('ind_bieu06') }}
