-- Peer benchmarks (issue 23): for QD766_TOTAL and every group score, per period, where a unit stands among its peers.
-- Peers: the same-level units of its province (communes among the province's communes, districts among its districts)
-- and, for a province, the provinces of the release. Out of coverage (no data: obs_status M, no points) is no peer.
-- Statistics over the peers' points, the unit itself included: median and P75 (quantile_cont, linear interpolation
-- between the two nearest ranks, as numpy's default) and the unit's percentile = percent_rank × 100 = the share of its
-- other peers scoring strictly less, to 2 decimals (0 = lowest, 100 = highest; one peer alone ⇒ null).
with scores as (
    select
        g.formula_version, g.indicator_id, g.period_type, g.period, g.is_running,
        g.unit_code, g.unit_valid_from, g.unit_level, u.province_code, g.points, g.rank, g.rank_of
    from {{ ref('ind_qd766_groups') }} g
    join {{ ref('dim_units') }} u using (unit_code, unit_valid_from)
    where g.agency_code is null and g.field_code is null and g.procedure_code is null
      -- the group scores and the total (seed)
      and g.indicator_id in (select d.indicator_id from {{ ref('indicator_definitions') }} d where d.scoring_rule = 'sum')
      and g.points is not null and g.obs_status <> 'M'
),
scoped as (
    select *, case when unit_level = 'tinh' then 'national' else 'province' end as peer_scope,
        case when unit_level = 'tinh' then 'VN' else province_code end as peer_group
    from scores
)
select
    formula_version, indicator_id, period_type, period, is_running, unit_code, unit_valid_from, unit_level,
    province_code, peer_scope, points, rank, rank_of,
    count(*) over peers as peer_n,
    median(points) over peers as peer_median,
    quantile_cont(points, 0.75) over peers as peer_p75,
    case when count(*) over peers > 1
         then round(100.0 * percent_rank() over (partition by formula_version, indicator_id, period_type, period, unit_level,
                                                 peer_group order by points), 2) end as percentile
from scoped
window peers as (partition by formula_version, indicator_id, period_type, period, unit_level, peer_group)
