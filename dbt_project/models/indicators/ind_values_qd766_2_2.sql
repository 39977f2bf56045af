{{ config(materialized="incremental", incremental_strategy="append", pre_hook="{{ delete_periods_in_scope() }}") }}
{{ require_incremental_table() }}
-- Incremental by period (macros/incremental.sql): only the periods in this build's scope are rebuilt.
-- QD766_2_2 (METHODOLOGY §3, not scored): mean processing time in WORKING days over the dossiers COMPLETED in P
-- (status in completed_statuses() — 9 processing finished, 10 result returned by default — with the actual
-- end_time date in [period_start, P_end]).
-- Working days of one dossier = int_dossier_lifecycle.processing_working_days = wdi(adjusted_end date) −
-- wdi(reception date) (macros/working_time.sql: the working days strictly after the reception day up to the
-- adjusted end, so a reception after 17:00 or on a non-working day starts the clock at the next working day;
-- applicant supplement time already deducted in adjusted_end).
-- value = Σ working days / completed dossiers, n = completed dossiers. Rows: per unit subtree — whole unit (all
-- procedures), per procedure (procedure_code) and per field — and per agency (whole, per procedure, per field).
-- Unknown procedures need no catalogue attribute here: counted in the whole-unit mean and under their own code.
with done as (
    select *
    from {{ ref('int_dossier_lifecycle') }}
    where is_received
      and unit_code is not null
      and status in {{ completed_statuses() }}
      and end_date is not null
      and processing_working_days is not null
),
periods as (
    select period_type, period, period_start, period_end from {{ ref('int_periods') }} where {{ period_in_build_scope() }}
),
months as (
    {{ months_of_periods('periods') }}
),
-- completed dossiers reduced per month, then summed into every period in scope (macros/month_rollup.sql)
by_month as (
    select
        m.month_start,
        d.agency_code,
        d.unit_code,
        d.unit_valid_from,
        d.field_code,
        d.procedure_code,
        cast(sum(d.processing_working_days) as double) as value_sum,
        count(*) as n
    from done d
    join months m on d.end_date between m.month_start and m.p_end
    group by all
),
-- a dossier completed after its unit ceased counts for the unit's successor (issue 21)
attributed as (
    {{ attribute_to_successors('by_month') }}
),
summed as (
    {{ roll_months_up('attributed', 'periods',
                      ['agency_code', 'unit_code', 'unit_valid_from', 'field_code', 'procedure_code'],
                      ['value_sum:double', 'n']) }}
),
reduced as (
    select
        'QD766_2_2' as indicator_id, period_type, period, agency_code, unit_code, unit_valid_from, field_code,
        procedure_code, cast(null as bigint) as num, cast(null as bigint) as den, value_sum, n
    from summed
),
rolled as (
    {{ dossier_values_rollup('reduced', by_field=true, by_procedure=true, by_agency=true) }}
)
select
    {{ indicator_values_columns(numerator='null', denominator='null', value='value_sum / n') }}
from rolled
where n > 0
