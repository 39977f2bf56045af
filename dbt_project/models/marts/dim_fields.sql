-- Fields (lĩnh vực): every field code in the catalogue or the dossiers, named from the catalogue when it has
-- the code, else from the dossiers.
with catalogue as (
    select field_code, max(field_name) as field_name
    from {{ ref('stg_procedures__procedures') }}
    where field_code is not null
    group by field_code
),
dossiers as (
    select field_code, max(field_name) as field_name
    from {{ ref('stg_dossiers__dossiers') }}
    where field_code is not null
    group by field_code
)
select
    coalesce(c.field_code, d.field_code) as field_code,
    coalesce(c.field_name, d.field_name) as field_name,
    c.field_code is not null as in_catalogue
from catalogue c
full outer join dossiers d on d.field_code = c.field_code
