-- The lineage every model reads (old unit version → new unit version): the committed seed (ADMIN_UNITS.md),
-- extended and — key by key (old_code, old_valid_from, new_code, new_valid_from) — overridden by the raw root's
-- reference/unit_lineage*.csv (a province raw root carries the lineage of its own units there, as
-- `cchc generate --scale province` does). Same columns as the seed.
with seed as (
    select old_code, old_valid_from, new_code, new_valid_from, effective_date, legal_basis, share
    from {{ ref('unit_lineage') }}
),
ref_raw as (
    select old_code, old_valid_from, new_code, new_valid_from, effective_date, legal_basis, share
    from {{ ref('stg_reference__unit_lineage') }}
    where old_code is not null and old_valid_from is not null and new_code is not null and new_valid_from is not null
    qualify row_number() over (
        partition by old_code, old_valid_from, new_code, new_valid_from
        order by loaded_at desc nulls last, source_record desc nulls last
    ) = 1
)
select * from ref_raw
union all
select s.* from seed s
where not exists (
    select 1 from ref_raw r
    where r.old_code = s.old_code and r.old_valid_from = s.old_valid_from
      and r.new_code = s.new_code and r.new_valid_from = s.new_valid_from
)
