-- Raw general-ledger accounts (accounting/gl-accounts): their type decides which invoice items are income.
-- Only the fields the KPI models read (models/kpi); the raw table keeps the rest.
{%- set raw = servicetitan_raw('gl_accounts') %}

with

source as (
    select * from {{ raw.relation }}
),

renamed as (
    select
        {{ raw_column(raw, 'tenant_id') }}::bigint as tenant_id,
        source.id as st_id,
        {{ raw_column(raw, 'type') }}::text as account_type,
        {{ raw_column(raw, 'active') }}::boolean as is_active,
        source._sdc_batched_at as batched_at
    from source
)

select * from renamed
