{{ config(meta={'dagster': {'ref': {'name': 'ind_observations_all'}}}) }}
-- Every share lies in 0–100 percent and is present exactly when the denominator is positive and the cell is not
-- suppressed (denominator 0 ⇒ ratio NULL and obs_status M); values in other units are never negative.
select * from {{ ref('ind_observations_all') }}
where ratio < 0
   or (unit_measure = 'percent' and (
          ratio > 100
       or (denominator > 0 and ratio is null and obs_status not in ('Q', 'M'))
       or (coalesce(denominator, 0) = 0 and ratio is not null)
       or (coalesce(denominator, 0) = 0 and numerator is not null and obs_status <> 'M')))
