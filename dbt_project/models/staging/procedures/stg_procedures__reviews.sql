select
    ma_ke_hoach                  as review_plan_code,
    unit_code                    as unit_code,
    cast(nam as integer)         as plan_year,
    ma_tthc                      as procedure_code,
    cast(ngay_ra_soat as date)   as reviewed_on,
    ket_qua                      as review_result,
    _source_file                 as source_file,
    _source_sha256               as source_sha256,
    _source_record               as source_record,
    _loaded_at                   as loaded_at
from {{ source('lake', 'reviews') }}
