{#-
  What the KPI models share (models/kpi; docs/kpi-tables.md): the tenant's time
  zone and local dates, the run's date, and what changed since a model last ran.

  Incremental KPIs work by partition (a local date, a month, a payment):
  - a fact model (int_kpi_*, materialized st_incremental) queues, in
    servicetitan_kpi_queue, the partition a changed record counted in before
    its change and the one it counts in now (meta queues);
  - a KPI model (materialized kpi_incremental) builds, in its pre-hook, the
    temporary table kpi_dirty of the partitions to recompute: the queued
    ones, those of changed raw rows whose partition never moves, and the
    dates since the previous run (a date's rows appear once it is no longer
    in the future); it then recomputes only those partitions and writes what
    differs.
-#}

{#- The tenant's IANA time zone: the dbt-postgres setting timezone. -#}
{% macro servicetitan_timezone() -%}
    {{ return((env_var('DBT_POSTGRES_TIMEZONE', '') | trim) or 'UTC') }}
{%- endmacro %}


{#- on-run-start: refuse a time zone PostgreSQL does not know, in one line. -#}
{% macro servicetitan_check_timezone() %}
    {%- set zone = servicetitan_timezone() -%}
    {%- if zone == 'UTC' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set known = run_query(
        "select exists (select 1 from pg_catalog.pg_timezone_names where name = "
        ~ servicetitan_quote(zone) ~ ")"
    ).rows[0][0] -%}
    {%- if not known -%}
        {{ exceptions.raise_compiler_error(
            "DBT_POSTGRES_TIMEZONE (the dbt-postgres setting timezone) is '" ~ zone
            ~ "', not an IANA time zone name: meltano config set dbt-postgres timezone America/Chicago"
        ) }}
    {%- endif -%}
{% endmacro %}


{#- The local date of a timestamptz expression in the tenant's time zone. -#}
{% macro local_date(expression) -%}
    (({{ expression }}) at time zone {{ servicetitan_quote(servicetitan_timezone()) }})::date
{%- endmacro %}


{#-
  The run's date: today in the tenant's time zone, or the var kpi_run_date
  (YYYY-MM-DD: a reproducible rebuild, and the tests' fixed day).
-#}
{% macro kpi_run_date() -%}
    {%- set fixed = var('kpi_run_date', none) -%}
    {%- if fixed -%}
        {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', fixed | string) -%}
            {{ exceptions.raise_compiler_error(
                "var kpi_run_date is '" ~ fixed ~ "', not a date YYYY-MM-DD"
            ) }}
        {%- endif -%}
        {{ return("'" ~ fixed ~ "'::date") }}
    {%- endif -%}
    {{ return(local_date('now()')) }}
{%- endmacro %}


{#- The ids (select_expression) of the rows of raw_table changed since the model last applied it. -#}
{% macro kpi_changed(raw_table, select_expression='source.id') -%}
    select {{ select_expression }}
    from {{ kpi_raw_relation(raw_table) }} as source
    where {{ changed_rows(raw_table, column='source._sdc_batched_at') }}
{%- endmacro %}


{#-
  A raw table for the KPI models' lookups of changed rows; a table never
  loaded reads as an empty one with the columns those lookups use.
-#}
{% macro kpi_raw_relation(raw_table) -%}
    {%- set declared = source('servicetitan', raw_table) -%}
    {%- if not execute or servicetitan_column_names(declared) -%}
        {{ return(declared) }}
    {%- endif -%}
    {{ return(
        '(select null::bigint as id, null::timestamp as _sdc_batched_at,'
        ~ ' null::timestamptz as "createdOn", null::bigint as "jobId", null::bigint as "membershipId",'
        ~ ' null::integer as "year", null::integer as "month" where false)'
    ) }}
{%- endmacro %}


{#- The days (or ids) queued in `queue` since the model last read it. -#}
{% macro kpi_queued(queue, kind='day') -%}
    {%- set relation = servicetitan_state_table('servicetitan_kpi_queue') -%}
    {%- set after = 'null' -%}
    {%- if execute -%}
        {%- set found = run_query(
            "select to_char(watermark, 'YYYY-MM-DD HH24:MI:SS.US') from "
            ~ servicetitan_state_table('servicetitan_watermarks')
            ~ " where tenant_id = " ~ servicetitan_tenant_id()
            ~ " and model = '" ~ model.name ~ "' and raw_table = 'queue:" ~ queue ~ "'"
        ) -%}
        {%- set after = "'" ~ found.rows[0][0] ~ "'::timestamp" if found.rows else "'-infinity'::timestamp" -%}
    {%- endif -%}
    select queued.{{ kind }}
    from {{ relation }} as queued
    where queued.tenant_id = {{ servicetitan_tenant_id() }}
        and queued.queue = '{{ queue }}'
        and queued.queued_at > {{ after }}
        and queued.{{ kind }} is not null
{%- endmacro %}


{#- True on a first build and on --full-refresh: every partition is recomputed. -#}
{% macro kpi_reads_everything() -%}
    {{ return(servicetitan_reads_everything()) }}
{%- endmacro %}


{#-
  The pre-hook of a KPI model: the temporary table kpi_dirty (partition) of
  the partitions this run recomputes. `selects`: SQL selects of partitions
  (queued or changed); `since_last_run`: also every date after the previous
  run's date up to this run's (daily tables), or every month (monthly).
-#}
{% macro kpi_dirty(selects, since_last_run=none, partition_type='date') -%}
    create temporary table kpi_dirty on commit drop as
    {% if kpi_reads_everything() -%}
    select null::{{ partition_type }} as partition where false
    {%- else -%}
    {%- set previous = kpi_previous_run_date() -%}
    select distinct partition from (
        {%- for select in selects %}
        {{ select }}
        union all
        {%- endfor %}
        {%- if since_last_run == 'day' %}
        select generate_series(
            coalesce({{ previous }} + 1, {{ kpi_run_date() }}), {{ kpi_run_date() }}, interval '1 day'
        )::date
        {%- elif since_last_run == 'month' %}
        select generate_series(
            date_trunc('month', coalesce({{ previous }}, {{ kpi_run_date() }})),
            date_trunc('month', {{ kpi_run_date() }}),
            interval '1 month'
        )::date
        {%- else %}
        select null where false
        {%- endif %}
    ) as touched (partition)
    where partition is not null
    {%- endif %};
    -- the planner then knows how few partitions the model reads
    analyze kpi_dirty
{%- endmacro %}


{#- The run date the model last ran with (a SQL date, null before its first run). -#}
{% macro kpi_previous_run_date() -%}
    (select watermarks.watermark::date
     from {{ servicetitan_state_table('servicetitan_watermarks') }} as watermarks
     where watermarks.tenant_id = {{ servicetitan_tenant_id() }}
        and watermarks.model = '{{ model.name }}'
        and watermarks.raw_table = 'run_date')
{%- endmacro %}


{#-
  Restrict `column` to the partitions of kpi_dirty (always true on a full
  build). lookup: the column is a raw table's key, read through its staging
  model; the partitions are then gathered into an array first, so that the
  raw table is read by its key instead of scanned (see kpi_in_changed).
-#}
{% macro kpi_in_dirty(column, lookup=false) -%}
    {%- if kpi_reads_everything() -%}
        true
    {%- elif lookup -%}
        {{ column }} = any(array(select kpi_dirty.partition from kpi_dirty))
    {%- else -%}
        {{ column }} in (select kpi_dirty.partition from kpi_dirty)
    {%- endif -%}
{%- endmacro %}


{#-
  A rate: numerator / denominator rounded to `scale` places, null when the
  denominator is 0 (docs/kpi-tables.md: rates are stored with their numerator and denominator).
-#}
{% macro kpi_rate(numerator, denominator, scale=4) -%}
    round(({{ numerator }})::numeric / nullif({{ denominator }}, 0), {{ scale }})
{%- endmacro %}


{#-
  " and <column> in the jobs CTE" on an incremental run, which reads few jobs;
  nothing on a full build, where every job is read and the planner does better
  with one pass over the table than with a lookup per job.
-#}
{% macro kpi_of_jobs(column) -%}
    {%- if not servicetitan_reads_everything() %}
        and {{ column }} in (select jobs.st_id from jobs)
    {%- endif %}
{%- endmacro %}


{#-
  "<column> among the ids of the CTE `changed`" on an incremental run; true on
  a full build, where every row is read (a join of every row with every id
  only costs time). The ids are gathered into an array first: the raw table
  is then read by its key, id by id, where an `in (select ...)` over a union
  of changed ids planned as a scan of the whole raw table (2 s instead of
  60 ms for 1% of 750k invoice items).
-#}
{% macro kpi_in_changed(column, changed) -%}
    {%- if servicetitan_reads_everything() -%}
        true
    {%- else -%}
        {{ column }} = any(array(select {{ changed }}.id from {{ changed }} as {{ changed }} (id)))
    {%- endif -%}
{%- endmacro %}
