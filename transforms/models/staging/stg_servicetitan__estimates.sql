-- The raw estimates: renamed and cast once.
{%- set raw = servicetitan_raw('estimates') %}

with

source as (
    select * from {{ raw.relation }}
),

renamed as (
    select
        {{ raw_column(raw, 'tenant_id') }}::bigint as tenant_id,
        source.id as st_id,
        {{ raw_column(raw, 'jobId') }}::bigint as job_id,
        {{ raw_column(raw, 'projectId') }}::bigint as project_id,
        {{ raw_column(raw, 'locationId') }}::bigint as location_id,
        {{ raw_column(raw, 'customerId') }}::bigint as customer_id,
        {{ raw_column(raw, 'name') }}::text as name,
        {{ raw_column(raw, 'jobNumber') }}::text as job_number,
        {{ raw_column(raw, 'status') }}::jsonb ->> 'name' as status,
        ({{ raw_column(raw, 'status') }}::jsonb ->> 'value')::bigint as status_value,
        {{ raw_column(raw, 'reviewStatus') }}::text as review_status,
        {{ raw_column(raw, 'summary') }}::text as summary,
        {{ raw_column(raw, 'soldOn') }}::timestamptz as sold_on,
        {{ raw_column(raw, 'soldBy') }}::bigint as sold_by,
        {{ raw_column(raw, 'subtotal') }}::numeric(14, 2) as subtotal,
        {{ raw_column(raw, 'tax') }}::numeric(14, 2) as tax,
        {{ raw_column(raw, 'businessUnitId') }}::bigint as business_unit_id,
        {{ raw_column(raw, 'isRecommended') }}::boolean as is_recommended,
        {{ raw_column(raw, 'isChangeOrder') }}::boolean as is_change_order,
        {{ raw_column(raw, 'active') }}::boolean as is_active,
        {{ raw_column(raw, 'createdOn') }}::timestamptz as st_created_on,
        {{ raw_column(raw, 'modifiedOn') }}::timestamptz as st_modified_on,
        to_jsonb(source_record) as full_data,
        source._sdc_batched_at as batched_at
    from source
    cross join lateral ({{ raw_record(raw) }}) as source_record
)

select * from renamed
