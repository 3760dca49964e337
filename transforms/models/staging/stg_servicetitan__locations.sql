-- The raw locations (service addresses): renamed and cast once.
{%- set raw = servicetitan_raw('locations') %}

with

source as (
    select * from {{ raw.relation }}
),

renamed as (
    select
        {{ raw_column(raw, 'tenant_id') }}::bigint as tenant_id,
        source.id as st_id,
        {{ raw_column(raw, 'customerId') }}::bigint as customer_id,
        {{ raw_column(raw, 'name') }}::text as name,
        {{ raw_column(raw, 'address') }}::jsonb ->> 'street' as address_street,
        {{ raw_column(raw, 'address') }}::jsonb ->> 'unit' as address_unit,
        {{ raw_column(raw, 'address') }}::jsonb ->> 'city' as address_city,
        {{ raw_column(raw, 'address') }}::jsonb ->> 'state' as address_state,
        {{ raw_column(raw, 'address') }}::jsonb ->> 'zip' as address_zip,
        {{ raw_column(raw, 'address') }}::jsonb ->> 'country' as address_country,
        ({{ raw_column(raw, 'address') }}::jsonb ->> 'latitude')::numeric as latitude,
        ({{ raw_column(raw, 'address') }}::jsonb ->> 'longitude')::numeric as longitude,
        {{ raw_column(raw, 'zoneId') }}::bigint as zone_id,
        {{ raw_column(raw, 'taxZoneId') }}::bigint as tax_zone_id,
        {{ raw_column(raw, 'taxExempt') }}::boolean as tax_exempt,
        {{ raw_column(raw, 'mergedToId') }}::bigint as merged_to_id,
        {{ raw_column(raw, 'active') }}::boolean as is_active,
        {{ raw_column(raw, 'createdOn') }}::timestamptz as st_created_on,
        {{ raw_column(raw, 'modifiedOn') }}::timestamptz as st_modified_on,
        to_jsonb(source_record) as full_data,
        source._sdc_batched_at as batched_at
    from source
    cross join lateral ({{ raw_record(raw) }}) as source_record
)

select * from renamed
