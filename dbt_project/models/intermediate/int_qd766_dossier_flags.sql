{{ config(materialized="incremental", incremental_strategy="append", pre_hook="{{ delete_changed_dossiers() }}") }}
{{ require_incremental_table() }}
-- Incremental by reception month (macros/incremental.sql): only the dossiers of the rewritten lake months are rebuilt.
-- One row per RECEIVED dossier with a known unit: the catalogue attributes of its procedure (the version in force
-- at reception, else the latest version — the same choice as int_dossier_lifecycle) and, for every dossier-based
-- QD766 row (METHODOLOGY §3), whether the dossier is in the row's denominator (den_*) and numerator (num_*).
-- Period membership is applied downstream (received in P: received_date; issued / completed in P: end_date).
-- Unknown procedure (code absent from the catalogue, METHODOLOGY §3): counted in 1_4, 3_3 and 4_2 (as not
-- needing a paper result), 4_1, 4_3, 4_4, 4_5b; left out of 3_6.
-- Fee-bearing (3_6): the handling agency's own co_phi from procedures/applicability.csv when the list gives one for
-- the procedure at the reception date, else the catalogue's flag (DATA_CONTRACT §1.2).
with dossiers as (
    select * from {{ ref('int_dossier_lifecycle') }}
    where is_received and received_at is not null and unit_code is not null
      and {{ in_changed_reception_months('reception_month') }}
),
procedure_match as (
    select
        d.dossier_code,
        p.requires_paper_result,
        p.has_fee
    from dossiers d
    join {{ ref('int_procedures') }} p on p.procedure_code = d.procedure_code
    qualify row_number() over (
        partition by d.dossier_code
        order by
            case when d.received_date between coalesce(p.valid_from, date '0001-01-01')
                                          and coalesce(p.valid_to, date '9999-12-31')
                 then 0 else 1 end,
            p.valid_from desc nulls last
    ) = 1
),
agency_fee as (
    select d.dossier_code, a.has_fee
    from dossiers d
    join {{ ref('stg_procedures__applicability') }} a
      on a.agency_code = d.agency_code and a.procedure_code = d.procedure_code
     and d.received_date between coalesce(a.valid_from, date '0001-01-01') and coalesce(a.valid_to, date '9999-12-31')
    where a.has_fee is not null
    qualify row_number() over (partition by d.dossier_code order by a.valid_from desc nulls last) = 1
),
base as (
    select
        d.dossier_code,
        d.procedure_code,
        d.procedure_known,
        d.field_code,
        d.agency_code,
        d.unit_code,
        d.unit_valid_from,
        d.unit_level,
        d.status,
        d.channel,
        d.received_date,
        d.end_date,
        d.reception_month,
        -- catalogue attributes (NULL for an unknown procedure; an empty catalogue cell reads as "no")
        case when d.procedure_known then coalesce(pm.requires_paper_result, false) end as requires_paper_result,
        case when d.procedure_known then coalesce(af.has_fee, pm.has_fee, false) end as is_fee_bearing,
        coalesce(d.has_electronic_result, false) as has_e_result,
        coalesce(d.fee_total, 0) > 0 as has_nonzero_fee,
        coalesce(d.online_payment, 0) in (1, 2) as paid_online,
        coalesce(d.is_copy_certification, false) as is_copy_certification,
        coalesce(d.result_document_count, 0) > 0 as has_result,
        d.status in {{ completed_statuses() }} and d.end_date is not null as is_completed,
        d.is_synced_to_portal,
        d.has_attached_file,
        d.has_digitised_component,
        d.has_digitised_file,
        d.from_citizen_data_store,
        d.is_vneid_authenticated,
        d.connected_database_count
    from dossiers d
    left join procedure_match pm on pm.dossier_code = d.dossier_code
    left join agency_fee af on af.dossier_code = d.dossier_code
)
select
    dossier_code,
    procedure_code,
    procedure_known,
    field_code,
    agency_code,
    unit_code,
    unit_valid_from,
    unit_level,
    status,
    received_date,
    end_date,
    reception_month,
    requires_paper_result,
    is_fee_bearing,
    has_e_result,
    is_copy_certification,
    has_result,
    is_completed,
    -- QD766_1_4 synced to Cổng DVCQG / received
    coalesce(is_synced_to_portal, false) as num_1_4,
    -- QD766_3_3 online (channel 2) and, when the procedure requires a paper result, an electronic result
    -- (unknown procedure ⇒ no paper result required) / received
    coalesce(channel, 1) = 2 and (not coalesce(requires_paper_result, false) or has_e_result) as num_3_3,
    -- QD766_3_6 paid online (1 national platform, 2 local gateway) / received dossiers of a fee-bearing procedure
    -- whose own fee lines are not all zero (Σ Gia > 0); unknown procedure ⇒ out
    coalesce(is_fee_bearing, false) and has_nonzero_fee as den_3_6,
    coalesce(is_fee_bearing, false) and has_nonzero_fee and paid_online as num_3_6,
    -- QD766_4_1 result-file link (DuongDanTepTinKetQua) / every received dossier (METHODOLOGY §3, observed on the
    -- portal: Phú Thọ 2026-08, H44.03 385/588 → 3.93); an unknown procedure's dossier counts
    true as den_4_1,
    has_e_result as num_4_1,
    -- QD766_4_2 ≥ 1 attached component file and (no paper result needed — unknown ⇒ none — or an e-result)
    coalesce(has_attached_file, false) and (not coalesce(requires_paper_result, false) or has_e_result) as num_4_2,
    -- QD766_4_3 HoSoCoThanhPhanSoHoa = 1 or any component DuocSoHoa = 1
    coalesce(has_digitised_component, false) or coalesce(has_digitised_file, false) as num_4_3,
    -- QD766_4_4 a component taken from the applicant's data store (DuocLayTuKhoDMQG = 1)
    coalesce(from_citizen_data_store, false) as num_4_4,
    -- QD766_4_5b VNeID-authenticated account or a DSKetNoiCSDL entry
    coalesce(is_vneid_authenticated, false) or coalesce(connected_database_count, 0) > 0 as num_4_5b,
    -- QD766_4_6 an electronic certified copy: a copy-certification dossier whose result has a file link
    is_copy_certification and has_e_result as is_e_certified_copy
from base
