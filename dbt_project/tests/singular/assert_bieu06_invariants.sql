-- Biểu 06 identities (METHODOLOGY §4): every total equals the sum of its parts — the identities are the rows of the
-- seed bieu06_identities (the publication gate's consistency check reads the same seed) — and no count is negative.
-- Returns violating rows.
{%- set identities = [] %}
{%- if execute %}
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
