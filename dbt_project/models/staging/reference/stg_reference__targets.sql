select
    unit_code                    as unit_code,
    cast(nam as integer)         as target_year,
    ma_chi_tieu                  as target_code,
    indicator_id                 as indicator_id,
    ma_linh_vuc                  as field_code,
    coalesce(pham_vi, 'toan_bo') as scope,
    so_sanh                      as comparator,
    cast(gia_tri as double)      as target_value,
    ghi_chu                      as note,
    _source_file                 as source_file,
    _source_sha256               as source_sha256,
    _source_record               as source_record,
    _loaded_at                   as loaded_at
from {{ source('lake', 'ref_targets') }}
