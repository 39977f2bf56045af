-- Why QD766_5_4 lost points: one row per (period, dossier) of D (received or ended in P) left out of the
-- numerator, with every reason that applies, at the dossier's own unit, agency and field. A unit's explain rows
-- are those of the dossiers of its subtree (join int_admin_unit_tree descendant → ancestor).
select
    period_type,
    period,
    p_end,
    dossier_code,
    unit_code,
    unit_valid_from,
    agency_code,
    field_code as ma_linh_vuc,
    procedure_code as ma_tthc,
    received_in_period,
    resolved_in_period,
    is_late,
    is_overdue,
    is_not_satisfied,
    is_named_by_pakn,
    concat_ws('; ',
        case when is_late then 'late' end,
        case when is_overdue then 'overdue' end,
        case when is_not_satisfied then 'not_satisfied' end,
        case when is_named_by_pakn then 'pakn' end
    ) as reasons
from {{ ref('int_qd766_5_4_dossier_periods') }}
where not is_satisfied
