-- Biểu 06 as published (DATA_CONTRACT §2.2): one row per unit × field × period; the whole-unit row has
-- ma_linh_vuc NULL (rendered empty by the CSV writer). Agency rows stay in ind_bieu06.
select
    cast(period_type as varchar)            as period_type,
    cast(period as varchar)                 as period,
    cast(unit_code as varchar)              as unit_code,
    cast(unit_valid_from as date)           as unit_valid_from,
    cast(field_code as varchar)             as ma_linh_vuc,
    cast(field_name as varchar)             as ten_linh_vuc,
    cast(received_total as bigint)          as received_total,
    cast(received_online as bigint)         as received_online,
    cast(received_direct_postal as bigint)  as received_direct_postal,
    cast(carried_over as bigint)            as carried_over,
    cast(resolved_total as bigint)          as resolved_total,
    cast(resolved_early as bigint)          as resolved_early,
    cast(resolved_on_time as bigint)        as resolved_on_time,
    cast(resolved_late as bigint)           as resolved_late,
    cast(pending_total as bigint)           as pending_total,
    cast(pending_within_time as bigint)     as pending_within_time,
    cast(pending_overdue as bigint)         as pending_overdue
from {{ ref('ind_bieu06') }}
where agency_code is null
