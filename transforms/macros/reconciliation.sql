{#-
  Record reconciliation (docs/reports.md, "Reconciliation"): the raw tables the tap's
  record_counts stream counted, read by st_reconciliation and its test.
-#}

{#- A raw table of the tap's schema (the source servicetitan's) by name, declared or not. -#}
{% macro reconciliation_raw_relation(table_name) %}
    {{ return(api.Relation.create(
        database=target.database,
        schema=source('servicetitan', 'customers').schema,
        identifier=table_name,
    )) }}
{% endmacro %}


{#-
  The warehouse's count of one stream's records for each new check: the same
  records the API counted (tenant, created before counted_before, active only
  where the endpoint shows no deleted records, modified since start_date).
  A stream never loaded counts 0.
-#}
{% macro reconciliation_warehouse_count(stream, checks) %}
    {%- set raw = reconciliation_raw_relation(stream) -%}
    {%- set columns = servicetitan_column_names(raw) -%}
    select
        checks.tenant_id,
        checks.stream,
        checks.checked_at,
    {%- if not columns %}
        0::bigint as warehouse_total
    {%- else %}
        (
            select count(*)
            from {{ raw }} as raw
            where raw.tenant_id = checks.tenant_id
            {%- if 'createdOn' in columns %}
                and (checks.counted_before is null
                    or raw."createdOn" < checks.counted_before at time zone 'UTC')
            {%- endif %}
            {%- if 'active' in columns %}
                -- active-only endpoints: rows active now, or changed since the count
                -- (a record deactivated during the run was active when counted)
                and (not checks.active_only or raw.active is not false
                {%- if 'modifiedOn' in columns %}
                    or raw."modifiedOn" >= checks.counted_before at time zone 'UTC'
                {%- endif %})
            {%- endif %}
            {%- if 'modifiedOn' in columns %}
                and (checks.modified_since is null
                    or raw."modifiedOn" >= checks.modified_since at time zone 'UTC')
            {%- endif %}
        )::bigint as warehouse_total
    {%- endif %}
    from {{ checks }} as checks
    where checks.stream = {{ servicetitan_quote(stream) }}
{% endmacro %}


{#-
  The raw table of the Business Unit Performance report among the report
  streams (custom_report_<report_name>): the dbt var bu_performance_report when
  set, else the first custom_report_* table holding every column of
  BU_PERFORMANCE_COLUMNS; none when no such report is synced.
-#}
{% macro bu_performance_report() %}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set named = var('bu_performance_report', none) -%}
    {%- set wanted = ['BusinessUnitId', 'CompletedRevenue', 'CompletedJobs', 'Opportunities',
        'ConvertedJobs', var('bu_performance_date_parameter', 'From'), '_fetched_at'] -%}
    {%- set schema = source('servicetitan', 'customers').schema -%}
    {%- set found = run_query(
        "select table_name::text from information_schema.columns"
        ~ " where table_schema = " ~ servicetitan_quote(schema)
        ~ (" and table_name = " ~ servicetitan_quote(named) if named
            else " and table_name like 'custom\\_report\\_%'")
        ~ " and column_name in ('" ~ wanted | join("', '") ~ "')"
        ~ " group by table_name having count(*) = " ~ wanted | length
        ~ " order by table_name limit 1"
    ) -%}
    {%- set tables = found.columns[0].values() | list -%}
    {{ return(reconciliation_raw_relation(tables[0]) if tables else none) }}
{% endmacro %}
