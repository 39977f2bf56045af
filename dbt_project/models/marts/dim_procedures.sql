-- The procedure catalogue for analysts: intermediate.int_procedures (the rules live there).
select * from {{ ref('int_procedures') }}
