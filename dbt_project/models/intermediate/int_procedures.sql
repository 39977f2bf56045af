-- Procedure catalogue (TTHC, CSDLQG export): one row per procedure version (procedure_code, valid_from).
select
    procedure_code,
    valid_from,
    valid_to,
    procedure_name,
    field_code,
    field_name,
    levels,
    list_contains(string_split(coalesce(levels, ''), ';'), 'tinh') as level_tinh,
    list_contains(string_split(coalesce(levels, ''), ';'), 'huyen') as level_huyen,
    list_contains(string_split(coalesce(levels, ''), ';'), 'xa') as level_xa,
    legal_time_limit,
    legal_time_unit,
    has_fee,
    requires_paper_result,
    eligible_full_online,
    online_service_level,
    is_citizen_facing,
    is_fully_disclosed,
    source_file
from {{ ref('stg_procedures__procedures') }}
qualify row_number() over (partition by procedure_code, valid_from order by loaded_at desc nulls last, source_record desc nulls last) = 1
