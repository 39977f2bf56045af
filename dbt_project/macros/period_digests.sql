{#- Period-level models over inputs that may change in any period (docs/incremental.md, "The scoring layer").

    The scoring layer (ind_scored_values, ind_qd766_groups, indicator_observations) reads value models of which some
    are rebuilt whole every run (ratings, PAKN and surveys can change an old period), so the build plan's period
    scope does not say which of its periods changed. A digest does: before the model runs, its inputs are digested
    per (period_type, period) — row count, sum and xor of a 64-bit hash of every row — together with a digest of its
    period-free inputs (`global_inputs`: the source inventory, the unit dimension). An incremental build rebuilds
    exactly the periods whose digest differs from the one stored by the last build (or that are new) and deletes
    the periods gone from the inputs; a period whose inputs are identical cannot have another result, because the
    model computes each period from that period's input rows and the global inputs only (seeds and code are in the
    build fingerprint: a change there makes the build full).

    State, in schema main (not a dbt model, like cchc_build_state): cchc_period_scope (this build's digests and
    which periods changed, per model) and cchc_period_digests (the digests of the last build that stored them). The
    hooks run in the model's transaction, so a killed build leaves the previous digests with the previous rows.

    The model's config names its inputs: period_digest_inputs (period-keyed) and period_digest_globals, lists of
    {'model': name, 'row': SQL of a row's hash over alias t (default hash(t), the whole row)}. A row hash may leave
    out what the model does not read (the inventory's row counts) and round doubles to the published precision
    (DuckDB's parallel sums differ in their last bits between two runs on the same data). -#}

{% macro period_digest_sql(inputs, global_inputs) -%}
    with hashed as (
        {%- for i in inputs %}
        select t.period_type, t.period, {{ i.get('row', 'hash(t)') }} as h from {{ ref(i.model) }} t
        {%- if not loop.last %} union all{% endif %}
        {%- endfor %}
    ),
    globals_ as (
        select coalesce(string_agg(g, '|' order by g), '') as g from (
            {%- for g in global_inputs %}
            {%- set row = g.get('row', 'hash(t)') %}
            select '{{ g.model }}:' || count(*) || ':' || coalesce(sum(({{ row }})::hugeint), 0) || ':'
                   || coalesce(bit_xor({{ row }}), 0) as g
            from {{ ref(g.model) }} t
                    {%- if not loop.last %} union all{% endif %}
            {%- endfor %}
            {%- if global_inputs | length == 0 %}
            select ''
            {%- endif %}
        ) as x(g)
    )
    select period_type, period,
           count(*) || ':' || sum(h::hugeint) || ':' || bit_xor(h) || '|' || any_value(globals_.g) as digest
    from hashed cross join globals_
    group by period_type, period
{%- endmacro %}

{#- pre_hook (statements joined by ';'): create the state tables, digest this build's inputs, mark the changed
    periods, and (incremental build) delete the periods that are rebuilt or gone. -#}
{% macro period_digest_pre_hooks() -%}
    {%- set model = this.identifier -%}
    {%- set inputs = config.get('period_digest_inputs') -%}
    {%- set global_inputs = config.get('period_digest_globals', []) -%}
    {%- set hooks = [
        "create table if not exists main.cchc_period_digests (model varchar, period_type varchar, period varchar, digest varchar)",
        "create table if not exists main.cchc_period_scope (model varchar, period_type varchar, period varchar, digest varchar, changed boolean)",
        "delete from main.cchc_period_scope where model = '" ~ model ~ "'",
        "insert into main.cchc_period_scope select '" ~ model ~ "', c.period_type, c.period, c.digest, "
            ~ "s.digest is distinct from c.digest from (" ~ period_digest_sql(inputs, global_inputs) ~ ") c "
            ~ "left join main.cchc_period_digests s on s.model = '" ~ model ~ "' and s.period_type = c.period_type "
            ~ "and s.period = c.period",
    ] -%}
    {%- if building_incrementally() -%}
        {%- do hooks.append(
            "delete from " ~ this ~ " where (period_type, period) not in (select (period_type, period) "
            ~ "from main.cchc_period_scope where model = '" ~ model ~ "' and not changed)") -%}
    {%- elif rebuilding_in_place() -%}
        {%- do hooks.append("delete from " ~ this) -%}
    {%- endif -%}
    {{- hooks | join(';\n') -}}
{%- endmacro %}

{#- post_hook: the digests of this build become the stored ones. -#}
{% macro period_digest_post_hooks() -%}
    {%- set model = this.identifier -%}
    delete from main.cchc_period_digests where model = '{{ model }}';
    insert into main.cchc_period_digests select model, period_type, period, digest from main.cchc_period_scope
    where model = '{{ model }}'
{%- endmacro %}

{#- Row filter of such a model: the changed periods when applying a plan, else every period. -#}
{% macro period_digest_changed(period_type='period_type', period='period') -%}
    {%- if building_incrementally() -%}
    ({{ period_type }}, {{ period }}) in (select (period_type, period) from main.cchc_period_scope
                                         where model = '{{ this.identifier }}' and changed)
    {%- else -%}true{%- endif -%}
{%- endmacro %}
