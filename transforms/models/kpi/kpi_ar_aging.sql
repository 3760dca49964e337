-- Accounts receivable aging: one snapshot per local date a run happens (a
-- later run the same day replaces it; earlier days are kept). Rules:
-- docs/kpi-tables.md.
{%- set run_date = kpi_run_date() %}
{{ config(
    unique_key=['tenant_id', 'snapshot_date', 'invoice_id'],
    partition_by='snapshot_date',
    keeps_partitions=true,
    meta={'raw_tables': ['invoices']},
    pre_hook="{{ kpi_ar_aging_dirty() }}",
) }}

with

-- active invoices with a balance, not pending (null syncStatus is not pending)
open_invoices as (
    select * from {{ ref('st_invoices') }}
    where tenant_id = {{ servicetitan_tenant_id() }}
        and coalesce(active, true)
        -- a balance other than 0 (not null), as two ranges of st_invoices'
        -- index on balance
        and (balance > 0 or balance < 0)
        and sync_status is distinct from 'Pending'
),

aged as (
    select
        tenant_id,
        st_id as invoice_id,
        customer_id,
        business_unit_id,
        invoice_date::date as invoice_date,
        due_date::date as due_date,
        balance,
        {{ run_date }} - due_date::date as days_past_due
    from open_invoices
),

final as (
    select
        tenant_id,
        {{ run_date }} as snapshot_date,
        invoice_id,
        customer_id,
        business_unit_id,
        invoice_date,
        due_date,
        balance::numeric(14, 2) as balance,
        days_past_due::integer as days_past_due,
        case
            when due_date is null then 'no_terms'
            when days_past_due <= 0 then 'current'
            when days_past_due <= 30 then '1-30'
            when days_past_due <= 60 then '31-60'
            when days_past_due <= 90 then '61-90'
            when days_past_due <= 120 then '91-120'
            else 'over_120'
        end as bucket,
        now() as last_synced_at
    from aged
)

select * from final
