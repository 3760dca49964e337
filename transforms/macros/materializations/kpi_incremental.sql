{#-
  kpi_incremental: how every KPI table is built (models/kpi, macros/kpi.sql).

  config: unique_key (the table's key, tenant_id first; its nullable parts
  such as technician_id stay null and count as one value), partition_by (the
  column whose values are recomputed together: date, month, snapshot_date,
  payment_id), meta raw_tables (the raw tables whose changed rows the model
  reads), meta queues_read (the kpi queues it reads), keeps_partitions (a
  --full-refresh rewrites only the partitions of kpi_dirty: kpi_ar_aging's
  earlier snapshots cannot be rebuilt).

  First build: the table is created from the model's contract and filled,
  then given a unique index on unique_key (nulls not distinct) and an index on
  (tenant_id, partition_by).

  Later runs: the model's pre-hook lists in the temporary table kpi_dirty the
  partitions to recompute; the model selects their rows; the tenant's stored
  rows of those partitions that differ from them (last_synced_at aside) are
  deleted and the new ones inserted. Nothing dirty: nothing is written.
  --full-refresh: every partition of the tenant.

  Like st_incremental, the model logs its st_sync_log row and advances its
  watermarks (raw tables, queues read, the run's date) in its own transaction.
-#}
{% materialization kpi_incremental, adapter='postgres' %}
    {%- set existing = load_cached_relation(this) -%}
    {%- set target_relation = this.incorporate(type='table') -%}
    {%- set full_refresh = should_full_refresh() -%}
    {%- set reads_everything = full_refresh or existing is none -%}
    {%- set keys = config.require('unique_key') -%}
    {%- set partition = config.require('partition_by') -%}
    {%- set tenant_id = servicetitan_tenant_id() -%}

    {%- call statement('kpi_incremental_settings') -%}
        {{ servicetitan_transaction_settings(reads_everything) }}
    {%- endcall -%}

    {{ run_hooks(pre_hooks, inside_transaction=False) }}
    {{ run_hooks(pre_hooks, inside_transaction=True) }}

    {%- if existing is none -%}
        {%- call statement('kpi_incremental_first_build') -%}
            select pg_advisory_xact_lock(hashtext({{ servicetitan_quote(target_relation | string) }}))
        {%- endcall -%}
        {%- if servicetitan_column_names(target_relation) -%}
            {%- set existing = target_relation -%}
        {%- endif -%}
    {%- endif -%}

    {%- set columns = [] -%}
    {%- set compared = [] -%}
    {%- for column in model.columns.values() -%}
        {%- do columns.append(adapter.quote(column.name)) -%}
        {%- if column.name != 'last_synced_at' -%}
            {%- do compared.append(column.name) -%}
        {%- endif -%}
    {%- endfor -%}

    {%- if existing is none -%}
        {%- call statement('main') -%}
            {{ get_create_table_as_sql(False, target_relation, sql) }}
        {%- endcall -%}
        {%- set written = {'created': load_result('main').response.rows_affected, 'updated': 0, 'deleted': 0} -%}
        {%- call statement('kpi_incremental_indexes') -%}
            create unique index if not exists {{ adapter.quote(this.identifier ~ '_key') }}
                on {{ target_relation }} ({{ keys | join(', ') }}) nulls not distinct;
            create index if not exists {{ adapter.quote(this.identifier ~ '_partition') }}
                on {{ target_relation }} (tenant_id, {{ partition }});
            analyze {{ target_relation }}
        {%- endcall -%}
    {%- elif not full_refresh and not run_query('select exists (select 1 from kpi_dirty)').rows[0][0] -%}
        {%- call statement('main') -%}
            select 'nothing to recompute' where false
        {%- endcall -%}
        {%- set written = {'created': 0, 'updated': 0, 'deleted': 0} -%}
    {%- else -%}
        {%- call statement('kpi_incremental_rows') -%}
            create temporary table kpi_rows on commit drop as (
                {{ sql }}
            );
            analyze kpi_rows
        {%- endcall -%}
        {#- the stored rows the model's rows replace: all of the tenant's on a
            --full-refresh, else those of the partitions recomputed -#}
        {%- set replaced = 'true' if full_refresh and not config.get('keeps_partitions')
            else 'stored.' ~ partition ~ ' in (select kpi_dirty.partition from kpi_dirty)' -%}
        {%- call statement('kpi_incremental_delete') -%}
            delete from {{ target_relation }} as stored
            where stored.tenant_id = {{ tenant_id }}
                and {{ replaced }}
                and not exists (
                    select 1
                    from kpi_rows as fresh
                    -- equalities the planner can hash: the partition and the key as text (null-safe)
                    where fresh.{{ partition }} = stored.{{ partition }}
                        and {{ kpi_key_text('fresh', keys) }} = {{ kpi_key_text('stored', keys) }}
                        and ({% for name in compared %}fresh.{{ name }}{{ ', ' if not loop.last }}{% endfor %})
                        is not distinct from
                        ({% for name in compared %}stored.{{ name }}{{ ', ' if not loop.last }}{% endfor %})
                )
        {%- endcall -%}
        {%- set deleted = load_result('kpi_incremental_delete').response.rows_affected -%}
        {%- call statement('main') -%}
            insert into {{ target_relation }} ({{ columns | join(', ') }})
            select {% for name in columns %}fresh.{{ name }}{{ ', ' if not loop.last }}{% endfor %}
            from kpi_rows as fresh
            where not exists (
                select 1
                from {{ target_relation }} as stored
                where stored.tenant_id = fresh.tenant_id
                    -- only the replaced rows can equal the model's (the planner
                    -- otherwise hashes every stored row of the table)
                    and {{ replaced }}
                    and stored.{{ partition }} = fresh.{{ partition }}
                    and {{ kpi_key_text('stored', keys) }} = {{ kpi_key_text('fresh', keys) }}
                    and ({% for name in compared %}fresh.{{ name }}{{ ', ' if not loop.last }}{% endfor %})
                        is not distinct from
                        ({% for name in compared %}stored.{{ name }}{{ ', ' if not loop.last }}{% endfor %})
            )
        {%- endcall -%}
        {%- set written = {'created': load_result('main').response.rows_affected, 'updated': 0, 'deleted': deleted} -%}
    {%- endif -%}

    {%- call statement('st_sync_log') -%}
        {{ servicetitan_completed_sql(written, full_refresh, reads_everything) }}
        {{ kpi_advance_watermarks() }}
    {%- endcall -%}

    {{ run_hooks(post_hooks, inside_transaction=True) }}
    {%- do adapter.commit() -%}
    {{ run_hooks(post_hooks, inside_transaction=False) }}

    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#- The watermarks of the queues the KPI model read and of the run's date. -#}
{% macro kpi_advance_watermarks() -%}
    {%- set tenant_id = servicetitan_tenant_id() -%}
    insert into {{ servicetitan_state_table('servicetitan_watermarks') }} as watermarks (
        tenant_id, model, raw_table, watermark, updated_at
    )
    select {{ tenant_id }}, '{{ model.name }}', marks.raw_table, marks.watermark, now()
    from (
        select 'run_date' as raw_table, {{ kpi_run_date() }}::timestamp as watermark
        {%- for queue in config.get('meta', {}).get('queues_read', []) %}
        union all
        select
            'queue:{{ queue }}',
            (select max(queued.queued_at)
             from {{ servicetitan_state_table('servicetitan_kpi_queue') }} as queued
             where queued.tenant_id = {{ tenant_id }} and queued.queue = '{{ queue }}')
        {%- endfor %}
    ) as marks
    where {{ tenant_id }} is not null and marks.watermark is not null
    on conflict (tenant_id, model, raw_table) do update set
        watermark = excluded.watermark,
        updated_at = excluded.updated_at;
{%- endmacro %}


{#- The row's key as one text value (a null part included), for a hashable equality. -#}
{% macro kpi_key_text(alias, keys) -%}
    row({% for name in keys %}{{ alias }}.{{ name }}{{ ', ' if not loop.last }}{% endfor %})::text
{%- endmacro %}
