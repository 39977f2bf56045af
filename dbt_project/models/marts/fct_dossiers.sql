{{ config(materialized="incremental", incremental_strategy="append", pre_hook="{{ delete_changed_dossiers() }}") }}
{{ require_incremental_table() }}
-- Incremental by reception month (macros/incremental.sql): only the dossiers of the rewritten lake months are rebuilt.
-- The dossier lifecycle fact: one row per dossier (hồ sơ), METHODOLOGY §2 applied (see int_dossier_lifecycle).
select * from {{ ref('int_dossier_lifecycle') }}
where {{ in_changed_reception_months('reception_month') }}
