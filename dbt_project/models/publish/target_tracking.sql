-- Plan-target tracking as published (DATA_CONTRACT §2.2 target_tracking.csv): one row per target indicator row
-- (row_type = indicator) and one summary row per target (row_type = target). Contract enforced.
select
    cast(row_type as varchar)            as row_type,
    cast(unit_code as varchar)           as unit_code,
    cast(unit_valid_from as date)        as unit_valid_from,
    cast(unit_name as varchar)           as unit_name,
    cast(target_year as integer)         as nam,
    cast(target_code as varchar)         as ma_chi_tieu,
    cast(indicator_id as varchar)        as indicator_id,
    cast(field_code as varchar)          as ma_linh_vuc,
    cast(scope as varchar)               as pham_vi,
    cast(comparator as varchar)          as so_sanh,
    cast(target_value as double)         as gia_tri,
    cast(actual as double)               as actual,
    cast(projection as double)           as projection,
    cast(attainment as varchar)          as attainment,
    cast(obs_status as varchar)          as obs_status,
    cast(note as varchar)                as ghi_chu,
    cast(target_met_all_rows as boolean) as target_met_all_rows
from {{ ref('ind_target_tracking') }}
