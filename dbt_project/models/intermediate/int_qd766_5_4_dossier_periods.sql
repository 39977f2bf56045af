{{ config(materialized='view') }}
-- QD766_5_4 (METHODOLOGY §3): one row per (period, dossier) of D = QD766_2_1's denominator — the dossiers completed
-- in P plus those open at P_end (observed on the portal: D = the progress group's totalReceived for every
-- department) — with the reasons that take a dossier out of the numerator:
--   is_late            resolved in P and classified late (adjusted_end vs the original due date, > 1 supplement…)
--   is_overdue         still open at P_end and overdue then (int_dossier_period_status.pending_overdue)
--   is_not_satisfied   a rating "khong_hai_long" dated on or before P_end (any such rating, even if another
--                      rating exists: reading documented in _ind_values_dossiers.yml)
--   is_named_by_pakn   a PAKN naming the dossier (ma_ho_so_lien_quan) received on or before P_end (any category,
--                      any status)
-- Months only, like int_dossier_period_status: ind_values_qd766_5_4 rolls quarters, halves and years up from the
-- months, with the dates of the first unsatisfied rating and the first PAKN (a resolved dossier's satisfaction in a
-- longer period is judged at that period's P_end). A view: read by ind_values_qd766_5_4.
with status as (
    select *
    from {{ ref('int_dossier_period_status') }}
    where unit_code is not null
      and (resolved_in_period or pending_at_end)
),
unsatisfied as (
    select dossier_code, min(cast(rated_at as date)) as first_unsatisfied_date
    from {{ ref('stg_ratings__dossier_ratings') }}
    where rating = 'khong_hai_long' and rated_at is not null and dossier_code is not null
    group by dossier_code
),
pakn as (
    select related_dossier_code as dossier_code, min(cast(received_at as date)) as first_pakn_date
    from {{ ref('stg_petitions__petitions') }}
    where related_dossier_code is not null and received_at is not null
    group by related_dossier_code
),
flagged as (
    select
        s.period_type,
        s.period,
        s.period_start,
        s.p_end,
        s.dossier_code,
        s.unit_code,
        s.unit_valid_from,
        s.agency_code,
        s.field_code,
        s.procedure_code,
        s.received_in_period,
        s.resolved_in_period,
        coalesce(s.resolved_in_period and s.resolved_class = 'late', false) as is_late,
        coalesce(s.pending_overdue, false) as is_overdue,
        u.first_unsatisfied_date,
        k.first_pakn_date,
        coalesce(u.first_unsatisfied_date <= s.p_end, false) as is_not_satisfied,
        coalesce(k.first_pakn_date <= s.p_end, false) as is_named_by_pakn
    from status s
    left join unsatisfied u on u.dossier_code = s.dossier_code
    left join pakn k on k.dossier_code = s.dossier_code
)
select
    *,
    not (is_late or is_overdue or is_not_satisfied or is_named_by_pakn) as is_satisfied  -- NOT is an operator -- noqa: LT06
from flagged
