-- Plan-target tracking as published (DATA_CONTRACT §2.2 target_tracking.csv): one row per target indicator row
-- (row_type = indicator) and one summary row per target (row_type = target). Contract enforced.
select
    cast(row_type as varchar)            as row_type,
    cast(unit_code as varchar)           as unit_code,
    cast(unit_valid_from as date)        as unit_valid_from,
    cast(unit_name as varchar)           as unit_name,
    cast(nam as integer)                 as nam,
    cast(ma_chi_tieu as varchar)         as ma_chi_tieu,
    cast(indicator_id as varchar)        as indicator_id,
    cast(ma_linh_vuc as varchar)         as ma_linh_vuc,
    cast(pham_vi as varchar)             as pham_vi,
    cast(so_sanh as varchar)             as so_sanh,
    cast(gia_tri as double)              as gia_tri,
    cast(actual as double)               as actual,
    cast(projection as double)           as projection,
    cast(attainment as varchar)          as attainment,
    cast(obs_status as varchar)          as obs_status,
    cast(ghi_chu as varchar)             as ghi_chu,
    cast(target_met_all_rows as boolean) as target_met_all_rows
from {{ ref('ind_target_tracking') }}
