{#-
  st_incremental: how every st_* table is built (models/marts).

  First build (no table yet): the table is created from the model's contract
  (columns, types, primary key (tenant_id, st_id)), filled with the model's
  rows, then given the indexes of its `indexes` config. A run that read every
  row (first build, a tenant's first rows, --full-refresh) analyzes the
  columns later runs look rows up by, so the next run plans on statistics.

  Later runs: the model selects only what changed since the last run (macro
  changed_rows) into a temporary table (dropped at commit). Those rows are upserted on
  (tenant_id, st_id), and only rows that differ from the stored ones
  (last_synced_at aside) are written, so a re-loaded unchanged record, or a
  run with nothing new, writes nothing.

  A column the model's contract gains in a newer version is added to the
  table (filled as rows are rewritten; --full-refresh fills them all).

  Tenants' runs may build side by side: a first build holds a lock on the
  table's name until it commits, and a run that waited for it builds onto the
  table the other created.

  --full-refresh: the model selects every raw row of the tenant, the upsert
  writes what differs, and the tenant's rows whose raw record is gone are
  deleted. The table is never dropped: it holds the other tenants too.

  meta queues (the int_kpi_* facts, st_invoices): the values of a column, as
  the changed rows held them before and hold them now, are queued for the KPI
  models (macros/kpi.sql); with 'when': 'differs', only of rows whose values
  changed (a re-sent unchanged record queues nothing).

  meta customer_column (contacts, locations, jobs, invoices): before a row is
  rewritten with another customer, or deleted, its previous customer is queued
  in servicetitan_customers_to_refresh for st_customers (meta
  consumes_customers_to_refresh) to recompute.

  A run with nothing new for the model (no raw rows batched since its
  watermarks, nothing queued) skips the model's query and writes nothing.

  Every run of the model appends its st_sync_log row (status completed) and
  advances its watermarks (meta raw_tables) in the model's own transaction, so
  a failed model changes nothing (on-run-end logs the failure).
-#}
{% materialization st_incremental, adapter='postgres' %}
    {%- set existing = load_cached_relation(this) -%}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- if existing is not none and existing.type != 'table' -%}
        {{ exceptions.raise_compiler_error(
            target_relation ~ ' is a ' ~ existing.type ~ ', not a table: drop it and run again'
        ) }}
    {%- endif -%}
    {%- set full_refresh = should_full_refresh() -%}
    {%- set reads_everything = full_refresh or existing is none -%}

    {#- hooks, docs and grants only when configured: rendering dbt's macros for
        them costs every model's run time even when they do nothing -#}
    {%- if pre_hooks -%}
        {{ run_hooks(pre_hooks, inside_transaction=False) }}
        {{ run_hooks(pre_hooks, inside_transaction=True) }}
    {%- endif -%}

    {%- call statement('st_incremental_settings') -%}
        {{ servicetitan_transaction_settings(reads_everything) }}
    {%- endcall -%}

    {%- if existing is none -%}
        {#- another tenant's run may be creating the table at this moment: wait
            for it to commit, then build onto its table -#}
        {%- call statement('st_incremental_first_build') -%}
            select pg_advisory_xact_lock(hashtext({{ servicetitan_quote(target_relation | string) }}))
        {%- endcall -%}
        {%- if servicetitan_column_names(target_relation) -%}
            {%- set existing = target_relation -%}
        {%- endif -%}
    {%- endif -%}

    {%- if existing is none -%}
        {%- call statement('main') -%}
            {{ get_create_table_as_sql(False, target_relation, sql) }}
        {%- endcall -%}
        {%- do create_indexes(target_relation) -%}
        {%- set written = {
            'created': load_result('main').response.rows_affected,
            'updated': 0,
            'deleted': 0,
        } -%}
    {%- elif not full_refresh and not servicetitan_has_changes() -%}
        {%- do servicetitan_add_new_columns(target_relation) -%}
        {%- call statement('main') -%}
            select 'nothing changed since the last run' where false
        {%- endcall -%}
        {%- set written = {'fetched': 0, 'created': 0, 'updated': 0, 'deleted': 0} -%}
    {%- else -%}
        {%- set columns = servicetitan_add_new_columns(target_relation) -%}
        {%- set changed = make_temp_relation(target_relation) -%}
        {#- the upsert names the contract's columns: a model that no longer selects
            one of them fails there -#}
        {%- call statement('st_incremental_changed') -%}
            create temporary table {{ changed }} on commit drop as (
                {{ sql }}
            );
            analyze {{ changed }}
        {%- endcall -%}
        {%- call statement('st_incremental_prepare', fetch_result=True) -%}
            {{ servicetitan_prepare_upsert_sql(target_relation, changed, full_refresh) }}
        {%- endcall -%}
        {%- set prepared = load_result('st_incremental_prepare').table.rows[0] -%}
        {%- call statement('main') -%}
            {{ servicetitan_upsert_sql(target_relation, changed, columns) }}
        {%- endcall -%}
        {%- set created = prepared[0] | int -%}
        {%- set written = {
            'created': created,
            'updated': load_result('main').response.rows_affected - created,
            'deleted': prepared[1] | int,
        } -%}
    {%- endif -%}

    {#- a table just filled (or refilled) gets its planner statistics now, not
        when autovacuum comes by: without them the next incremental run's
        lookups by key and customer plan as whole-table scans. A sample of
        3,000 rows (a tenth of the default) tells row counts and how selective
        the lookup columns are; autovacuum's analyze refines it later. -#}
    {%- if reads_everything -%}
        {%- call statement('st_incremental_analyze') -%}
            set local default_statistics_target = 10;
            analyze {{ target_relation }} ({{ servicetitan_lookup_columns() | join(', ') }})
        {%- endcall -%}
    {%- endif -%}

    {%- call statement('st_sync_log') -%}
        {{ servicetitan_completed_sql(written, full_refresh, reads_everything) }}
        {{ kpi_advance_watermarks() if config.get('meta', {}).get('queues_read') }}
    {%- endcall -%}

    {%- if post_hooks -%}
        {{ run_hooks(post_hooks, inside_transaction=True) }}
    {%- endif -%}

    {%- if config.persist_relation_docs() or config.persist_column_docs() -%}
        {%- do persist_docs(target_relation, model) -%}
    {%- endif -%}
    {%- if config.get('grants') -%}
        {%- do apply_grants(target_relation, config.get('grants'), should_revoke=existing is not none) -%}
    {%- endif -%}

    {%- do adapter.commit() -%}

    {%- if post_hooks -%}
        {{ run_hooks(post_hooks, inside_transaction=False) }}
    {%- endif -%}

    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#-
  Whether the model has anything to do: a raw table it reads has rows batched
  after its watermark or rows without _sdc_batched_at, or (meta
  consumes_customers_to_refresh) customers are queued for it. When not, the
  run only logs itself: no temporary table, no upsert.
-#}
{% macro servicetitan_has_changes() %}
    {%- set meta = config.get('meta', {}) -%}
    {%- set tenant_id = servicetitan_tenant_id() -%}
    {%- set queued = (
        " or exists (select 1 from "
        ~ servicetitan_state_table('servicetitan_customers_to_refresh')
        ~ " where tenant_id = " ~ tenant_id ~ ")"
    ) -%}
    {%- set found = run_query(
        "select exists ("
        ~ " select 1 from " ~ servicetitan_state_table('servicetitan_run_window') ~ " as run_window"
        ~ " left join " ~ servicetitan_state_table('servicetitan_watermarks') ~ " as watermarks"
        ~ "   on watermarks.tenant_id = run_window.tenant_id"
        ~ "   and watermarks.model = '" ~ model.name ~ "'"
        ~ "   and watermarks.raw_table = run_window.raw_table"
        ~ " where run_window.tenant_id = " ~ tenant_id
        ~ "   and run_window.raw_table in ('" ~ meta.get('raw_tables', []) | join("', '") ~ "')"
        ~ "   and (run_window.has_unbatched_rows"
        ~ "     or run_window.until > coalesce(watermarks.watermark, '-infinity'))"
        ~ ")"
        ~ (queued if meta.get('consumes_customers_to_refresh') else '')
        ~ servicetitan_queued_condition(meta.get('queues_read', []), tenant_id)
    ) -%}
    {{ return(found.rows[0][0]) }}
{% endmacro %}


{#-
  The columns later runs look this table's rows up by: its key and the
  columns of its `indexes` config (quoted).
-#}
{% macro servicetitan_lookup_columns() %}
    {%- set names = ['tenant_id', 'st_id'] -%}
    {%- for index in config.get('indexes', []) -%}
        {%- for name in index['columns'] if name not in names -%}
            {%- do names.append(name) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set quoted = [] -%}
    {%- for name in names -%}
        {%- do quoted.append(adapter.quote(name)) -%}
    {%- endfor -%}
    {{ return(quoted) }}
{% endmacro %}


{#-
  The model's columns (its contract, which the rows it selected were checked
  against), after adding to the table those a newer version of the model
  brings. Columns the model no longer has stay in the table, unwritten.
-#}
{% macro servicetitan_add_new_columns(target_relation) %}
    {%- set present = servicetitan_column_names(target_relation) -%}
    {%- set columns = [] -%}
    {%- for column in model.columns.values() -%}
        {%- do columns.append(column.name) -%}
        {%- if column.name not in present -%}
            {%- do run_query(
                'alter table ' ~ target_relation ~ ' add column ' ~ adapter.quote(column.name)
                ~ ' ' ~ column.data_type
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(columns) }}
{% endmacro %}


{#-
  Before the upsert, in one statement that sees the table as it was: queue the
  previous customers of rows that move or are deleted, delete (full refresh
  only) the tenant's rows whose raw record is gone, and count the changed rows
  that are new. Selects (created, deleted).
-#}
{% macro servicetitan_prepare_upsert_sql(target_relation, changed, full_refresh) %}
    {%- set customer_column = config.get('meta', {}).get('customer_column') -%}
    {%- set tenant_id = servicetitan_tenant_id() -%}
    with

    removed as (
        delete from {{ target_relation }} as existing
        where {{ 'true' if full_refresh else 'false' }}
            and existing.tenant_id = {{ tenant_id }}
            and not exists (
                select 1
                from {{ changed }} as changed
                where changed.tenant_id = existing.tenant_id and changed.st_id = existing.st_id
            )
        returning
            {{ 'existing.' ~ adapter.quote(customer_column) if customer_column else 'null::bigint' }}
                as customer_id
    )

    {%- if customer_column %},

    moved as (
        select existing.{{ adapter.quote(customer_column) }} as customer_id
        from {{ target_relation }} as existing
        inner join {{ changed }} as changed
            on changed.tenant_id = existing.tenant_id and changed.st_id = existing.st_id
        where existing.{{ adapter.quote(customer_column) }}
            is distinct from changed.{{ adapter.quote(customer_column) }}
    ),

    queued as (
        insert into {{ servicetitan_state_table('servicetitan_customers_to_refresh') }} (
            tenant_id,
            customer_id
        )
        select distinct
            {{ tenant_id }},
            previous.customer_id
        from (
            select moved.customer_id from moved
            union all
            select removed.customer_id from removed
        ) as previous
        where previous.customer_id is not null
    )
    {%- endif %}

    {%- set queues = config.get('meta', {}).get('queues', []) -%}
    {%- if queues %},

    queued_for_kpis as (
        insert into {{ servicetitan_state_table('servicetitan_kpi_queue') }} (tenant_id, queue, day, id)
        select distinct {{ tenant_id }}, touched.queue, touched.day, touched.id
        from (
            {%- for entry in queues %}
            {%- set value = adapter.quote(entry['column']) %}
            {%- set kind = entry.get('kind', 'day') %}
            {%- set differs = entry.get('when') == 'differs' %}
            {#- the stored row of each changed row; on an incremental run looked
                up by key (the keys gathered into an array: a join planned as a
                scan of the stored rows holding a value, 0.2 s for 1% of 750k
                rows), on a full refresh (every row changed) joined #}
            select
                '{{ entry['queue'] }}' as queue,
                {{ 'existing.' ~ value if kind == 'day' else 'null::date' }} as day,
                {{ 'existing.' ~ value if kind == 'id' else 'null::bigint' }} as id
            from {{ target_relation }} as existing
            inner join {{ changed }} as changed
                on changed.tenant_id = existing.tenant_id and changed.st_id = existing.st_id
            where existing.tenant_id = {{ tenant_id }}
                {%- if not full_refresh %}
                and existing.st_id = any(array(select keys.st_id from {{ changed }} as keys))
                {%- endif %}
                and existing.{{ value }} is not null
                {%- if differs %}
                and {{ servicetitan_row_differs('changed', 'existing') }}
                {%- endif %}
            union all
            select
                '{{ entry['queue'] }}',
                {{ 'changed.' ~ value if kind == 'day' else 'null::date' }},
                {{ 'changed.' ~ value if kind == 'id' else 'null::bigint' }}
            from {{ changed }} as changed
            where changed.{{ value }} is not null
            {%- if differs %}
                and not exists (
                    select 1 from {{ target_relation }} as existing
                    where existing.tenant_id = changed.tenant_id and existing.st_id = changed.st_id
                        and not {{ servicetitan_row_differs('changed', 'existing') }}
                )
            {%- endif %}
            {{ 'union all' if not loop.last }}
            {%- endfor %}
        ) as touched
    )
    {%- endif %}

    select
        (
            select count(*)
            from {{ changed }} as changed
            where not exists (
                select 1
                from {{ target_relation }} as existing
                where existing.tenant_id = changed.tenant_id and existing.st_id = changed.st_id
            )
        ) as created,
        (select count(*) from removed) as deleted
{% endmacro %}


{#-
  Upsert the changed rows on (tenant_id, st_id), writing only those that
  differ from the stored row (last_synced_at aside). Its row count is the
  number of rows created or updated.
-#}
{% macro servicetitan_upsert_sql(target_relation, changed, columns) %}
    {%- set keys = ['tenant_id', 'st_id'] -%}
    {%- set stamps = ['last_synced_at'] -%}
    {%- set quoted = [] -%}
    {%- for name in columns -%}
        {%- do quoted.append(adapter.quote(name)) -%}
    {%- endfor -%}
    insert into {{ target_relation }} as existing ({{ quoted | join(', ') }})
    select {{ quoted | join(', ') }}
    from {{ changed }}
    on conflict (tenant_id, st_id) do update set
    {%- for name in columns if name not in keys %}
        {{ adapter.quote(name) }} = excluded.{{ adapter.quote(name) }}{{ ',' if not loop.last }}
    {%- endfor %}
    -- write only what differs
    where (
    {%- for name in columns if name not in keys and name not in stamps %}
        existing.{{ adapter.quote(name) }}{{ ',' if not loop.last }}
    {%- endfor %}
    ) is distinct from (
    {%- for name in columns if name not in keys and name not in stamps %}
        excluded.{{ adapter.quote(name) }}{{ ',' if not loop.last }}
    {%- endfor %}
    )
{% endmacro %}


{#-
  The model's st_sync_log row (status completed) and its watermarks: every
  raw table in meta raw_tables is applied up to this invocation's window.
  records_fetched counts the raw rows of the first of them that changed
  (unless `written` says).
-#}
{% macro servicetitan_completed_sql(written, full_refresh, reads_everything) %}
    {%- set raw_tables = config.get('meta', {}).get('raw_tables', []) -%}
    {%- set tenant_id = servicetitan_tenant_id() -%}
    {%- set raw = servicetitan_raw(raw_tables[0], warn=false) if 'fetched' not in written else none -%}
    insert into {{ servicetitan_state_table('st_sync_log') }} (
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
        '{{ model.name }}',
        {{ servicetitan_sync_type("'" ~ model.name ~ "'", full_refresh) }},
        'completed',
        {% if 'fetched' in written -%}
        {{ written.fetched }},
        {%- else -%}
        (
            select count(*)
            from {{ raw.relation }}
            where {{ servicetitan_changed_condition(
                raw_tables[0], '_sdc_batched_at', reads_everything, literal=false
            ) }}
        ),
        {%- endif %}
        {{ written.created }},
        {{ written.updated }},
        {{ written.deleted }},
        0,
        (extract(epoch from clock_timestamp() - now()) * 1000)::bigint,
        null,
        now(),
        clock_timestamp()
    -- a raw schema without rows has no tenant yet: nothing to log
    where {{ tenant_id }} is not null;

    insert into {{ servicetitan_state_table('servicetitan_watermarks') }} as watermarks (
        tenant_id,
        model,
        raw_table,
        watermark,
        updated_at
    )
    select
        run_window.tenant_id,
        '{{ model.name }}',
        run_window.raw_table,
        run_window.until,
        now()
    from {{ servicetitan_state_table('servicetitan_run_window') }} as run_window
    where run_window.tenant_id = {{ tenant_id }}
        and run_window.raw_table in ('{{ raw_tables | join("', '") }}')
        and run_window.until is not null
    on conflict (tenant_id, model, raw_table) do update set
        watermark = greatest(watermarks.watermark, excluded.watermark),
        updated_at = excluded.updated_at
    where watermarks.watermark < excluded.watermark;
{% endmacro %}


{#- " or <rows queued in one of `queues` since the model last read it>" (or nothing). -#}
{% macro servicetitan_queued_condition(queues, tenant_id) -%}
    {%- if not queues -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(
        " or exists (select 1 from " ~ servicetitan_state_table('servicetitan_kpi_queue') ~ " as queued"
        ~ " where queued.tenant_id = " ~ tenant_id
        ~ " and queued.queue in ('" ~ queues | join("', '") ~ "')"
        ~ " and queued.queued_at > coalesce((select watermarks.watermark from "
        ~ servicetitan_state_table('servicetitan_watermarks') ~ " as watermarks"
        ~ " where watermarks.tenant_id = queued.tenant_id and watermarks.model = '" ~ model.name ~ "'"
        ~ " and watermarks.raw_table = 'queue:' || queued.queue), '-infinity'))"
    ) }}
{%- endmacro %}


{#- Whether two aliases' rows differ in the model's columns (keys and last_synced_at aside). -#}
{% macro servicetitan_row_differs(left, right) -%}
    {%- set names = [] -%}
    {%- for column in model.columns.values() if column.name not in ('tenant_id', 'st_id', 'last_synced_at') -%}
        {%- do names.append(adapter.quote(column.name)) -%}
    {%- endfor -%}
    ({% for name in names %}{{ left }}.{{ name }}{{ ', ' if not loop.last }}{% endfor %})
        is distinct from
    ({% for name in names %}{{ right }}.{{ name }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}


{#-
  The settings of a model's transaction (st_incremental and kpi_incremental):
  raw date-times without an offset are UTC, whatever the server's time zone;
  the sorts and hashes of a full build fit in memory; the st_* tables are
  derived, so the commit need not wait for its WAL flush; no JIT compilation
  (a full build's row estimates made PostgreSQL spend 0.5 to 0.8 s compiling
  each query, more than the queries gained). A run that reads only changed
  rows also prices a random read as the cached read it nearly always is
  there (the st_* tables' keys and the raw tables' batch index): at the
  default price, a lookup of 7,500 changed rows by key planned as a hash of
  all 750k stored rows (1.2 s instead of 30 ms). A run that reads every row
  keeps the default (its plans were slower with the lower price).
-#}
{% macro servicetitan_transaction_settings(reads_everything) -%}
    set local time zone 'UTC';
    set local work_mem = '64MB';
    set local synchronous_commit = off;
    set local jit = off
    {%- if not reads_everything %};
    set local random_page_cost = 1.1
    {%- endif %}
{%- endmacro %}
