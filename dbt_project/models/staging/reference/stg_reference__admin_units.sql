select
    unit_code                        as unit_code,
    cast(valid_from as date)         as valid_from,
    cast(valid_to as date)           as valid_to,
    unit_name                        as unit_name,
    unit_level                       as unit_level,
    unit_type                        as unit_type,
    parent_code                      as parent_code,
    cast(parent_valid_from as date)  as parent_valid_from,
    legal_basis                      as legal_basis,
    _source_file                     as source_file,
    _source_sha256                   as source_sha256,
    _source_record                   as source_record,
    _loaded_at                       as loaded_at
from {{ source('lake', 'ref_admin_units') }}
