-- Raw marketing costs (marketing/costs): a campaign's daily cost per month.
-- Only the fields the KPI models read (models/kpi); the raw table keeps the rest.
{%- set raw = servicetitan_raw('costs') %}

with

source as (
    select * from {{ raw.relation }}
),

renamed as (
    select
        {{ raw_column(raw, 'tenant_id') }}::bigint as tenant_id,
        source.id as st_id,
        {{ raw_column(raw, 'campaignId') }}::bigint as campaign_id,
        {{ raw_column(raw, 'year') }}::integer as cost_year,
        {{ raw_column(raw, 'month') }}::integer as cost_month,
        {{ raw_column(raw, 'dailyCost') }}::numeric as daily_cost,
        true as is_active,
        source._sdc_batched_at as batched_at
    from source
)

select * from renamed
