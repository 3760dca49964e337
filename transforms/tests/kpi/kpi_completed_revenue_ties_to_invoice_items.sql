-- Tie-out: per tenant, the business units' completed revenue equals the sum of
-- income items (active, GL account type Income) on active job invoices
-- (adjustments aside) of completed jobs up to the run's date, computed here
-- from the st_* tables and the raw items, not from the KPI facts.
with

completed_jobs as (
    select tenant_id, st_id
    from {{ ref('st_jobs') }}
    where coalesce(active, true)
        and job_status = 'Completed'
        and completed_on is not null
        and {{ local_date('completed_on') }} <= {{ kpi_run_date() }}
),

job_invoices as (
    select invoices.tenant_id, invoices.st_id
    from {{ ref('st_invoices') }} as invoices
    inner join completed_jobs
        on completed_jobs.tenant_id = invoices.tenant_id
        and completed_jobs.st_id = invoices.job_id
    where coalesce(invoices.active, true)
        and invoices.adjustment_to_id is null
),

income_items as (
    select items.tenant_id, sum(items.total) as amount
    from {{ ref('stg_servicetitan__invoice_items') }} as items
    inner join job_invoices
        on job_invoices.tenant_id = items.tenant_id
        and job_invoices.st_id = items.invoice_id
    left join {{ ref('stg_servicetitan__gl_accounts') }} as accounts
        on accounts.st_id = items.gl_account_id
    where coalesce(items.is_active, true)
        and items.gl_account_id is not null
        and lower(trim(coalesce(nullif(trim(items.gl_account_type), ''), accounts.account_type))) = 'income'
    group by items.tenant_id
),

business_units as (
    select tenant_id, sum(completed_revenue) as amount
    from {{ ref('kpi_business_unit_daily') }}
    where tenant_id = {{ servicetitan_tenant_id() }}
    group by tenant_id
)

select
    income_items.tenant_id,
    income_items.amount as income_items_revenue,
    business_units.amount as business_units_revenue
from income_items
full outer join business_units
    on business_units.tenant_id = income_items.tenant_id
where coalesce(income_items.amount, 0) <> coalesce(business_units.amount, 0)
