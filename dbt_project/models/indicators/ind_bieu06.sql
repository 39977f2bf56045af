-- Biểu 06 (Circular 01/2020/TT-VPCP, METHODOLOGY §4): per unit (every level, each with its whole subtree) ×
-- field × period, and per agency. Whole-unit / whole-agency rows have field_code NULL and exist for every unit
-- version valid in the period (zeros when it had no dossier); field rows exist where the field has data.
-- Counts are first reduced to (period, agency, unit, field) — small — and only then rolled up the unit tree.
with counts as (
    -- (period, agency, unit, field) counts, kept per period by an incremental model: this table only rolls them up
    select * from {{ ref('int_bieu06_counts') }}
),
periods as (
    select * from {{ ref('int_periods') }}
),
units as (
    select * from {{ ref('dim_units') }}
),
-- Unit versions valid at some point of the period (up to P_end for a running period).
unit_frame as (
    select u.unit_code, u.unit_valid_from, p.period_type, p.period
    from units u
    join periods p
      on u.unit_valid_from <= p.p_end
     and coalesce(u.unit_valid_to, date '9999-12-31') >= p.period_start
),
unit_rollup as (
    select
        t.ancestor_code as unit_code,
        t.ancestor_valid_from as unit_valid_from,
        c.period_type,
        c.period,
        c.field_code,
        grouping(c.field_code) as is_all_fields,
        sum(c.received_online) as received_online,
        sum(c.received_direct_postal) as received_direct_postal,
        sum(c.carried_over) as carried_over,
        sum(c.resolved_early) as resolved_early,
        sum(c.resolved_on_time) as resolved_on_time,
        sum(c.resolved_late) as resolved_late,
        sum(c.pending_within_time) as pending_within_time,
        sum(c.pending_overdue) as pending_overdue
    from counts c
    join {{ ref('int_admin_unit_tree') }} t
      on t.descendant_code = c.unit_code and t.descendant_valid_from = c.unit_valid_from
    group by grouping sets (  -- sqlfluff's duckdb dialect reads GROUPING SETS as a column -- noqa: RF02
        (t.ancestor_code, t.ancestor_valid_from, c.period_type, c.period, c.field_code),
        (t.ancestor_code, t.ancestor_valid_from, c.period_type, c.period)
    )
),
unit_rows as (
    -- whole unit: every unit version of the frame
    select
        f.unit_code, f.unit_valid_from, f.period_type, f.period,
        cast(null as varchar) as agency_code, cast(null as varchar) as field_code,
        coalesce(r.received_online, 0) as received_online,
        coalesce(r.received_direct_postal, 0) as received_direct_postal,
        coalesce(r.carried_over, 0) as carried_over,
        coalesce(r.resolved_early, 0) as resolved_early,
        coalesce(r.resolved_on_time, 0) as resolved_on_time,
        coalesce(r.resolved_late, 0) as resolved_late,
        coalesce(r.pending_within_time, 0) as pending_within_time,
        coalesce(r.pending_overdue, 0) as pending_overdue
    from unit_frame f
    left join unit_rollup r
      on r.unit_code = f.unit_code and r.unit_valid_from = f.unit_valid_from
     and r.period_type = f.period_type and r.period = f.period and r.is_all_fields = 1
    union all
    -- per field: fields with data, for unit versions of the frame
    select
        r.unit_code, r.unit_valid_from, r.period_type, r.period,
        cast(null as varchar), r.field_code,
        r.received_online, r.received_direct_postal, r.carried_over,
        r.resolved_early, r.resolved_on_time, r.resolved_late,
        r.pending_within_time, r.pending_overdue
    from unit_rollup r
    join unit_frame f
      on r.unit_code = f.unit_code and r.unit_valid_from = f.unit_valid_from
     and r.period_type = f.period_type and r.period = f.period
    where r.is_all_fields = 0 and r.field_code is not null
),
agency_rows as (
    select
        unit_code, unit_valid_from, period_type, period,
        agency_code,
        case when grouping(field_code) = 1 then null else field_code end as field_code,
        sum(received_online) as received_online,
        sum(received_direct_postal) as received_direct_postal,
        sum(carried_over) as carried_over,
        sum(resolved_early) as resolved_early,
        sum(resolved_on_time) as resolved_on_time,
        sum(resolved_late) as resolved_late,
        sum(pending_within_time) as pending_within_time,
        sum(pending_overdue) as pending_overdue
    from counts
    where agency_code is not null and unit_code is not null
    group by grouping sets (
        (unit_code, unit_valid_from, period_type, period, agency_code, field_code),
        (unit_code, unit_valid_from, period_type, period, agency_code)
    )
    having grouping(field_code) = 1 or field_code is not null
),
all_rows as (
    select * from unit_rows
    union all
    select * from agency_rows
)
select
    r.period_type,
    r.period,
    p.period_start,
    p.period_end,
    p.p_end,
    p.is_running,
    'TT01-2020' as formula_version,
    r.unit_code,
    r.unit_valid_from,
    u.unit_level,
    u.unit_name,
    (r.unit_valid_from > p.period_start or coalesce(u.unit_valid_to, date '9999-12-31') < p.period_end) as is_partial_period,
    u.unit_valid_to,
    r.agency_code,
    r.field_code as field_code,
    fld.field_name as field_name,
    cast(r.received_online + r.received_direct_postal + r.carried_over as bigint) as received_total,
    cast(r.received_online as bigint) as received_online,
    cast(r.received_direct_postal as bigint) as received_direct_postal,
    cast(r.carried_over as bigint) as carried_over,
    cast(r.resolved_early + r.resolved_on_time + r.resolved_late as bigint) as resolved_total,
    cast(r.resolved_early as bigint) as resolved_early,
    cast(r.resolved_on_time as bigint) as resolved_on_time,
    cast(r.resolved_late as bigint) as resolved_late,
    cast(r.pending_within_time + r.pending_overdue as bigint) as pending_total,
    cast(r.pending_within_time as bigint) as pending_within_time,
    cast(r.pending_overdue as bigint) as pending_overdue
from all_rows r
join periods p on p.period_type = r.period_type and p.period = r.period
left join units u on u.unit_code = r.unit_code and u.unit_valid_from = r.unit_valid_from
left join {{ ref('dim_fields') }} fld on fld.field_code = r.field_code
