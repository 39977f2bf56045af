-- The run's as-of time (one row): var as_of when given, else the latest ngay_cap_nhat (NgayCapNhat) among the
-- loaded dossiers (METHODOLOGY §1 "Running period and P_end"). NULL as_of_at when there is no dossier.
-- depends_on: {{ ref('stg_dossiers__dossiers') }}
-- (declared whatever the branch: the asset graph must not change with --vars as_of, or Dagster refuses the run)
{% set as_of = var('as_of') %}
with src as (
    select
        {% if as_of %}
        cast('{{ as_of }}' as timestamp) as as_of_at,
        'var' as as_of_source
        {% else %}
        max(updated_at) as as_of_at,
        'latest_update' as as_of_source
        from {{ ref('stg_dossiers__dossiers') }}
        {% endif %}
)
select
    as_of_at,
    cast(as_of_at as date) as as_of_date,
    as_of_source,
    '{{ classification_granularity() }}' as classification_granularity
from src
