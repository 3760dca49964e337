-- Record reconciliation per run and stream: ServiceTitan's own count of the
-- tenant's records (stream record_counts, counted by the tap before it read
-- any record) beside the warehouse's count of the same records. Rules:
-- docs/reports.md, "Reconciliation"; the counts: tap_servicetitan/reconciliation.py.
{{ config(
    materialized='incremental',
    unique_key=['tenant_id', 'stream', 'checked_at'],
    on_schema_change='fail',
) }}

{%- set counts = reconciliation_raw_relation('record_counts') -%}
{%- set loaded = execute and servicetitan_column_names(counts) -%}
{%- set streams = [] -%}
{%- if loaded -%}
    {%- set found = run_query('select distinct stream from ' ~ counts ~ ' order by 1') -%}
    {%- set streams = found.columns[0].values() | list -%}
{%- endif %}

with

{% if loaded %}
checks as (
    select
        record_counts.tenant_id::bigint as tenant_id,
        record_counts.stream::text as stream,
        (record_counts.checked_at at time zone 'UTC') as checked_at,
        (record_counts.counted_before at time zone 'UTC') as counted_before,
        (record_counts.modified_since at time zone 'UTC') as modified_since,
        coalesce(record_counts.active_only, false) as active_only,
        record_counts.count_endpoint::text as count_endpoint,
        record_counts.api_total::bigint as api_total,
        record_counts.note::text as note
    from {{ counts }} as record_counts
    {% if is_incremental() %}
    -- only checks not reconciled yet: a past check keeps the counts of its time
    where (record_counts.checked_at at time zone 'UTC') > coalesce(
        (
            select max(reconciled.checked_at)
            from {{ this }} as reconciled
            where reconciled.tenant_id = record_counts.tenant_id
        ),
        '-infinity'::timestamptz
    )
    {% endif %}
),
{% else %}
-- the record_counts stream was never loaded: no checks
checks as (
    select
        null::bigint as tenant_id,
        null::text as stream,
        null::timestamptz as checked_at,
        null::timestamptz as counted_before,
        null::timestamptz as modified_since,
        false as active_only,
        null::text as count_endpoint,
        null::bigint as api_total,
        null::text as note
    where false
),
{% endif %}

warehouse_counts as (
    {%- for stream in streams %}
    {{ reconciliation_warehouse_count(stream, 'checks') }}
    {{ 'union all' if not loop.last }}
    {%- else %}
    select null::bigint as tenant_id, null::text as stream, null::timestamptz as checked_at,
        null::bigint as warehouse_total
    where false
    {%- endfor %}
),

compared as (
    select
        checks.tenant_id,
        checks.stream,
        checks.checked_at,
        checks.counted_before,
        checks.count_endpoint,
        checks.api_total,
        warehouse_counts.warehouse_total,
        checks.api_total - warehouse_counts.warehouse_total as difference,
        checks.note
    from checks
    left join warehouse_counts
        on warehouse_counts.tenant_id = checks.tenant_id
        and warehouse_counts.stream = checks.stream
        and warehouse_counts.checked_at = checks.checked_at
),

final as (
    select
        tenant_id,
        stream,
        checked_at,
        counted_before,
        count_endpoint,
        api_total,
        warehouse_total,
        difference,
        case
            when api_total is null then 'not_counted'
            when difference > 0 then 'missing'
            when difference < 0 then 'extra'
            else 'ok'
        end::text as status,
        case
            when api_total is null then stream || ': not counted (' || coalesce(note, 'no count') || ')'
            when difference > 0 then stream || ': ' || difference || ' record'
                || case when difference = 1 then '' else 's' end
                || ' missing from the warehouse (ServiceTitan counts ' || api_total
                || ', the warehouse holds ' || warehouse_total || ')'
            when difference < 0 then stream || ': the warehouse holds ' || -difference
                || ' more than ServiceTitan counts (' || warehouse_total || ' vs ' || api_total
                || '): records removed from ServiceTitan, or created during the run with an earlier createdOn'
            else stream || ': ' || api_total || ' records, all in the warehouse'
        end::text as message,
        now() as last_synced_at
    from compared
)

select * from final
