select
    ma_ho_so                           as dossier_code,
    cast(ngay_danh_gia as timestamp)   as rated_at,
    muc_do                             as rating,
    _source_file                       as source_file,
    _source_sha256                     as source_sha256,
    _source_record                     as source_record,
    _loaded_at                         as loaded_at
from {{ source('lake', 'ratings') }}
