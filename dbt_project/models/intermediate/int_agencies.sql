-- Agency registry: the committed seed, overridden key by key (agency_code, valid_from) and extended by the
-- raw root's reference/agencies.csv (DATA_CONTRACT §1.5), cut into one row per version of the agency's unit code
-- it lived under (ADMIN_UNITS.md "Readings": a registry row may span the 2025 reform with valid_to empty; the
-- agency's dossiers resolve, by their reception date, to the unit version valid then, so nothing is dropped because
-- a registry row was not split at 2025-06-30). Each row's valid_from/valid_to is the part of the registry row under
-- that unit version (the first and last parts keep the registry row's own ends, so a day the unit register does
-- not cover still resolves); registry_valid_from is the registry key. A row no unit version overlaps keeps the
-- nearest version (the latest starting on or before its valid_to, else the earliest), or none for an unknown code.
with seed as (
    select agency_code, agency_name, unit_code, valid_from, valid_to, 'seed' as registry_source
    from {{ ref('agencies') }}
),
ref_raw as (
    select agency_code, agency_name, unit_code, valid_from, valid_to, 'raw_reference' as registry_source
    from {{ ref('stg_reference__agencies') }}
    where agency_code is not null and valid_from is not null
    qualify row_number() over (
        partition by agency_code, valid_from order by loaded_at desc nulls last, source_record desc nulls last
    ) = 1
),
merged as (
    select * from ref_raw
    union all
    select s.* from seed s
    where not exists (
        select 1 from ref_raw r where r.agency_code = s.agency_code and r.valid_from = s.valid_from
    )
),
units as (
    select unit_code, valid_from, valid_to, unit_level from {{ ref('int_admin_units') }}
),
overlapping as (
    select
        m.*,
        u.valid_from as u_valid_from,
        u.valid_to as u_valid_to,
        u.unit_level,
        row_number() over (partition by m.agency_code, m.valid_from order by u.valid_from) as part_no,
        count(*) over (partition by m.agency_code, m.valid_from) as parts
    from merged m
    join units u
      on u.unit_code = m.unit_code
     and u.valid_from <= coalesce(m.valid_to, date '9999-12-31')
     and coalesce(u.valid_to, date '9999-12-31') >= m.valid_from
),
not_overlapping as (
    select m.*, u.valid_from as u_valid_from, u.unit_level
    from merged m
    left join units u on u.unit_code = m.unit_code
    where not exists (
        select 1 from overlapping o where o.agency_code = m.agency_code and o.valid_from = m.valid_from)
    qualify row_number() over (
        partition by m.agency_code, m.valid_from
        order by
            case when u.valid_from <= coalesce(m.valid_to, date '9999-12-31') then u.valid_from end desc nulls last,
            u.valid_from
    ) = 1
)
select
    agency_code,
    case when part_no = 1 then valid_from else u_valid_from end as valid_from,
    case when part_no = parts then valid_to else u_valid_to end as valid_to,
    agency_name,
    unit_code,
    u_valid_from as unit_valid_from,
    unit_level,
    registry_source,
    valid_from as registry_valid_from
from overlapping
union all
select
    agency_code, valid_from, valid_to, agency_name, unit_code, u_valid_from as unit_valid_from, unit_level,
    registry_source, valid_from as registry_valid_from
from not_overlapping
