-- Admin unit versions for analysts: intermediate.int_units (the rules live there; intermediate models read it).
select * from {{ ref('int_units') }}
