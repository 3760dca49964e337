-- Business Unit Performance per local day: revenue (completed, adjustment,
-- non-job), job counts and rates, sales. Rules: docs/kpi-tables.md.
{{ config(
    unique_key=['tenant_id', 'business_unit_id', 'date'],
    partition_by='date',
    meta={'raw_tables': ['invoice_items'], 'queues_read': ['kpi_days']},
    pre_hook="{{ kpi_dirty([kpi_queued('kpi_days')], since_last_run='day') }}",
) }}

with

jobs as (
    select * from {{ ref('int_kpi_jobs') }}
    where tenant_id = {{ servicetitan_tenant_id() }}
        and is_completed
        and {{ kpi_in_dirty('completed_date') }}
        and completed_date <= {{ kpi_run_date() }}
),

-- the active income items on job invoices, of the jobs above; and those on
-- adjustment and non-job invoices, of the days recomputed (two reads, each
-- by its own index, not one of every item of the tenant)
job_items as (
    select * from {{ ref('int_kpi_invoice_items') }}
    where tenant_id = {{ servicetitan_tenant_id() }}
        and is_active
        and is_income
        and invoice_class = 'job'
        {{- kpi_of_jobs('job_id') }}
),

invoice_items as (
    select * from {{ ref('int_kpi_invoice_items') }}
    where tenant_id = {{ servicetitan_tenant_id() }}
        and is_active
        and is_income
        and invoice_class in ('adjustment', 'non_job')
        and {{ kpi_in_dirty('revenue_date') }}
        and revenue_date <= {{ kpi_run_date() }}
),

-- completed revenue: income items on job invoices of completed jobs, by the
-- job's completion date and the item's business unit
job_revenue as (
    select
        jobs.st_id as job_id,
        job_items.business_unit_id,
        sum(job_items.amount) as amount
    from jobs
    inner join job_items
        on job_items.job_id = jobs.st_id
    group by jobs.st_id, job_items.business_unit_id
),

-- each job under every business unit holding one of its income items, else
-- under the job's own
job_units as (
    select job_revenue.job_id, job_revenue.business_unit_id
    from job_revenue
    union all
    select jobs.st_id, jobs.business_unit_id
    from jobs
    where not exists (select 1 from job_revenue where job_revenue.job_id = jobs.st_id)
),

job_measures as (
    select
        job_units.business_unit_id,
        jobs.completed_date as date,
        coalesce(sum(job_revenue.amount), 0) as completed_revenue,
        0::numeric as adjustment_revenue,
        0::numeric as non_job_revenue,
        count(*) as completed_jobs,
        count(*) filter (where jobs.is_opportunity) as opportunities,
        count(*) filter (where jobs.is_converted) as converted_jobs,
        count(*) filter (where jobs.is_closed) as closed_jobs,
        0::numeric as total_sales,
        0 as sold_estimates
    from job_units
    inner join jobs
        on jobs.st_id = job_units.job_id
    left join job_revenue
        on job_revenue.job_id = job_units.job_id
        and job_revenue.business_unit_id is not distinct from job_units.business_unit_id
    group by job_units.business_unit_id, jobs.completed_date
),

-- adjustment and non-job revenue, by invoice date
invoice_measures as (
    select
        invoice_items.business_unit_id,
        invoice_items.revenue_date as date,
        0::numeric as completed_revenue,
        coalesce(sum(invoice_items.amount) filter (
            where invoice_items.invoice_class = 'adjustment'
        ), 0) as adjustment_revenue,
        coalesce(sum(invoice_items.amount) filter (
            where invoice_items.invoice_class = 'non_job'
        ), 0) as non_job_revenue,
        0 as completed_jobs,
        0 as opportunities,
        0 as converted_jobs,
        0 as closed_jobs,
        0::numeric as total_sales,
        0 as sold_estimates
    from invoice_items
    group by invoice_items.business_unit_id, invoice_items.revenue_date
),

-- sales: Sold estimates by local soldOn, under the estimate's business unit, else its job's
sales_measures as (
    select
        estimates.business_unit_id,
        estimates.sold_date as date,
        0::numeric as completed_revenue,
        0::numeric as adjustment_revenue,
        0::numeric as non_job_revenue,
        0 as completed_jobs,
        0 as opportunities,
        0 as converted_jobs,
        0 as closed_jobs,
        sum(estimates.subtotal) as total_sales,
        count(*) as sold_estimates
    from {{ ref('int_kpi_estimates') }} as estimates
    where estimates.tenant_id = {{ servicetitan_tenant_id() }}
        and estimates.is_sold
        and {{ kpi_in_dirty('estimates.sold_date') }}
        and estimates.sold_date <= {{ kpi_run_date() }}
    group by estimates.business_unit_id, estimates.sold_date
),

measures as (
    select * from job_measures
    union all
    select * from invoice_measures
    union all
    select * from sales_measures
),

by_unit as (
    select
        business_unit_id,
        date,
        sum(completed_revenue) as completed_revenue,
        sum(adjustment_revenue) as adjustment_revenue,
        sum(non_job_revenue) as non_job_revenue,
        sum(completed_jobs) as completed_jobs,
        sum(opportunities) as opportunities,
        sum(converted_jobs) as converted_jobs,
        sum(closed_jobs) as closed_jobs,
        sum(total_sales) as total_sales,
        sum(sold_estimates) as sold_estimates
    from measures
    group by business_unit_id, date
),

final as (
    select
        {{ servicetitan_tenant_id() }} as tenant_id,
        business_unit_id,
        date,
        completed_revenue::numeric(14, 2) as completed_revenue,
        adjustment_revenue::numeric(14, 2) as adjustment_revenue,
        non_job_revenue::numeric(14, 2) as non_job_revenue,
        (completed_revenue + adjustment_revenue + non_job_revenue)::numeric(14, 2) as total_revenue,
        completed_jobs::bigint as completed_jobs,
        opportunities::bigint as opportunities,
        converted_jobs::bigint as converted_jobs,
        closed_jobs::bigint as closed_jobs,
        {{ kpi_rate('converted_jobs', 'opportunities') }}::numeric(10, 4) as conversion_rate,
        {{ kpi_rate('closed_jobs', 'opportunities') }}::numeric(10, 4) as close_rate,
        {{ kpi_rate('completed_revenue', 'completed_jobs', 2) }}::numeric(14, 2) as average_ticket,
        total_sales::numeric(14, 2) as total_sales,
        sold_estimates::bigint as sold_estimates,
        now() as last_synced_at
    from by_unit
    -- a row for every key with any non-zero measure
    where completed_revenue <> 0
        or adjustment_revenue <> 0
        or non_job_revenue <> 0
        or completed_jobs <> 0
        or total_sales <> 0
        or sold_estimates <> 0
)

select * from final
