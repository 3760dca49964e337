-- One row per invoice item: whether it is revenue (the KPI rules, income
-- item), of which invoice class, under which business unit, on which date.
-- Queues the dates and jobs an item counted for before and after a change.
{{ config(
    materialized='st_incremental',
    meta={
        'raw_tables': ['invoice_items', 'invoices', 'gl_accounts'],
        'queues': [
            {'queue': 'kpi_days', 'column': 'revenue_date'},
            {'queue': 'kpi_jobs', 'column': 'job_id', 'kind': 'id'},
        ],
    },
    indexes=[
        {'columns': ['tenant_id', 'job_id']},
        {'columns': ['tenant_id', 'invoice_id']},
        {'columns': ['tenant_id', 'gl_account_id']},
        {'columns': ['tenant_id', 'revenue_date']},
    ],
) }}

with

changed_items as (
    {{ kpi_changed('invoice_items') }}
    {%- if not servicetitan_reads_everything() %}
    -- the items of invoices and accounts that changed
    union
    select items.st_id
    from {{ this }} as items
    where items.tenant_id = {{ servicetitan_tenant_id() }}
        and items.invoice_id in ({{ kpi_changed('invoices') }})
    union
    select items.st_id
    from {{ this }} as items
    where items.tenant_id = {{ servicetitan_tenant_id() }}
        and items.gl_account_id in ({{ kpi_changed('gl_accounts') }})
    {%- endif %}
),

invoice_items as (
    select * from {{ ref('stg_servicetitan__invoice_items') }}
    where {{ kpi_in_changed('st_id', 'changed_items') }}
),

invoices as (
    select * from {{ ref('st_invoices') }}
    where tenant_id = {{ servicetitan_tenant_id() }}
),

gl_accounts as (
    select * from {{ ref('stg_servicetitan__gl_accounts') }}
),

final as (
    select
        invoice_items.tenant_id,
        invoice_items.st_id,
        invoice_items.invoice_id,
        invoices.job_id,
        -- invoice classes: adjustment, job invoice, non-job (not an AR import)
        case
            when invoices.st_id is null then null
            when invoices.adjustment_to_id is not null then 'adjustment'
            when invoices.job_id is not null then 'job'
            when invoices.invoice_configuration is distinct from 'ARImportInvoice' then 'non_job'
        end as invoice_class,
        -- the item's business unit, else its invoice's
        coalesce(invoice_items.business_unit_id, invoices.business_unit_id) as business_unit_id,
        invoice_items.gl_account_id,
        -- income item: the account type Income, trimmed, any case; the
        -- item's own type, else gl_accounts' by id; no account: not income
        coalesce(
            invoice_items.gl_account_id is not null
            and lower(trim(coalesce(
                nullif(trim(invoice_items.gl_account_type), ''), gl_accounts.account_type
            ))) = 'income',
            false
        ) as is_income,
        coalesce(invoice_items.total, 0)::numeric(14, 2) as amount,
        coalesce(invoice_items.sold_hours, 0)::numeric(12, 2) as sold_hours,
        coalesce(invoice_items.is_active, true) and coalesce(invoices.active, true) as is_active,
        -- adjustment and non-job revenue count on the invoice date as sent;
        -- job revenue on its job's completion date (int_kpi_jobs)
        case
            when invoices.adjustment_to_id is not null or invoices.job_id is null
                then invoices.invoice_date::date
        end as revenue_date,
        now() as last_synced_at
    from invoice_items
    left join invoices
        on invoices.st_id = invoice_items.invoice_id
    left join gl_accounts
        on gl_accounts.st_id = invoice_items.gl_account_id
)

select * from final
