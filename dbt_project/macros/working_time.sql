{#-
  Working-time helpers built on int_calendar (METHODOLOGY §2 "Working time").

  ELAPSED WORKING DAYS between a start date S and an end date E:  wdi(E) − wdi(S)
  where wdi(d) = working_day_index = number of working days ≤ d.

  Why this is METHODOLOGY's rule "N working days after day D counts the working days strictly after D
  (D itself never counts)":  wdi(E) − wdi(D) = #{working days w : w ≤ E} − #{working days w : w ≤ D}
  = #{working days w : D < w ≤ E}, i.e. exactly the working days strictly after D up to and including E.
  So "E is within N working days after D" ⇔ wdi(E) − wdi(D) ≤ N.
  * Reception after 17:00 on a working day D: the clock starts at the next working day W's opening. The
    first working day that counts is W — the first working day strictly after D — so using D is already right
    (no shift is needed: D never counts either way).
  * Reception on a non-working day D (weekend, holiday): the clock starts at W's opening, the next working day,
    and W itself counts (a whole working day is available). Since D is not a working day, wdi(D) = wdi(W) − 1,
    hence wdi(E) − wdi(D) = #{working days in [W, E]}: W counts, as required.
  * Reception during office hours on a working day D: D never counts; the formula excludes it.
  So the formula needs no special case for receptions out of hours or on non-working days.

  WORKING HOURS between two timestamps (limits in hours, fractional day limits):
    cum(ts) = (wdi(date(ts)) − [date(ts) is a working day]) × DAY + [date(ts) is a working day] × office(ts)
  where office(ts) = office seconds already elapsed on that day at ts (office hours from var office_hours),
  DAY = the office seconds of a full working day (7.5 h with the defaults). cum(ts) is the number of office
  seconds since the calendar's start; a timestamp after 17:00 or on a non-working day gets the cumulative value
  of the next opening. Working hours = (cum(end) − cum(start)) / DAY × hours_per_working_day, so that a full
  working day counts as hours_per_working_day (8) hours.
-#}

{% macro _hhmm_to_seconds(hhmm) -%}
    {%- set parts = hhmm.split(':') -%}
    {{- (parts[0] | int) * 3600 + (parts[1] | int) * 60 -}}
{%- endmacro %}

{% macro office_day_seconds() -%}
    {%- set ns = namespace(total=0) -%}
    {%- for iv in var('office_hours') -%}
        {%- set ns.total = ns.total + (_hhmm_to_seconds(iv[1]) | int) - (_hhmm_to_seconds(iv[0]) | int) -%}
    {%- endfor -%}
    {{- ns.total -}}
{%- endmacro %}

{#- Office seconds elapsed on the day of ts, at the time of ts. -#}
{% macro office_seconds_elapsed(ts) -%}
    (
    {%- for iv in var('office_hours') %}
        greatest(0, least(date_diff('millisecond', date_trunc('day', {{ ts }}), {{ ts }}) / 1000.0,
                          {{ _hhmm_to_seconds(iv[1]) }}) - {{ _hhmm_to_seconds(iv[0]) }})
        {%- if not loop.last %} +{% endif %}
    {%- endfor %}
    )
{%- endmacro %}

{#- Cumulative office seconds at ts, given the int_calendar row of ts's date (its is_working_day, working_day_index). -#}
{% macro cumulative_working_seconds(ts, is_working_day, working_day_index) -%}
    (
        ({{ working_day_index }} - case when {{ is_working_day }} then 1 else 0 end) * {{ office_day_seconds() }}
        + case when {{ is_working_day }} then {{ office_seconds_elapsed(ts) }} else 0 end
    )
{%- endmacro %}

{#- Cumulative office seconds at the END of a day (after closing) — used for P_end dates. -#}
{% macro cumulative_working_seconds_end_of_day(working_day_index) -%}
    ({{ working_day_index }} * {{ office_day_seconds() }})
{%- endmacro %}

{% macro working_days_between(start_wdi, end_wdi) -%}
    ({{ end_wdi }} - {{ start_wdi }})
{%- endmacro %}

{% macro working_hours_between(start_cum_seconds, end_cum_seconds) -%}
    (({{ end_cum_seconds }} - {{ start_cum_seconds }}) / {{ office_day_seconds() }}.0 * {{ var('hours_per_working_day') }})
{%- endmacro %}

{#-
  Is the time from reception to an end point within the procedure's legal limit?
  kind/amount come from int_dossier_lifecycle (legal_limit_kind, legal_limit_amount):
    working_days  — integer limit in ngay_lam_viec: wdi(end) − wdi(start) ≤ amount
    calendar_days — integer limit in ngay: calendar days between the dates ≤ amount
    working_hours — limit in gio, or a fractional day limit × hours_per_working_day
  NULL when the limit is unknown.
-#}
{% macro within_legal_limit(kind, amount, start_date, end_date, start_wdi, end_wdi, start_cum_seconds, end_cum_seconds) -%}
    (case {{ kind }}
        when 'working_days' then {{ working_days_between(start_wdi, end_wdi) }} <= {{ amount }}
        when 'calendar_days' then date_diff('day', {{ start_date }}, {{ end_date }}) <= {{ amount }}
        when 'working_hours' then {{ working_hours_between(start_cum_seconds, end_cum_seconds) }} <= {{ amount }}
    end)
{%- endmacro %}
