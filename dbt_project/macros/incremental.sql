{#- Incremental builds (docs/incremental.md). The orchestration decides, per run, between a full build
    (`--full-refresh`, no plan) and an incremental one, passed as the variable
      incremental_plan: {recompute_from: 'YYYY-MM-DD', reception_months: ['YYYY-MM', …]}
    Two kinds of incremental models:
    * dossier-level (one row per dossier): the rows of the lake months rewritten since the last build
      (reception_month) are deleted and rebuilt from those months;
    * period-level (rows per period): the periods ending on or after recompute_from (int_periods.in_build_scope)
      are deleted and rebuilt; closed periods before it are kept as they are — they are judged from dates only.
    Everything else stays a table rebuilt every run. -#}

{#- True when this model applies an incremental plan: its table exists, the run is not --full-refresh and a plan
    was given. A plain `dbt build` on an existing warehouse (no plan) rebuilds every row in place instead — never
    a silent no-op. False where there is no relation at all (a dbt unit test renders models without one). -#}
{% macro building_incrementally() -%}
    {{- return(this is not none and is_incremental() and incremental_plan() is not none) -}}
{%- endmacro %}

{#- The table exists but there is no plan: the pre_hook empties it and the model inserts every row. -#}
{% macro rebuilding_in_place() -%}
    {{- return(this is not none and is_incremental() and incremental_plan() is none) -}}
{%- endmacro %}

{% macro incremental_plan() -%}
    {{- return(var('incremental_plan', none)) -}}
{%- endmacro %}

{#- An incremental plan must never build a partial table: a model without its table (new, or dropped by hand)
    stops the run instead (the orchestration then runs a full build). -#}
{% macro require_incremental_table() -%}
    {%- if execute and this is not none and incremental_plan() is not none and not is_incremental() -%}
        {{ exceptions.raise_compiler_error(
            "incremental plan given but " ~ this ~ " has no table to update: run a full build (cchc run --full-build)") }}
    {%- endif -%}
{%- endmacro %}

{#- SQL list of the rewritten reception months ('YYYY-MM'), or NULL when none. -#}
{% macro changed_reception_months() -%}
    {%- set months = (incremental_plan() or {}).get('reception_months', []) -%}
    {%- if months | length == 0 -%}NULL{%- else -%}
        {%- for m in months -%}'{{ m | replace("'", "''") }}'{{ "," if not loop.last }}{%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- Row filter of a dossier-level model: the rewritten months when applying a plan, else every row. -#}
{% macro in_changed_reception_months(column) -%}
    {%- if building_incrementally() -%}{{ column }} in ({{ changed_reception_months() }}){%- else -%}true{%- endif -%}
{%- endmacro %}

{#- pre_hook of a dossier-level model: drop the rows of the rewritten months, and any row of a dossier those
    months now hold (a dossier whose reception month moved leaves no copy behind). -#}
{% macro delete_changed_dossiers() -%}
    {%- if building_incrementally() -%}
    delete from {{ this }}
    where reception_month in ({{ changed_reception_months() }})
       or dossier_code in (
           select ma_ho_so from {{ source('lake', 'dossiers') }}
           where thang_tiep_nhan in ({{ changed_reception_months() }}))
    {%- elif rebuilding_in_place() -%}
    delete from {{ this }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- pre_hook of a period-level model: drop every period that is not kept as it is (in scope, or gone from
    int_periods because the as-of date moved back). -#}
{% macro delete_periods_in_scope() -%}
    {%- if building_incrementally() -%}
    delete from {{ this }}
    where (period_type, period) not in (
        select (period_type, period) from {{ ref('int_periods') }} where not in_build_scope)
    {%- elif rebuilding_in_place() -%}
    delete from {{ this }}
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#- Row filter of int_periods in a period-level model: the periods in scope when applying a plan, else all. -#}
{% macro period_in_build_scope() -%}
    {%- if building_incrementally() -%}in_build_scope{%- else -%}true{%- endif -%}
{%- endmacro %}
