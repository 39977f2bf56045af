select
    ma_tthc                        as procedure_code,
    agency_code                    as agency_code,
    cast(hieu_luc_tu as date)      as valid_from,
    cast(hieu_luc_den as date)     as valid_to,
    cast(co_phi as boolean)        as has_fee,
    _source_file                   as source_file,
    _source_sha256                 as source_sha256,
    _source_record                 as source_record,
    _loaded_at                     as loaded_at
from {{ source('lake', 'applicability') }}
