-- Coverage (METHODOLOGY §1): which unit versions have any data for a period. A unit for which the raw root holds
-- no data at all for a period — no dossier of its subtree counted in the period (received in it or carried into
-- it: int_bieu06_counts), no PAKN of its subtree received in it, no survey respondent of its subtree in it — is out
-- of coverage: ind_scored_values publishes its rows as M ("no data for this unit"), ind_qd766_groups gives it no
-- grade and no rank and leaves it out of rank_of. Agencies are not judged here: the portal lists every department.
with frame as (
    select period_type, period, unit_code, unit_valid_from from {{ ref('int_unit_periods') }}
),
tree as (
    select ancestor_code, ancestor_valid_from, descendant_code, descendant_valid_from from {{ ref('int_admin_unit_tree') }}
),
dossier_units as (
    select distinct period_type, period, unit_code, unit_valid_from from {{ ref('int_bieu06_counts') }}
),
petition_units as (
    select distinct period_type, period, unit_code, unit_valid_from from {{ ref('int_qd766_petition_items') }}
    where unit_code is not null
),
with_data as (
    select d.period_type, d.period, t.ancestor_code as unit_code, t.ancestor_valid_from as unit_valid_from,
        'dossiers' as source
    from dossier_units d
    join tree t on t.descendant_code = d.unit_code and t.descendant_valid_from = d.unit_valid_from
    union all
    select p.period_type, p.period, t.ancestor_code, t.ancestor_valid_from, 'petitions'
    from petition_units p
    join tree t on t.descendant_code = p.unit_code and t.descendant_valid_from = p.unit_valid_from
    union all
    -- SIPAS rows are already rolled up the tree (quarters and years)
    select period_type, period, unit_code, unit_valid_from, 'surveys'
    from {{ ref('ind_values_sipas') }}
    where coalesce(n, 0) > 0
),
sources as (
    select period_type, period, unit_code, unit_valid_from,
        string_agg(distinct source, ', ' order by source) as data_sources
    from with_data
    group by all
)
select
    f.period_type,
    f.period,
    f.unit_code,
    f.unit_valid_from,
    s.data_sources is not null as has_data,
    s.data_sources
from frame f
left join sources s
  on s.period_type = f.period_type and s.period = f.period
 and s.unit_code = f.unit_code and s.unit_valid_from = f.unit_valid_from
