{{ config(materialized="incremental", incremental_strategy="append", pre_hook="{{ delete_periods_in_scope() }}") }}
{{ require_incremental_table() }}
-- Incremental by period (macros/incremental.sql): only the periods in this build's scope are rebuilt.
-- Dossier-based rows of the Decision 766 index (METHODOLOGY §3), unscored (docs/indicator_values_contract.md):
-- QD766_1_4, 3_3, 3_6, 4_1, 4_2, 4_3, 4_4, 4_5b over the dossiers RECEIVED in P (reception date in
-- [period_start, P_end], status ∉ {1, 3}); QD766_4_6 over communes.
-- Rows: per unit (each unit version over its whole subtree) — whole unit and per field (field_code) — and per
-- agency (under the agency's own unit) — whole agency and per field. Whole-unit rows exist for every unit with a
-- dossier received in P (denominator 0 allowed, e.g. 3_6 without a fee-bearing dossier); agency and field rows
-- only where the row's denominator is > 0.
-- QD766_4_6 (var qd766_4_6_rule):
--   portal (default, METHODOLOGY §3 as the portal publishes it in 2026: every unit of Phú Thọ 2026-08, departments
--           included, gets 2 points) — no value row here: the scoring layer gives every unit of the frame the
--           row's maximum with ratio and counts empty (ind_scored_values);
--   communes_share — communes of the unit's subtree (valid in P) that issued ≥ 1 electronic certified copy in P (a
--           copy-certification dossier whose result has a file link, ENDED in P: "issued" is the end of processing) /
--           communes of the unit's subtree valid in P (a commune: itself). Whole-unit rows only, for every unit
--           version valid in P that has a commune (the scoring layer's denominator-0 default would be wrong here).
-- Counts are reduced to (indicator, period, agency, unit, field) before the unit-tree roll-up.
with flags as (
    select * from {{ ref('int_qd766_dossier_flags') }}
),
periods as (
    select period_type, period, period_start, period_end, p_end from {{ ref('int_periods') }} where {{ period_in_build_scope() }}
),
months as (
    {{ months_of_periods('periods') }}
),
-- dossiers received per month, then summed into every period in scope (macros/month_rollup.sql)
by_month as (
    select
        m.month_start,
        f.agency_code,
        f.unit_code,
        f.unit_valid_from,
        f.field_code,
        count(*)                          as received,
        count(*) filter (where f.num_1_4)  as num_1_4,
        count(*) filter (where f.num_3_3)  as num_3_3,
        count(*) filter (where f.den_3_6)  as den_3_6,
        count(*) filter (where f.num_3_6)  as num_3_6,
        count(*) filter (where f.den_4_1)  as den_4_1,
        count(*) filter (where f.num_4_1)  as num_4_1,
        count(*) filter (where f.num_4_2)  as num_4_2,
        count(*) filter (where f.num_4_3)  as num_4_3,
        count(*) filter (where f.num_4_4)  as num_4_4,
        count(*) filter (where f.num_4_5b) as num_4_5b
    from flags f
    join months m on f.received_date between m.month_start and m.p_end
    group by all
),
received as (
    {{ roll_months_up('by_month', 'periods', ['agency_code', 'unit_code', 'unit_valid_from', 'field_code'],
                      ['received', 'num_1_4', 'num_3_3', 'den_3_6', 'num_3_6', 'den_4_1', 'num_4_1', 'num_4_2',
                       'num_4_3', 'num_4_4', 'num_4_5b']) }}
),
indicators as (
    select * from (values
        ('QD766_1_4'), ('QD766_3_3'), ('QD766_3_6'), ('QD766_4_1'),
        ('QD766_4_2'), ('QD766_4_3'), ('QD766_4_4'), ('QD766_4_5b')
    ) as t(indicator_id)
),
reduced as (
    select
        i.indicator_id,
        r.period_type,
        r.period,
        r.agency_code,
        r.unit_code,
        r.unit_valid_from,
        r.field_code,
        cast(null as varchar) as procedure_code,
        case i.indicator_id
            when 'QD766_1_4' then r.num_1_4
            when 'QD766_3_3' then r.num_3_3
            when 'QD766_3_6' then r.num_3_6
            when 'QD766_4_1' then r.num_4_1
            when 'QD766_4_2' then r.num_4_2
            when 'QD766_4_3' then r.num_4_3
            when 'QD766_4_4' then r.num_4_4
            when 'QD766_4_5b' then r.num_4_5b
        end as num,
        case i.indicator_id
            when 'QD766_3_6' then r.den_3_6
            when 'QD766_4_1' then r.den_4_1
            else r.received
        end as den,
        cast(null as double) as value_sum,
        case i.indicator_id
            when 'QD766_3_6' then r.den_3_6
            when 'QD766_4_1' then r.den_4_1
            else r.received
        end as n
    from received r
    cross join indicators i
),
rolled as (
    {{ dossier_values_rollup('reduced', by_field=true, by_procedure=false, by_agency=true) }}
),
-- QD766_4_6: communes
unit_frame as (
    select u.unit_code, u.unit_valid_from, u.unit_level, p.period_type, p.period
    from {{ ref('dim_units') }} u
    join periods p
      on u.unit_valid_from <= p.p_end
     and coalesce(u.unit_valid_to, date '9999-12-31') >= p.period_start
),
issuing as (
    select distinct p.period_type, p.period, f.unit_code, f.unit_valid_from
    from flags f
    join periods p on f.end_date between p.period_start and p.p_end
    where f.is_e_certified_copy
),
commune_rows as (
    select
        'QD766_4_6' as indicator_id,
        c.period_type,
        c.period,
        t.ancestor_code as unit_code,
        t.ancestor_valid_from as unit_valid_from,
        count(i.unit_code) as numerator,
        count(*) as denominator
    from unit_frame c
    join {{ ref('int_admin_unit_tree') }} t
      on t.descendant_code = c.unit_code and t.descendant_valid_from = c.unit_valid_from
    -- the ancestor version must itself exist in the period
    join unit_frame a
      on a.unit_code = t.ancestor_code and a.unit_valid_from = t.ancestor_valid_from
     and a.period_type = c.period_type and a.period = c.period
    left join issuing i
      on i.unit_code = c.unit_code and i.unit_valid_from = c.unit_valid_from
     and i.period_type = c.period_type and i.period = c.period
    where c.unit_level = 'xa' and {{ qd766_4_6_rule() == 'communes_share' }}
    group by all
)
select
    {{ indicator_values_columns() }}
from rolled
where (agency_code is null and is_whole) or denominator > 0
union all
select
    indicator_id,
    period_type,
    period,
    unit_code,
    unit_valid_from,
    cast(null as varchar) as agency_code,
    cast(null as varchar) as field_code,
    cast(null as varchar) as procedure_code,
    cast(numerator as double),
    cast(denominator as double),
    cast(null as double),
    cast(denominator as bigint),
    cast(null as varchar)
from commune_rows
