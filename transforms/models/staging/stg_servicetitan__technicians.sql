-- The raw technicians: renamed and cast once.
{%- set raw = servicetitan_raw('technicians') %}

with

source as (
    select * from {{ raw.relation }}
),

renamed as (
    select
        {{ raw_column(raw, 'tenant_id') }}::bigint as tenant_id,
        source.id as st_id,
        {{ raw_column(raw, 'userId') }}::bigint as user_id,
        {{ raw_column(raw, 'name') }}::text as name,
        {{ raw_column(raw, 'firstName') }}::text as first_name,
        {{ raw_column(raw, 'lastName') }}::text as last_name,
        {{ raw_column(raw, 'email') }}::text as email,
        {{ raw_column(raw, 'phoneNumber') }}::text as phone_number,
        {{ raw_column(raw, 'mobilePhone') }}::text as mobile_phone,
        {{ raw_column(raw, 'loginName') }}::text as login_name,
        {{ raw_column(raw, 'businessUnitId') }}::bigint as business_unit_id,
        {{ raw_column(raw, 'mainZoneId') }}::bigint as main_zone_id,
        {{ raw_column(raw, 'team') }}::text as team,
        {{ raw_column(raw, 'status') }}::text as status,
        {{ raw_column(raw, 'isManagedTech') }}::boolean as is_managed_tech,
        {{ raw_column(raw, 'active') }}::boolean as is_active,
        {{ raw_column(raw, 'createdOn') }}::timestamptz as st_created_on,
        {{ raw_column(raw, 'modifiedOn') }}::timestamptz as st_modified_on,
        to_jsonb(source_record) as full_data,
        source._sdc_batched_at as batched_at
    from source
    cross join lateral ({{ raw_record(raw) }}) as source_record
)

select * from renamed
