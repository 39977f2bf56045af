-- Ancestor/descendant pairs over unit versions (unit_code, valid_from), including each unit with itself
-- (depth 0). A unit's scope (METHODOLOGY §1) = the dossiers of agencies in its descendants.
with recursive units as (
    select unit_code, valid_from, unit_level, parent_code, parent_valid_from
    from {{ ref('int_admin_units') }}
),
tree as (
    select
        unit_code as ancestor_code, valid_from as ancestor_valid_from, unit_level as ancestor_level,
        unit_code as descendant_code, valid_from as descendant_valid_from, unit_level as descendant_level,
        0 as depth
    from units
    union all
    select
        t.ancestor_code, t.ancestor_valid_from, t.ancestor_level,
        c.unit_code, c.valid_from, c.unit_level,
        t.depth + 1
    from tree t
    join units c
      on c.parent_code = t.descendant_code and c.parent_valid_from = t.descendant_valid_from
    where t.depth < 5
)
select * from tree
