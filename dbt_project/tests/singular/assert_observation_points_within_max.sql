-- Points never exceed Pmax, and are never negative.
select * from {{ ref('indicator_observations') }}
where points > max_points + 1e-9 or points < 0
