-- st_invoices: one row per invoice, with status Paid / Unpaid.
-- Feeds lifetime_value of st_customers. Indexed by customer, job, and balance
-- (kpi_ar_aging reads the open invoices, a few percent of them, by it).
{{ config(
    meta={
        'raw_tables': ['invoices'],
        'customer_column': 'customer_id',
        'queues': [{'queue': 'kpi_jobs', 'column': 'job_id', 'kind': 'id'}],
    },
    indexes=[
        {'columns': ['tenant_id', 'customer_id']},
        {'columns': ['tenant_id', 'job_id']},
        {'columns': ['tenant_id', 'balance']},
    ],
) }}

with

invoices as (
    select * from {{ ref('stg_servicetitan__invoices') }}
    where {{ changed_rows('invoices') }}
),

final as (
    select
        invoices.tenant_id,
        invoices.st_id,
        -- the invoice belongs to a customer by its customer.id
        invoices.customer_id,
        invoices.customer_name,
        invoices.job_id,
        invoices.job_number,
        invoices.job_type,
        invoices.location_id,
        invoices.project_id,
        invoices.business_unit_id,
        invoices.reference_number,
        invoices.invoice_type,
        invoices.invoice_configuration,
        invoices.adjustment_to_id,
        invoices.invoice_date,
        invoices.due_date,
        invoices.paid_on,
        invoices.sub_total,
        invoices.sales_tax,
        invoices.discount_total,
        invoices.total,
        invoices.balance::numeric(14, 2) as balance,
        -- paid invoice: active, balance = 0 ("0" and "0.00" alike) and a
        -- customer.id to belong to; st_invoices.status Paid, else Unpaid
        case
            when invoices.is_active
                and invoices.balance = 0
                and invoices.customer_id is not null
                then 'Paid'
            else 'Unpaid'
        end as status,
        invoices.sent_status,
        invoices.review_status,
        invoices.sync_status,
        invoices.is_active as active,
        invoices.st_created_on,
        invoices.st_modified_on,
        invoices.full_data,
        now() as last_synced_at
    from invoices
)

select * from final
