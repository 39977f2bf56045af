-- QD766_2_1 (METHODOLOGY §3): dossiers handled early or on time, done and in progress.
--   numerator   = resolved in P early + resolved in P on time + pending at P_end within time   (Biểu 06 col 8 + 9 + 12)
--   denominator = resolved in P + pending at P_end                                           (Biểu 06 col 7 + 11)
-- Same rows as ind_bieu06: every unit version valid in the period (each with its subtree), per field, per agency.
-- Points come from indicator_definitions (scoring rule, Pmax, threshold, empty rule) of the formula version.
with b06 as (
    select * from {{ ref('ind_bieu06') }}
),
versions as (
    select * from {{ ref('formula_versions') }} where family = 'QD766'
),
defs as (
    select * from {{ ref('indicator_definitions') }} where indicator_id = 'QD766_2_1'
),
valued as (
    select
        b.*,
        -- the version in force on the last day the unit existed in the period (= the period's last day unless
        -- the unit ceased inside it, METHODOLOGY §1)
        v.formula_version as qd766_version,
        b.resolved_early + b.resolved_on_time + b.pending_within_time as numerator,
        b.resolved_total + b.pending_total as denominator
    from b06 b
    left join versions v
      on least(b.period_end, coalesce(b.unit_valid_to, date '9999-12-31'))
         between coalesce(v.valid_from, date '0001-01-01') and coalesce(v.valid_to, date '9999-12-31')
)
select
    v.qd766_version as formula_version,
    'QD766_2_1' as indicator_id,
    d.name_vi as indicator_name_vi,
    v.period_type,
    v.period,
    v.is_running,
    v.unit_code,
    v.unit_valid_from,
    v.unit_level,
    v.unit_name,
    v.agency_code,
    v.ma_linh_vuc,
    cast(null as varchar) as ma_tthc,
    cast(v.numerator as double) as numerator,
    cast(v.denominator as double) as denominator,
    case when v.denominator > 0 then 100.0 * v.numerator / v.denominator end as ratio,
    {{ indicator_points('case when v.denominator > 0 then 100.0 * v.numerator / v.denominator end',
                        'd.scoring_rule', 'd.max_points', 'd.threshold', 'd.empty_rule', 'v.denominator') }} as points,
    d.max_points,
    cast(null as varchar) as grade,
    cast(null as integer) as rank,
    cast(null as integer) as rank_of,
    cast(v.denominator as bigint) as n,
    case when v.denominator = 0 then 'M' when v.is_running then 'P' else 'A' end as obs_status,
    nullif(concat_ws('; ',
        case when v.is_partial_period then 'partial period' end,
        case when v.denominator = 0 then 'no dossier resolved in the period or pending at its end' end
    ), '') as comment
from valued v
left join defs d on d.formula_version = v.qd766_version
