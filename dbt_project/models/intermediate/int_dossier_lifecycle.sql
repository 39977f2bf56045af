{{ config(materialized="incremental", incremental_strategy="append", pre_hook="{{ delete_changed_dossiers() }}") }}
{{ require_incremental_table() }}
-- Incremental by reception month (macros/incremental.sql): only the dossiers of the rewritten lake months are rebuilt.
-- One row per dossier, applying METHODOLOGY §2 (dossier lifecycle rules). Every rule is documented column by
-- column in _intermediate.yml; the comments here name the rule each expression implements.
{% set granularity = classification_granularity() %}
with dossiers as (
    select * from {{ ref('stg_dossiers__dossiers') }}
    where {{ in_changed_reception_months('reception_month') }}
),

-- The procedure catalogue version in force at reception (else the latest version of the code).
procedure_match as (
    select
        d.dossier_code,
        p.procedure_code as catalogue_procedure_code,
        p.legal_time_limit,
        p.legal_time_unit
    from dossiers d
    join {{ ref('stg_procedures__procedures') }} p on p.procedure_code = d.procedure_code
    qualify row_number() over (
        partition by d.dossier_code
        order by
            case when cast(coalesce(d.received_at, d.submitted_at) as date)
                      between coalesce(p.valid_from, date '0001-01-01') and coalesce(p.valid_to, date '9999-12-31')
                 then 0 else 1 end,
            p.valid_from desc nulls last
    ) = 1
),

-- The handling agency version valid at reception (else the nearest version of the code) and its unit.
agency_match as (
    select
        d.dossier_code,
        a.agency_code as registry_agency_code,
        a.unit_code,
        a.unit_valid_from,
        a.unit_level
    from dossiers d
    join {{ ref('int_agencies') }} a on a.agency_code = d.agency_code
    qualify row_number() over (
        partition by d.dossier_code
        order by
            case when cast(coalesce(d.received_at, d.submitted_at) as date)
                      between a.valid_from and coalesce(a.valid_to, date '9999-12-31')
                 then 0 else 1 end,
            abs(date_diff('day', a.valid_from, cast(coalesce(d.received_at, d.submitted_at) as date)))
    ) = 1
),

base as (
    select
        d.*,
        d.status is not null and d.status not in (1, 3) as is_received,
        -- End of processing (end_time)
        case
            when d.status between 7 and 10 then coalesce(d.processing_ended_at, d.returned_at, d.refused_at)
            when d.status = 5 and d.supplement_count = 1 and d.first_supplement_requested_at is not null
                 and d.first_supplement_received_at is null then d.first_supplement_requested_at
        end as end_time,
        case
            when d.status between 7 and 10 then
                case when d.processing_ended_at is not null then 'processing_ended'
                     when d.returned_at is not null then 'returned'
                     when d.refused_at is not null then 'refused' end
            when d.status = 5 and d.supplement_count = 1 and d.first_supplement_requested_at is not null
                 and d.first_supplement_received_at is null then 'pending_supplement'
        end as end_rule,
        pm.catalogue_procedure_code is not null as procedure_known,
        pm.legal_time_limit,
        pm.legal_time_unit,
        am.unit_code,
        am.unit_valid_from,
        am.unit_level,
        am.registry_agency_code is not null as agency_known
    from dossiers d
    left join procedure_match pm on pm.dossier_code = d.dossier_code
    left join agency_match am on am.dossier_code = d.dossier_code
),

adjusted as (
    select
        b.*,
        -- Exactly one supplement, completed: the applicant's (calendar) time is deducted.
        (b.end_time is not null and b.end_rule <> 'pending_supplement' and b.supplement_count = 1
         and b.first_supplement_requested_at is not null and b.first_supplement_received_at is not null)
            as has_deducted_supplement,
        case
            when b.end_time is not null and b.end_rule <> 'pending_supplement' and b.supplement_count = 1
                 and b.first_supplement_requested_at is not null and b.first_supplement_received_at is not null
            then b.end_time - (b.first_supplement_received_at - b.first_supplement_requested_at)
            else b.end_time
        end as adjusted_end,
        -- Legal time limit normalised: whole days in ngay_lam_viec / ngay, else working hours.
        case
            when b.legal_time_limit is null or b.legal_time_unit is null then null
            when b.legal_time_unit = 'ngay_lam_viec' and b.legal_time_limit = floor(b.legal_time_limit) then 'working_days'
            when b.legal_time_unit = 'ngay' and b.legal_time_limit = floor(b.legal_time_limit) then 'calendar_days'
            when b.legal_time_unit = 'gio' then 'working_hours'
            when b.legal_time_unit in ('ngay_lam_viec', 'ngay') then 'working_hours'
        end as legal_limit_kind,
        case
            when b.legal_time_limit is null or b.legal_time_unit is null then null
            when b.legal_time_unit in ('ngay_lam_viec', 'ngay') and b.legal_time_limit = floor(b.legal_time_limit) then b.legal_time_limit
            when b.legal_time_unit = 'gio' then b.legal_time_limit
            when b.legal_time_unit in ('ngay_lam_viec', 'ngay') then b.legal_time_limit * {{ var('hours_per_working_day') }}
        end as legal_limit_amount
    from base b
),

timed as (
    select
        a.*,
        cast(a.received_at as date) as received_date,
        cast(a.end_time as date) as end_date,
        cast(a.adjusted_end as date) as adjusted_end_date,
        cast(a.due_at as date) as due_date,
        cr.working_day_index as received_working_day_index,
        {{ cumulative_working_seconds('a.received_at', 'cr.is_working_day', 'cr.working_day_index') }}
            as received_cum_working_seconds,
        ce.working_day_index as adjusted_end_working_day_index,
        {{ cumulative_working_seconds('a.adjusted_end', 'ce.is_working_day', 'ce.working_day_index') }}
            as adjusted_end_cum_working_seconds
    from adjusted a
    left join {{ ref('int_calendar') }} cr on cr.date = cast(a.received_at as date)
    left join {{ ref('int_calendar') }} ce on ce.date = cast(a.adjusted_end as date)
),

classified as (
    select
        t.*,
        case when t.is_received and t.end_time is not null and t.legal_limit_kind is not null then
            {{ within_legal_limit('t.legal_limit_kind', 't.legal_limit_amount', 't.received_date', 't.adjusted_end_date',
                                  't.received_working_day_index', 't.adjusted_end_working_day_index',
                                  't.received_cum_working_seconds', 't.adjusted_end_cum_working_seconds') }}
        end as within_legal_limit,
        case
            when not t.is_received or t.end_time is null then null
            when t.status in (7, 8) then 'withdrawn_or_stopped'
            when t.supplement_count > 1 then 'multiple_supplements'
            when t.due_at is null and t.legal_limit_kind is not null then 'legal_time_limit'
            when t.due_at is null then 'no_due_no_limit'
            else 'due_date'
        end as classification_basis
    from timed t
)

select
    dossier_code,
    procedure_code,
    procedure_name,
    procedure_known,
    field_code,
    field_name,
    agency_code,
    agency_name,
    agency_known,
    unit_code,
    unit_valid_from,
    unit_level,
    channel,
    case when channel = 2 then 'online' else 'direct_postal' end as channel_group,
    applicant_type,
    status,
    is_received,
    submitted_at,
    received_at,
    received_date,
    due_at,
    due_date,
    supplement_count,
    first_supplement_requested_at,
    first_supplement_received_at,
    has_deducted_supplement,
    end_time,
    end_date,
    end_rule,
    end_time is null and is_received as is_open,
    adjusted_end,
    adjusted_end_date,
    legal_time_limit,
    legal_time_unit,
    legal_limit_kind,
    legal_limit_amount,
    received_working_day_index,
    received_cum_working_seconds,
    adjusted_end_working_day_index,
    adjusted_end_cum_working_seconds,
    case when adjusted_end is not null and received_at is not null then
        {{ working_days_between('received_working_day_index', 'adjusted_end_working_day_index') }}
    end as processing_working_days,
    within_legal_limit,
    classification_basis,
    case classification_basis
        when 'withdrawn_or_stopped' then 'on_time'
        when 'multiple_supplements' then 'late'
        when 'legal_time_limit' then case when within_legal_limit then 'on_time' else 'late' end
        when 'no_due_no_limit' then 'on_time'
        when 'due_date' then
        {%- if granularity == 'timestamp' %}
            case when adjusted_end < due_at then 'early' when adjusted_end = due_at then 'on_time' else 'late' end
        {%- else %}
            case when adjusted_end_date < due_date then 'early' when adjusted_end_date = due_date then 'on_time' else 'late' end
        {%- endif %}
    end as outcome_class,
    has_digitised_component,
    is_vneid_authenticated,
    online_payment,
    is_synced_to_portal,
    is_copy_certification,
    has_attached_file,
    has_digitised_file,
    has_reused_component,
    from_citizen_data_store,
    result_document_count,
    has_electronic_result,
    fee_total,
    has_fee,
    connected_database_count,
    updated_at,
    reception_month,
    source_file
from classified
