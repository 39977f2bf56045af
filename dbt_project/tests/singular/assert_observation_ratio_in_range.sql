-- Every published ratio lies in 0–100 percent, and is present exactly when the denominator is positive
-- (denominator 0 ⇒ ratio NULL and obs_status M).
select * from {{ ref('indicator_observations') }}
where ratio < 0 or ratio > 100
   or (denominator > 0 and ratio is null)
   or (coalesce(denominator, 0) = 0 and ratio is not null)
   or (coalesce(denominator, 0) = 0 and obs_status <> 'M')
