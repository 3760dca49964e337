{#-
  on-run-start and on-run-end (dbt_project.yml).

  servicetitan_start_run: creates st_sync_log and the incremental state tables
  when missing, indexes the raw tables on _sdc_batched_at (what every
  incremental run filters on), and records this invocation's tenant, read
  from the raw rows (macros/tenant.sql), and its window: the newest
  _sdc_batched_at of each raw table, and whether it has rows without one
  (macros/changed_rows.sql).

  servicetitan_log_failed_models: one st_sync_log row, status failed, for each
  st_* model that failed or was skipped because a model it reads failed. A
  failed model's transaction is rolled back: its table keeps its previous rows
  and its watermarks do not move. Completed models log themselves, in their own
  transaction (materializations/st_incremental.sql).
-#}

{#- The tables of the source servicetitan (models/staging/_servicetitan__sources.yml). -#}
{% macro servicetitan_raw_tables() -%}
    {%- set names = [] -%}
    {%- for source in graph.sources.values() if source.source_name == 'servicetitan' -%}
        {%- do names.append(source.name) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}


{% macro servicetitan_start_run() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set log = servicetitan_state_table('st_sync_log') -%}
    {%- set raw_tenants = servicetitan_state_table('servicetitan_raw_tenants') -%}
    {%- set watermarks = servicetitan_state_table('servicetitan_watermarks') -%}
    {%- set run_window = servicetitan_state_table('servicetitan_run_window') -%}
    {%- set to_refresh = servicetitan_state_table('servicetitan_customers_to_refresh') -%}
    {%- set raw_schema = source('servicetitan', 'customers').schema -%}
    {%- do servicetitan_check_timezone() -%}
    {%- set kpi_queue = servicetitan_state_table('servicetitan_kpi_queue') -%}
    {%- set kpi_settings = servicetitan_state_table('servicetitan_kpi_settings') -%}
    {%- set existing = run_query(
        "select cls.relname::text,"
        ~ " exists (select 1 from pg_catalog.pg_index as ind"
        ~ "   inner join pg_catalog.pg_attribute as att"
        ~ "     on att.attrelid = ind.indrelid and att.attnum = ind.indkey[0]"
        ~ "   where ind.indrelid = cls.oid and att.attname = '_sdc_batched_at')"
        ~ " from pg_catalog.pg_class as cls"
        ~ " inner join pg_catalog.pg_namespace as nsp on nsp.oid = cls.relnamespace"
        ~ " inner join pg_catalog.pg_attribute as att on att.attrelid = cls.oid"
        ~ " where nsp.nspname = " ~ servicetitan_quote(raw_schema)
        ~ " and cls.relkind in ('r', 'p') and att.attname = '_sdc_batched_at'"
        ~ " and not att.attisdropped"
        ~ " and cls.relname in ('" ~ servicetitan_raw_tables() | join("', '") ~ "')"
    ) -%}
    {%- set present = existing.columns[0].values() | list -%}
    {%- set unbatched = servicetitan_unbatched_tables(raw_schema, present) -%}
    {%- set tenant = servicetitan_raw_schema_tenant(
        raw_schema, servicetitan_present_raw_tables(raw_schema)
    ) -%}
    {%- set tenant_id = (tenant | int) ~ '::bigint' if tenant is not none else none -%}

    -- tenants' runs may start side by side: one at a time creates what is missing
    select pg_advisory_xact_lock(hashtext('servicetitan_start_run'));

    create schema if not exists {{ adapter.quote(target.schema) }};

    -- the tenant each raw schema holds, read from its rows at the start of a run
    create table if not exists {{ raw_tenants }} (
        raw_schema text primary key,
        tenant_id bigint not null,
        recorded_at timestamptz not null
    );

    -- st_sync_log: one row per st_* table per run (docs/st-tables.md)
    create table if not exists {{ log }} (
        tenant_id bigint not null,
        st_id bigint generated always as identity,
        module text not null,
        sync_type text not null,
        status text not null,
        records_fetched bigint not null default 0,
        records_created bigint not null default 0,
        records_updated bigint not null default 0,
        records_deleted bigint not null default 0,
        records_failed bigint not null default 0,
        duration_ms bigint,
        error_message text,
        started_at timestamptz not null,
        completed_at timestamptz,
        primary key (tenant_id, st_id),
        constraint st_sync_log_sync_type_check check (sync_type in ('full', 'incremental')),
        constraint st_sync_log_status_check check (status in ('completed', 'failed'))
    );

    {{ servicetitan_create_missing_index('st_sync_log_module_idx', log, 'tenant_id, module, status') }}

    create table if not exists {{ watermarks }} (
        tenant_id bigint not null,
        model text not null,
        raw_table text not null,
        watermark timestamp not null,
        updated_at timestamptz not null,
        primary key (tenant_id, model, raw_table)
    );

    create table if not exists {{ run_window }} (
        tenant_id bigint not null,
        raw_table text not null,
        until timestamp,
        has_unbatched_rows boolean not null,
        invocation_id text not null,
        primary key (tenant_id, raw_table)
    );

    -- the previous customer of each contact, location, job or invoice that
    -- moved to another customer, until st_customers has recomputed it
    create table if not exists {{ to_refresh }} (
        tenant_id bigint not null,
        customer_id bigint not null,
        queued_at timestamptz not null default now()
    );

    {{ servicetitan_create_missing_index('servicetitan_customers_to_refresh_idx', to_refresh, 'tenant_id') }}

    -- the local days (or job ids) whose KPI rows a changed record touched, before
    -- and after its change, until every KPI model has recomputed them
    -- (macros/kpi.sql)
    create table if not exists {{ kpi_queue }} (
        tenant_id bigint not null,
        queue text not null,
        day date,
        id bigint,
        queued_at timestamp not null default (clock_timestamp() at time zone 'UTC')
    );

    {{ servicetitan_create_missing_index('servicetitan_kpi_queue_idx', kpi_queue, 'tenant_id, queue, queued_at') }}

    {% for table_name, indexed in existing.rows if not indexed %}
    create index if not exists {{ adapter.quote(table_name ~ '__sdc_batched_at_idx') }}
        on {{ adapter.quote(raw_schema) }}.{{ adapter.quote(table_name) }} (_sdc_batched_at);
    {% endfor %}

    -- the KPI models look job splits and assignments up by job
    {% for table_name in ['job_splits', 'appointment_assignments'] if table_name in present %}
    {{ servicetitan_create_missing_index(
        table_name ~ '_job_id_idx',
        servicetitan_raw_relation(raw_schema, table_name),
        '"jobId"'
    ) }}
    {% endfor %}

    create table if not exists {{ kpi_settings }} (
        tenant_id bigint primary key,
        timezone text not null,
        recorded_at timestamptz not null
    );

    delete from {{ raw_tenants }} where raw_schema = {{ servicetitan_quote(raw_schema) }};

    {% if tenant_id is not none %}
    insert into {{ raw_tenants }} (raw_schema, tenant_id, recorded_at)
    values ({{ servicetitan_quote(raw_schema) }}, {{ tenant_id }}, now());

    delete from {{ run_window }} where tenant_id = {{ tenant_id }};

    -- another time zone moves every local date: the KPI facts and tables
    -- re-read every raw row (their watermarks go), and queue every date anew
    delete from {{ watermarks }} as watermarks
    using {{ kpi_settings }} as settings
    where settings.tenant_id = {{ tenant_id }}
        and settings.timezone <> {{ servicetitan_quote(servicetitan_timezone()) }}
        and watermarks.tenant_id = settings.tenant_id
        and (watermarks.model like 'int\_kpi\_%' or watermarks.model like 'kpi\_%'
            or watermarks.model = 'st_payment_applications');

    insert into {{ kpi_settings }} as settings (tenant_id, timezone, recorded_at)
    values ({{ tenant_id }}, {{ servicetitan_quote(servicetitan_timezone()) }}, now())
    on conflict (tenant_id) do update set
        timezone = excluded.timezone,
        recorded_at = excluded.recorded_at
    where settings.timezone <> excluded.timezone;

    -- queued days and jobs every KPI model has read
    delete from {{ kpi_queue }} as queued
    where queued.tenant_id = {{ tenant_id }}
        and queued.queued_at <= (
            select min(watermarks.watermark)
            from {{ watermarks }} as watermarks
            where watermarks.tenant_id = {{ tenant_id }}
                and watermarks.raw_table like 'queue:%'
        );
    {% endif %}

    {% if present and tenant_id is not none %}
    insert into {{ run_window }} (tenant_id, raw_table, until, has_unbatched_rows, invocation_id)
    {%- for table_name in present %}
    select
        {{ tenant_id }},
        '{{ table_name }}',
        (select max(_sdc_batched_at) from {{ adapter.quote(raw_schema) }}.{{ adapter.quote(table_name) }}),
        {{ 'true' if table_name in unbatched else 'false' }},
        '{{ invocation_id }}'
    {{ 'union all' if not loop.last }}
    {%- endfor %};
    {% endif %}
{% endmacro %}


{#-
  The raw tables with rows without _sdc_batched_at (Singer BATCH loads leave
  it empty): every run re-reads those rows, so dbt run and build warn.
-#}
{% macro servicetitan_unbatched_tables(raw_schema, present) %}
    {%- if not present -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set checks = [] -%}
    {%- for table_name in present -%}
        {%- do checks.append(
            "select '" ~ table_name ~ "' where exists (select 1 from "
            ~ adapter.quote(raw_schema) ~ "." ~ adapter.quote(table_name)
            ~ " where _sdc_batched_at is null)"
        ) -%}
    {%- endfor -%}
    {%- set unbatched = run_query(checks | join(' union all ')).columns[0].values() | list -%}
    {%- if unbatched and flags.WHICH in ('run', 'build') -%}
        {%- do exceptions.warn(
            'raw rows without _sdc_batched_at in ' ~ raw_schema ~ '.' ~ unbatched | join(', ')
            ~ ': the transforms cannot tell whether they changed and re-read them on every run'
        ) -%}
    {%- endif -%}
    {{ return(unbatched) }}
{% endmacro %}


{% macro servicetitan_log_failed_models(results) %}
    {%- if not execute or flags.WHICH not in ('run', 'build') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set failed = [] -%}
    {%- set failed_ids = [] -%}
    {%- for result in results
        if result.node.resource_type == 'model'
        and result.node.config.materialized == 'st_incremental'
        and result.status in ('error', 'skipped') -%}
        {%- do failed.append(result) -%}
        {%- do failed_ids.append(result.node.unique_id) -%}
    {%- endfor -%}
    {%- if not failed -%}
        {{ return('') }}
    {%- endif -%}
    {%- set tenant_id = servicetitan_recorded_tenant_id() -%}
    {%- if tenant_id is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set log = servicetitan_state_table('st_sync_log') -%}
    insert into {{ log }} (
        tenant_id,
        module,
        sync_type,
        status,
        records_fetched,
        records_created,
        records_updated,
        records_deleted,
        records_failed,
        duration_ms,
        error_message,
        started_at,
        completed_at
    )
    select
        {{ tenant_id }},
        failed.module,
        {{ servicetitan_sync_type('failed.module', flags.FULL_REFRESH) }},
        'failed',
        0,
        0,
        0,
        0,
        0,
        failed.duration_ms,
        failed.error_message,
        coalesce(failed.started_at, now()),
        coalesce(failed.completed_at, now())
    from (
        values
        {%- for result in failed %}
        (
            '{{ result.node.name }}',
            {{ (result.execution_time * 1000) | int }},
            {{ servicetitan_quote(servicetitan_failure_message(result, failed_ids)) }},
            {{ servicetitan_timing(result, 'started_at') }},
            {{ servicetitan_timing(result, 'completed_at') }}
        ){{ ',' if not loop.last }}
        {%- endfor %}
    ) as failed (module, duration_ms, error_message, started_at, completed_at)
{% endmacro %}


{#- One line: dbt's message without its pointers to macros and compiled files. -#}
{% macro servicetitan_failure_message(result, failed_ids) -%}
    {%- set upstream = [] -%}
    {%- for node_id in result.node.depends_on.nodes if node_id in failed_ids -%}
        {%- do upstream.append(node_id.split('.')[-1]) -%}
    {%- endfor -%}
    {%- if result.status == 'skipped' and upstream -%}
        {{ return('skipped: ' ~ upstream | join(', ') ~ ' failed') }}
    {%- endif -%}
    {%- set lines = [] -%}
    {%- for line in (result.message or result.status).splitlines()
        if line.strip()
        and not line.strip().startswith(('>', 'compiled code at', 'Compilation Error in', 'Database Error in')) -%}
        {%- do lines.append(line.strip()) -%}
    {%- endfor -%}
    {{ return(result.node.name ~ ': ' ~ (lines | join(' ') or result.message or result.status)) }}
{%- endmacro %}


{% macro servicetitan_timing(result, attribute) -%}
    {%- set moments = [] -%}
    {%- for timing in result.timing if timing[attribute] -%}
        {%- set moment = timing[attribute] -%}
        {%- do moments.append(moment.isoformat() ~ ('' if moment.tzinfo else '+00:00')) -%}
    {%- endfor -%}
    {%- if not moments -%}
        {{ return('null::timestamptz') }}
    {%- endif -%}
    {%- set moment = (moments | min) if attribute == 'started_at' else (moments | max) -%}
    {#- dbt's timings are UTC; naive ones get their offset -#}
    {{ return("'" ~ moment ~ "'::timestamptz") }}
{%- endmacro %}


{#-
  CREATE INDEX only when the index is missing: CREATE INDEX IF NOT EXISTS
  takes its table's SHARE lock even when the index exists, and another
  tenant's models writing that table side by side then deadlock with this
  run's start.
-#}
{% macro servicetitan_create_missing_index(name, relation, columns) -%}
    do $servicetitan$ begin
        if to_regclass({{ servicetitan_quote(adapter.quote(relation.schema) ~ '.' ~ adapter.quote(name)) }}) is null then
            create index {{ adapter.quote(name) }} on {{ relation }} ({{ columns }});
        end if;
    end $servicetitan$;
{%- endmacro %}


{% macro servicetitan_quote(text) -%}
    {{ return("'" ~ (text | string).replace("'", "''") ~ "'") }}
{%- endmacro %}


{#-
  st_sync_log.sync_type: full on the first build (or --full-refresh),
  else incremental. module_sql: the SQL expression of the module's name.
-#}
{% macro servicetitan_sync_type(module_sql, full_refresh) -%}
    case
        when {{ 'true' if full_refresh else 'false' }} then 'full'
        when exists (
            select 1
            from {{ servicetitan_state_table('st_sync_log') }} as previous
            where previous.tenant_id = {{ servicetitan_tenant_id() }}
                and previous.module = {{ module_sql }}
                and previous.status = 'completed'
        ) then 'incremental'
        else 'full'
    end
{%- endmacro %}
