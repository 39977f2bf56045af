-- Agencies (cơ quan) with validity and the unit version they belong to.
select
    a.agency_code,
    a.valid_from,
    a.valid_to,
    a.agency_name,
    a.unit_code,
    a.unit_valid_from,
    a.unit_level,
    u.unit_name,
    u.province_code,
    a.registry_source
from {{ ref('int_agencies') }} a
left join {{ ref('int_units') }} u on u.unit_code = a.unit_code and u.unit_valid_from = a.unit_valid_from
