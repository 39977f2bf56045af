-- The dossier lifecycle fact: one row per dossier (hồ sơ), METHODOLOGY §2 applied (see int_dossier_lifecycle).
select * from {{ ref('int_dossier_lifecycle') }}
