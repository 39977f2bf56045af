{{ config(meta={'dagster': {'ref': {'name': 'indicator_observations'}}}) }}
-- Every published unit key (unit_code, unit_valid_from) is a unit version of dim_units (codes alone are ambiguous
-- since the 2025 reorganisation re-used them).
select 'indicator_observations' as model, o.unit_code, o.unit_valid_from
from {{ ref('indicator_observations') }} o
left join {{ ref('dim_units') }} u on u.unit_code = o.unit_code and u.unit_valid_from = o.unit_valid_from
where u.unit_code is null
union all
select 'report_bieu06', r.unit_code, r.unit_valid_from
from {{ ref('report_bieu06') }} r
left join {{ ref('dim_units') }} u on u.unit_code = r.unit_code and u.unit_valid_from = r.unit_valid_from
where u.unit_code is null
