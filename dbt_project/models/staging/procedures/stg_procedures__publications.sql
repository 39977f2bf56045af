select
    so_quyet_dinh                        as decision_number,
    cast(ngay_quyet_dinh as date)        as decision_date,
    loai                                 as change_type,
    ma_tthc                              as procedure_code,
    unit_code                            as unit_code,
    cast(ngay_hieu_luc_can_cu as date)   as legal_basis_effective_date,
    cast(ngay_cong_khai as date)         as disclosed_on,
    _source_file                         as source_file,
    _source_sha256                       as source_sha256,
    _source_record                       as source_record,
    _loaded_at                           as loaded_at
from {{ source('lake', 'publications') }}
