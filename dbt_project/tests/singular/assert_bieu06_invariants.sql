-- depends_on: {{ ref('bieu06_identities') }}
-- (the Dagster check stays on ind_bieu06: a test reading two nodes needs to be told which asset it checks)
{{ config(meta={'dagster': {'ref': {'name': 'ind_bieu06'}}}) }}
-- Biểu 06 identities (METHODOLOGY §4): every total equals the sum of its parts — the identities are the rows of the
-- seed bieu06_identities (the publication gate's consistency check reads the same seed) — and no count is negative.
-- Returns violating rows.
{%- set identities = [] %}
{#- the seed exists whenever the test runs (it depends on it); not when the SQL is only rendered (sqlfluff) #}
{%- if execute and load_relation(ref('bieu06_identities')) is not none %}
    {%- set identities = run_query("select total_column, part_columns from " ~ ref('bieu06_identities')
                                   ~ " order by rule").rows %}
    {%- if identities | length == 0 %}
        {{ exceptions.raise_compiler_error("seed bieu06_identities is empty: nothing would be checked") }}
    {%- endif %}
{%- endif %}
select *
from {{ ref('ind_bieu06') }}
where
    {%- for total, parts in identities %}
    {{ total }} <> {{ parts.split(';') | join(' + ') }} or
    {%- endfor %}
    least(received_online, received_direct_postal, carried_over, resolved_early, resolved_on_time,
          resolved_late, pending_within_time, pending_overdue) < 0
