-- Where a ceased unit version's dossiers go after it ceased (ADMIN_UNITS.md "What this means for indicator series",
-- point 4 and "Readings"): one row per (ceased unit version, successor version in force from `attributed_from`).
--   * the successor is read from the lineage table (int_unit_lineage: the seed and the raw root's reference/;
--     old code and valid_from → new code and valid_from, effective date, share) for the version itself, else for its
--     nearest ancestor that has one: a dissolved district (no lineage row of its own) hands its dossiers to its
--     province's successor — the province only, no commune (its province's July figures may exceed the sum of its
--     communes');
--   * a unit split between several successors (share < 1) hands a whole dossier to one: the largest share (then
--     the lowest code) — a dossier cannot be divided (reading documented in docs/reorganisation.md);
--   * a successor that itself ceased hands on to its own successor (a chain, up to 5 steps); each step is a row,
--     valid from its attributed_from to its successor_valid_to.
-- Consumers: int_dossier_period_status (dossiers open across the change are carried over into the successor's
-- months) and macros/successor_attribution.sql (month-reduced counts dated after the change: completions, ratings).
{{ config(materialized='table') }}
with recursive units as (
    select unit_code, valid_from, valid_to from {{ ref('int_admin_units') }}
),
lineage as (
    select old_code, old_valid_from, new_code, new_valid_from, effective_date, coalesce(share, 1.0) as share
    from {{ ref('int_unit_lineage') }}
),
direct as (
    select
        t.descendant_code as unit_code,
        t.descendant_valid_from as unit_valid_from,
        l.new_code as successor_code,
        l.new_valid_from as successor_valid_from,
        l.effective_date,
        t.depth as lineage_depth
    from {{ ref('int_admin_unit_tree') }} t
    join units u on u.unit_code = t.descendant_code and u.valid_from = t.descendant_valid_from
    join lineage l on l.old_code = t.ancestor_code and l.old_valid_from = t.ancestor_valid_from
    where u.valid_to is not null
    qualify row_number() over (
        partition by t.descendant_code, t.descendant_valid_from
        order by t.depth asc, l.share desc, l.new_code asc, l.new_valid_from asc
    ) = 1
),
chain as (
    select unit_code, unit_valid_from, successor_code, successor_valid_from, effective_date, lineage_depth, 1 as step
    from direct
    union all
    select c.unit_code, c.unit_valid_from, d.successor_code, d.successor_valid_from, d.effective_date,
           d.lineage_depth, c.step + 1
    from chain c
    join direct d on d.unit_code = c.successor_code and d.unit_valid_from = c.successor_valid_from
    where c.step < 5
)
select
    c.unit_code,
    c.unit_valid_from,
    c.step,
    c.successor_code,
    c.successor_valid_from,
    s.valid_to as successor_valid_to,
    -- the successor counts the dossier from its first day in force (the lineage's effective date)
    greatest(c.effective_date, c.successor_valid_from) as attributed_from,
    c.lineage_depth > 0 as via_ancestor
from chain c
left join units s on s.unit_code = c.successor_code and s.valid_from = c.successor_valid_from
