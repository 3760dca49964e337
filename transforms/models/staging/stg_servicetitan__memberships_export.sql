-- Raw memberships (memberships/export/memberships): type, business unit, status and creation date.
-- Only the fields the KPI models read (models/kpi); the raw table keeps the rest.
{%- set raw = servicetitan_raw('memberships_export') %}

with

source as (
    select * from {{ raw.relation }}
),

renamed as (
    select
        {{ raw_column(raw, 'tenant_id') }}::bigint as tenant_id,
        source.id as st_id,
        {{ raw_column(raw, 'membershipTypeId') }}::bigint as membership_type_id,
        {{ raw_column(raw, 'businessUnitId') }}::bigint as business_unit_id,
        {{ raw_column(raw, 'status') }}::text as status,
        {{ raw_column(raw, 'createdOn') }}::timestamptz as st_created_on,
        {{ raw_column(raw, 'active') }}::boolean as is_active,
        source._sdc_batched_at as batched_at
    from source
)

select * from renamed
