select
    old_code                         as old_code,
    cast(old_valid_from as date)     as old_valid_from,
    new_code                         as new_code,
    cast(new_valid_from as date)     as new_valid_from,
    cast(effective_date as date)     as effective_date,
    legal_basis                      as legal_basis,
    share                            as share,
    _source_file                     as source_file,
    _source_sha256                   as source_sha256,
    _source_record                   as source_record,
    _loaded_at                       as loaded_at
from {{ source('lake', 'ref_unit_lineage') }}
