select
    agency_code                  as agency_code,
    agency_name                  as agency_name,
    unit_code                    as unit_code,
    cast(valid_from as date)     as valid_from,
    cast(valid_to as date)       as valid_to,
    _source_file                 as source_file,
    _source_sha256               as source_sha256,
    _source_record               as source_record,
    _loaded_at                   as loaded_at
from {{ source('lake', 'ref_agencies') }}
