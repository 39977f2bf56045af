{{ config(meta={'dagster': {'ref': {'name': 'ind_observations_all'}}}) }}
-- Percent values lie in 0–100; a share (numerator/denominator given) has a ratio exactly when the denominator is
-- positive and the cell is not suppressed (denominator 0 ⇒ ratio NULL and obs_status M); nothing is negative.
select * from {{ ref('ind_observations_all') }}
where ratio < 0
   or (unit_measure = 'percent' and ratio > 100)
   or (unit_measure = 'percent' and denominator is not null and (
          (denominator > 0 and ratio is null and obs_status not in ('Q', 'M'))
       or (denominator = 0 and ratio is not null)
       or (denominator = 0 and obs_status <> 'M')))
