-- The unit register every model uses: the committed seed (ADMIN_UNITS.md), extended and — key by key
-- (unit_code, valid_from) — overridden by the raw root's reference/admin_units*.csv (a national or synthetic
-- raw root carries its own units there). Same columns as the seed.
with seed as (
    select unit_code, valid_from, valid_to, unit_name, unit_level, unit_type, parent_code, parent_valid_from, legal_basis
    from {{ ref('admin_units') }}
),
ref_raw as (
    select unit_code, valid_from, valid_to, unit_name, unit_level, unit_type, parent_code, parent_valid_from, legal_basis
    from {{ ref('stg_reference__admin_units') }}
    where unit_code is not null and valid_from is not null
    qualify row_number() over (
        partition by unit_code, valid_from order by loaded_at desc nulls last, source_record desc nulls last
    ) = 1
)
select * from ref_raw
union all
select s.* from seed s
where not exists (select 1 from ref_raw r where r.unit_code = s.unit_code and r.valid_from = s.valid_from)
