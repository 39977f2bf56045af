-- Admin unit versions (unit_code, valid_from) with their parent, province and depth.
with units as (
    select * from {{ ref('int_admin_units') }}
),
province as (
    select descendant_code, descendant_valid_from, ancestor_code, ancestor_valid_from
    from {{ ref('int_admin_unit_tree') }}
    where ancestor_level = 'tinh'
),
district as (
    select descendant_code, descendant_valid_from, ancestor_code, ancestor_valid_from
    from {{ ref('int_admin_unit_tree') }}
    where ancestor_level = 'huyen'
)
select
    u.unit_code,
    u.valid_from as unit_valid_from,
    u.valid_to as unit_valid_to,
    u.unit_name,
    u.unit_level,
    u.unit_type,
    u.parent_code,
    u.parent_valid_from,
    p.ancestor_code as province_code,
    p.ancestor_valid_from as province_valid_from,
    d.ancestor_code as district_code,
    d.ancestor_valid_from as district_valid_from,
    u.legal_basis
from units u
left join province p on p.descendant_code = u.unit_code and p.descendant_valid_from = u.valid_from
left join district d on d.descendant_code = u.unit_code and d.descendant_valid_from = u.valid_from
