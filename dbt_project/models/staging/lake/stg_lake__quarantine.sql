select
    source_table                       as source_table,
    _source_file                       as source_file,
    _source_sha256                     as source_sha256,
    cast(_source_record as bigint)     as source_record,
    record_key                         as record_key,
    rule                               as rule,
    field                              as field,
    value                              as value,
    _loaded_at                         as loaded_at
from {{ source('lake', 'quarantine') }}
