select
    source_name                      as source_name,
    coalesce(present, false)         as is_present,
    cast(files as integer)           as file_count,
    cast(rows_loaded as bigint)      as rows_loaded
from {{ source('lake', 'source_inventory') }}
