-- Agency registry: the committed seed, overridden key by key (agency_code, valid_from) and extended by the
-- raw root's reference/agencies.csv (DATA_CONTRACT §1.5), with the unit version each agency belongs to:
-- the version of its unit_code valid on the agency's valid_from (else the latest version starting on or before
-- the agency's valid_to, else the earliest version).
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
    select unit_code, valid_from, valid_to, unit_level, unit_name from {{ ref('int_admin_units') }}
)
select
    m.agency_code,
    m.valid_from,
    m.valid_to,
    m.agency_name,
    m.unit_code,
    u.valid_from as unit_valid_from,
    u.unit_level,
    m.registry_source
from merged m
left join units u on u.unit_code = m.unit_code
qualify row_number() over (
    partition by m.agency_code, m.valid_from
    order by
        case when m.valid_from between u.valid_from and coalesce(u.valid_to, date '9999-12-31') then 0
             when u.valid_from <= coalesce(m.valid_to, date '9999-12-31') then 1
             else 2 end,
        case when u.valid_from <= coalesce(m.valid_to, date '9999-12-31') then u.valid_from end desc nulls last,
        u.valid_from
) = 1
