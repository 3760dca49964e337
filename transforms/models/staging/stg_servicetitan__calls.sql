-- Raw calls (telecom/export/calls): leads and booked calls by campaign.
-- Only the fields the KPI models read (models/kpi); the raw table keeps the rest.
{%- set raw = servicetitan_raw('calls') %}

with

source as (
    select * from {{ raw.relation }}
),

renamed as (
    select
        {{ raw_column(raw, 'tenant_id') }}::bigint as tenant_id,
        source.id as st_id,
        {{ raw_column(raw, 'direction') }}::text as direction,
        {{ raw_column(raw, 'type') }}::text as call_type,
        {{ raw_column(raw, 'createdOn') }}::timestamptz as st_created_on,
        ({{ raw_column(raw, 'campaign') }}::jsonb ->> 'id')::bigint as campaign_id,
        ({{ raw_column(raw, 'job') }}::jsonb ->> 'id')::bigint as job_id,
        {{ raw_column(raw, 'active') }}::boolean as is_active,
        source._sdc_batched_at as batched_at
    from source
)

select * from renamed
