-- Raw invoice items (accounting/export/invoice-items): the amounts, general-ledger accounts and business units the revenue KPIs read.
-- Only the fields the KPI models read (models/kpi); the raw table keeps the rest.
{%- set raw = servicetitan_raw('invoice_items') %}

with

source as (
    select * from {{ raw.relation }}
),

renamed as (
    select
        {{ raw_column(raw, 'tenant_id') }}::bigint as tenant_id,
        source.id as st_id,
        {{ raw_column(raw, 'invoiceId') }}::bigint as invoice_id,
        {{ raw_column(raw, 'total') }}::numeric as total,
        {{ raw_column(raw, 'soldHours') }}::numeric as sold_hours,
        ({{ raw_column(raw, 'generalLedgerAccount') }}::jsonb ->> 'id')::bigint as gl_account_id,
        ({{ raw_column(raw, 'generalLedgerAccount') }}::jsonb ->> 'type') as gl_account_type,
        ({{ raw_column(raw, 'businessUnit') }}::jsonb ->> 'id')::bigint as business_unit_id,
        {{ raw_column(raw, 'active') }}::boolean as is_active,
        source._sdc_batched_at as batched_at
    from source
)

select * from renamed
