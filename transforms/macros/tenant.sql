{#-
  The tenant travels with the data: tap-servicetitan writes `tenant_id` into
  every record, so every raw row says which tenant it came from and the
  staging models read `tenant_id` from the rows. There is no tenant setting.

  One raw schema holds one tenant (each tenant's loader writes its own schema;
  docs/many-tenants.md). At the start of every invocation,
  servicetitan_raw_schema_tenant() reads which tenant the raw schema holds and
  on-run-start records it in servicetitan_raw_tenants, beside the st_* tables;
  servicetitan_tenant_id() is that tenant, the key of this run's state
  (watermarks, run window, queued customers, st_sync_log).
-#}

{#-
  This invocation's tenant (the raw schema's) as a SQL expression: a scalar
  subquery on servicetitan_raw_tenants, null while no raw row exists (the
  models then build empty tables and log nothing). An expression, not a value
  looked up while rendering, so using it costs no query of its own.
-#}
{% macro servicetitan_tenant_id() -%}
    {%- if not execute -%}
        {{ return('null::bigint') }}
    {%- endif -%}
    {{ return(
        "(select raw_tenants.tenant_id from "
        ~ servicetitan_state_table('servicetitan_raw_tenants') ~ " as raw_tenants"
        ~ " where raw_tenants.raw_schema = "
        ~ servicetitan_quote(source('servicetitan', 'customers').schema) ~ ")"
    ) }}
{%- endmacro %}


{#- The tenant on-run-start recorded for the raw schema (a SQL literal), none if none. -#}
{% macro servicetitan_recorded_tenant_id() -%}
    {%- set found = run_query(
        "select tenant_id from " ~ servicetitan_state_table('servicetitan_raw_tenants')
        ~ " where raw_schema = " ~ servicetitan_quote(source('servicetitan', 'customers').schema)
    ) -%}
    {{ return((found.rows[0][0] | int) ~ '::bigint' if found.rows else none) }}
{%- endmacro %}


{#-
  The tenant the raw tables `present` (names) of raw_schema hold, as an
  integer, none when no row carries one. Fails when they hold several
  tenants. Rows loaded before the tap wrote tenant ids (tenant_id null, or no
  such column) are adopted by the tenant of the others, when there is one.
  After a first run only the rows batched since the previous run are read (a
  whole scan of every raw table took a quarter of a second at 100k customers).
-#}
{% macro servicetitan_raw_schema_tenant(raw_schema, present) %}
    {%- set checked = servicetitan_tenant_checked_until(raw_schema) -%}
    {%- set tagged = servicetitan_present_raw_tables(raw_schema, with_column='tenant_id') -%}
    {%- set reads = [] -%}
    {%- for table_name in present -%}
        {%- set relation = servicetitan_raw_relation(raw_schema, table_name) -%}
        {%- if table_name in tagged and table_name in checked -%}
            {#- the rows up to the previous run's window were checked by that run
                (one tenant, now tagged): one of them stands for all; the rows
                batched since, found by the _sdc_batched_at index, are read -#}
            {%- set until = "'" ~ checked[table_name] ~ "'::timestamp" -%}
            {%- do reads.append(
                "(select distinct '" ~ table_name ~ "' as raw_table, tenant_id from " ~ relation
                ~ " where _sdc_batched_at > " ~ until ~ " or _sdc_batched_at is null)"
            ) -%}
            {%- do reads.append(
                "(select '" ~ table_name ~ "', tenant_id from " ~ relation
                ~ " where _sdc_batched_at <= " ~ until ~ " limit 1)"
            ) -%}
        {%- elif table_name in tagged -%}
            {%- do reads.append(
                "(select distinct '" ~ table_name ~ "' as raw_table, tenant_id from " ~ relation ~ ")"
            ) -%}
        {%- else -%}
            {%- do reads.append(
                "(select '" ~ table_name ~ "', null::bigint where exists (select 1 from "
                ~ relation ~ "))"
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not reads -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query(reads | join(' union all ')) -%}
    {%- set tenants = [] -%}
    {%- set untagged = [] -%}
    {%- for table_name, tenant_id in found.rows -%}
        {%- if tenant_id is none -%}
            {%- do untagged.append(table_name) -%}
        {%- elif (tenant_id | int) not in tenants -%}
            {%- do tenants.append(tenant_id | int) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if tenants | length > 1 -%}
        {{ exceptions.raise_compiler_error(
            "raw schema " ~ raw_schema ~ " holds rows of several tenants ("
            ~ tenants | sort | join(', ') ~ "): give each tenant its own raw schema "
            ~ "(the loader's default_target_schema) and run the transforms once per schema"
        ) }}
    {%- endif -%}
    {%- if untagged and not tenants -%}
        {{ exceptions.raise_compiler_error(
            "the raw rows in " ~ raw_schema ~ "." ~ untagged | join(', ') ~ " carry no tenant_id "
            ~ "(loaded before the tap wrote tenant ids): run once "
            ~ "meltano invoke dbt-postgres:adopt-tenant --args '{tenant_id: <tenant id>}'"
        ) }}
    {%- endif -%}
    {%- if untagged -%}
        {%- do exceptions.warn(
            "raw rows without tenant_id in " ~ raw_schema ~ "." ~ untagged | join(', ')
            ~ " (loaded before the tap wrote tenant ids) now belong to tenant " ~ tenants[0]
        ) -%}
        {%- do run_query(servicetitan_adopt_tenant_sql(raw_schema, untagged, tenants[0])) -%}
    {%- endif -%}
    {{ return(tenants[0] if tenants else none) }}
{% endmacro %}


{#-
  Per raw table of raw_schema, the end of the previous run's window (text):
  the newest _sdc_batched_at whose rows that run checked for their tenant.
  Empty before the first run.
-#}
{% macro servicetitan_tenant_checked_until(raw_schema) %}
    {%- set raw_tenants = servicetitan_state_table('servicetitan_raw_tenants') -%}
    {%- set run_window = servicetitan_state_table('servicetitan_run_window') -%}
    {%- set state_exists = run_query(
        "select to_regclass(" ~ servicetitan_quote(raw_tenants.include(database=false) | string)
        ~ ") is not null and to_regclass("
        ~ servicetitan_quote(run_window.include(database=false) | string) ~ ") is not null"
    ).rows[0][0] -%}
    {%- if not state_exists -%}
        {{ return({}) }}
    {%- endif -%}
    {%- set found = run_query(
        "select run_window.raw_table, to_char(run_window.until, 'YYYY-MM-DD HH24:MI:SS.US')"
        ~ " from " ~ raw_tenants ~ " as raw_tenants"
        ~ " inner join " ~ run_window ~ " as run_window"
        ~ "   on run_window.tenant_id = raw_tenants.tenant_id"
        ~ " where raw_tenants.raw_schema = " ~ servicetitan_quote(raw_schema)
        ~ " and run_window.until is not null"
    ) -%}
    {%- set checked = {} -%}
    {%- for table_name, until in found.rows -%}
        {%- do checked.update({table_name: until}) -%}
    {%- endfor -%}
    {{ return(checked) }}
{% endmacro %}


{#- Give the rows of raw tables without a tenant_id the tenant `tenant_id`. -#}
{% macro servicetitan_adopt_tenant_sql(raw_schema, table_names, tenant_id) -%}
    {%- for table_name in table_names -%}
    {%- set relation = servicetitan_raw_relation(raw_schema, table_name) %}
    alter table {{ relation }} add column if not exists tenant_id bigint;
    update {{ relation }} set tenant_id = {{ tenant_id | int }} where tenant_id is null;
    {%- endfor %}
    commit;
{%- endmacro %}


{#-
  run-operation adopt-tenant: migrate a raw schema loaded before the tap
  wrote tenant ids, without a re-sync. Every raw row without a tenant_id gets
  `tenant_id`; a schema that holds another tenant's rows is refused.
    meltano invoke dbt-postgres:adopt-tenant --args '{tenant_id: 1234567}'
-#}
{% macro servicetitan_adopt_tenant(tenant_id=none) %}
    {%- set value = (tenant_id if tenant_id is not none else '') | string | trim -%}
    {%- if not value.isdigit() or value | int == 0 or value | length > 18 -%}
        {{ exceptions.raise_compiler_error(
            "adopt-tenant needs the tenant id of the raw rows, a positive integer: "
            ~ "--args '{tenant_id: 1234567}' (got '" ~ value ~ "')"
        ) }}
    {%- endif -%}
    {%- set raw_schema = source('servicetitan', 'customers').schema -%}
    {%- set present = servicetitan_present_raw_tables(raw_schema) -%}
    {%- set others = [] -%}
    {%- for found in run_query(servicetitan_tagged_tenants_sql(raw_schema, present)).columns[0].values()
        if found is not none and found | int != value | int -%}
        {%- do others.append(found | int) -%}
    {%- endfor -%}
    {%- if others -%}
        {{ exceptions.raise_compiler_error(
            "raw schema " ~ raw_schema ~ " already holds rows of tenant " ~ others | join(', ')
            ~ ": adopt-tenant only tags the rows of a single-tenant raw schema"
        ) }}
    {%- endif -%}
    {%- do run_query(servicetitan_adopt_tenant_sql(raw_schema, present, value | int)) -%}
    {{ log("raw rows of " ~ raw_schema ~ "." ~ present | join(', ') ~ " without a tenant_id "
        ~ "now belong to tenant " ~ value, info=true) }}
{% endmacro %}


{#-
  The raw tables of servicetitan_raw_tables() that exist in raw_schema (with
  the column `with_column`, when given).
-#}
{% macro servicetitan_present_raw_tables(raw_schema, with_column=none) %}
    {%- set found = run_query(
        "select cls.relname::text from pg_catalog.pg_class as cls"
        ~ " inner join pg_catalog.pg_namespace as nsp on nsp.oid = cls.relnamespace"
        ~ " where nsp.nspname = " ~ servicetitan_quote(raw_schema)
        ~ " and cls.relkind in ('r', 'p')"
        ~ " and cls.relname in ('" ~ servicetitan_raw_tables() | join("', '") ~ "')"
        ~ (
            " and exists (select 1 from pg_catalog.pg_attribute as att"
            ~ " where att.attrelid = cls.oid and not att.attisdropped"
            ~ " and att.attname = " ~ servicetitan_quote(with_column) ~ ")"
            if with_column else ""
        )
    ) -%}
    {{ return(found.columns[0].values() | list) }}
{% endmacro %}


{#- The distinct tenant ids of the raw tables that have the column. -#}
{% macro servicetitan_tagged_tenants_sql(raw_schema, present) -%}
    {%- set reads = [] -%}
    {%- for table_name in present -%}
        {%- set relation = servicetitan_raw_relation(raw_schema, table_name) -%}
        {%- if 'tenant_id' in servicetitan_column_names(relation) -%}
            {%- do reads.append("select tenant_id from " ~ relation) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return((reads | join(' union ')) if reads else "select null::bigint where false") }}
{%- endmacro %}


{% macro servicetitan_raw_relation(raw_schema, table_name) -%}
    {{ return(api.Relation.create(database=target.database, schema=raw_schema, identifier=table_name)) }}
{%- endmacro %}
