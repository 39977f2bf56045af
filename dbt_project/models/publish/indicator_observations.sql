-- The tidy observation table (DATA_CONTRACT §2.2) without release_id (the publication step prepends it).
-- Every indicator reaches this table through ind_observations_all (the scoring layer): add a value model to
-- ind_scored_values' `members` to publish a new indicator.
-- Values are rounded to var('published_decimals') (9) decimals: DuckDB sums doubles in parallel, so the last bit of
-- an average can differ between two runs on the same data; rounding keeps releases byte-stable and revisions real.
-- Incremental by period digest (macros/period_digests.sql): only the periods whose published values changed are
-- rewritten — the observations of a closed period stay the rows of the build that made them.
{% set members = ['ind_observations_all'] %}
{% set d = var('published_decimals', 9) %}
{{ config(
    materialized="incremental", incremental_strategy="append", on_schema_change="fail",
    period_digest_inputs=[{'model': 'ind_observations_all', 'row':
        "hash(t.formula_version, t.indicator_id, t.indicator_name_vi, t.unit_code, t.unit_valid_from, t.unit_level, "
        ~ "t.unit_name, t.agency_code, t.field_code, t.procedure_code, round(t.numerator, " ~ d ~ "), "
        ~ "round(t.denominator, " ~ d ~ "), round(t.ratio, " ~ d ~ "), round(t.points, " ~ d ~ "), t.max_points, "
        ~ "t.grade, t.rank, t.rank_of, t.n, t.obs_status, t.comment)"}],
    pre_hook="{{ period_digest_pre_hooks() }}", post_hook="{{ period_digest_post_hooks() }}") }}
{% for member in members %}
select
    cast(formula_version as varchar)    as formula_version,
    cast(indicator_id as varchar)       as indicator_id,
    cast(indicator_name_vi as varchar)  as indicator_name_vi,
    cast(period_type as varchar)        as period_type,
    cast(period as varchar)             as period,
    cast(unit_code as varchar)          as unit_code,
    cast(unit_valid_from as date)       as unit_valid_from,
    cast(unit_level as varchar)         as unit_level,
    cast(unit_name as varchar)          as unit_name,
    cast(agency_code as varchar)        as agency_code,
    cast(field_code as varchar)         as ma_linh_vuc,
    cast(procedure_code as varchar)     as ma_tthc,
    round(cast(numerator as double), {{ d }})         as numerator,
    round(cast(denominator as double), {{ d }})       as denominator,
    round(cast(ratio as double), {{ d }})             as ratio,
    round(cast(points as double), {{ d }})            as points,
    cast(max_points as double)          as max_points,
    cast(grade as varchar)              as grade,
    cast(rank as integer)               as rank,
    cast(rank_of as integer)            as rank_of,
    cast(n as bigint)                   as n,
    cast(obs_status as varchar)         as obs_status,
    cast(comment as varchar)            as comment
from {{ ref(member) }}
where {{ period_digest_changed() }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
