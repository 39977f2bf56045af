{{ config(materialized="incremental", incremental_strategy="append", pre_hook="{{ delete_changed_dossiers() }}") }}
{{ require_incremental_table() }}
-- Incremental by reception month (macros/incremental.sql): only the dossiers of the rewritten lake months are rebuilt.
-- A table (not a view like the other staging models): every downstream model reads it, and the window
-- de-duplication over tens of millions of rows should run once per build.
-- Dossiers (hồ sơ): English names, light typing. One row per dossier_code: the lake already keeps the latest
-- version, but a dossier whose reception month changed between versions could sit in two partitions, so the
-- latest updated_at (then latest load) wins here as well.
with src as (
    select * from {{ source('lake', 'dossiers') }}
    where {{ in_changed_reception_months('thang_tiep_nhan') }}
)
select
    ma_ho_so                                    as dossier_code,
    ma_tthc                                     as procedure_code,
    ten_tthc                                    as procedure_name,
    ma_linh_vuc                                 as field_code,
    ten_linh_vuc                                as field_name,
    ma_don_vi_xu_ly                             as agency_code,
    don_vi_xu_ly                                as agency_name,
    cast(kenh_thuc_hien as integer)             as channel,
    chu_ho_so_pseudonym                         as applicant_pseudonym,
    cast(loai_doi_tuong as integer)             as applicant_type,
    cast(ngay_nop_ho_so as timestamp)           as submitted_at,
    cast(ngay_tiep_nhan as timestamp)           as received_at,
    cast(ngay_hen_tra as timestamp)             as due_at,
    cast(trang_thai_ho_so as integer)           as status,
    cast(ngay_ket_thuc_xu_ly as timestamp)      as processing_ended_at,
    cast(ngay_tra as timestamp)                 as returned_at,
    cast(ngay_tu_choi as timestamp)             as refused_at,
    ho_so_co_thanh_phan_so_hoa                  as has_digitised_component,
    tai_khoan_duoc_xac_thuc_voi_vneid           as is_vneid_authenticated,
    cast(duoc_thanh_toan_truc_tuyen as integer) as online_payment,
    trang_thai_dong_bo_dvc                      as is_synced_to_portal,
    la_ho_so_chung_thuc                         as is_copy_certification,
    coalesce(cast(so_lan_bo_sung as integer), 0) as supplement_count,
    cast(ngay_bo_sung as timestamp)             as first_supplement_requested_at,
    cast(ngay_tiep_nhan_bo_sung as timestamp)   as first_supplement_received_at,
    co_tep_dinh_kem                             as has_attached_file,
    co_thanh_phan_so_hoa                        as has_digitised_file,
    co_thanh_phan_tai_su_dung                   as has_reused_component,
    lay_tu_kho_dmqg                             as from_citizen_data_store,
    cast(so_giay_to_ket_qua as integer)         as result_document_count,
    co_ket_qua_dien_tu                          as has_electronic_result,
    cast(tong_le_phi as double)                 as fee_total,
    co_le_phi                                   as has_fee,
    cast(ket_noi_csdl as integer)               as connected_database_count,
    cast(ngay_cap_nhat as timestamp)            as updated_at,
    nullif(thang_tiep_nhan, '__none__')         as reception_month,
    _source_file                                as source_file,
    _source_sha256                              as source_sha256,
    _source_record                              as source_record,
    _loaded_at                                  as loaded_at
from src
qualify row_number() over (
    partition by ma_ho_so order by ngay_cap_nhat desc nulls last, _loaded_at desc nulls last
) = 1
