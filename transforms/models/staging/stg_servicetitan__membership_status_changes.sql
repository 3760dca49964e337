-- Raw membership status changes (memberships/export/membership-status-changes).
-- Only the fields the KPI models read (models/kpi); the raw table keeps the rest.
{%- set raw = servicetitan_raw('membership_status_changes') %}

with

source as (
    select * from {{ raw.relation }}
),

renamed as (
    select
        {{ raw_column(raw, 'tenant_id') }}::bigint as tenant_id,
        source.id as st_id,
        {{ raw_column(raw, 'membershipId') }}::bigint as membership_id,
        {{ raw_column(raw, 'oldStatus') }}::text as old_status,
        {{ raw_column(raw, 'newStatus') }}::text as new_status,
        {{ raw_column(raw, 'createdOn') }}::timestamptz as st_created_on,
        true as is_active,
        source._sdc_batched_at as batched_at
    from source
)

select * from renamed
