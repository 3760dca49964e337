-- The raw customer contacts (e-mail addresses, phones, fax): renamed and cast once.
{%- set raw = servicetitan_raw('customer_contacts') %}

with

source as (
    select * from {{ raw.relation }}
),

renamed as (
    select
        {{ raw_column(raw, 'tenant_id') }}::bigint as tenant_id,
        source.id as st_id,
        {{ raw_column(raw, 'customerId') }}::bigint as customer_id,
        {{ raw_column(raw, 'type') }}::text as type,
        {{ raw_column(raw, 'value') }}::text as value,
        {{ raw_column(raw, 'memo') }}::text as memo,
        {{ raw_column(raw, 'active') }}::boolean as is_active,
        {{ raw_column(raw, 'createdOn') }}::timestamptz as st_created_on,
        {{ raw_column(raw, 'modifiedOn') }}::timestamptz as st_modified_on,
        to_jsonb(source_record) as full_data,
        source._sdc_batched_at as batched_at
    from source
    cross join lateral ({{ raw_record(raw) }}) as source_record
)

select * from renamed
