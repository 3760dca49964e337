-- One row per job: whether it is a completed job, an opportunity, converted
-- or closed (the KPI rules, completed job), its local completion date, and its
-- completed revenue and sold hours. Recomputed when the job, its job type, its
-- invoices, invoice items, estimates, splits or assignments change; queues its
-- completion date before and after.
{{ config(
    materialized='st_incremental',
    meta={
        'raw_tables': ['jobs', 'job_types', 'job_splits', 'appointment_assignments'],
        'queues_read': ['kpi_jobs'],
        'queues': [{'queue': 'kpi_days', 'column': 'completed_date'}],
    },
    indexes=[
        {'columns': ['tenant_id', 'completed_date']},
        {'columns': ['tenant_id', 'job_type_id']},
    ],
) }}

with

changed_jobs as (
    {{ kpi_changed('jobs') }}
    {%- if not servicetitan_reads_everything() %}
    union
    {{ kpi_changed('job_splits', 'source."jobId"') }}
    union
    {{ kpi_changed('appointment_assignments', 'source."jobId"') }}
    -- jobs whose invoices, invoice items or estimates changed
    union
    {{ kpi_queued('kpi_jobs', kind='id') }}
    union
    select jobs.st_id
    from {{ this }} as jobs
    where jobs.tenant_id = {{ servicetitan_tenant_id() }}
        and jobs.job_type_id in ({{ kpi_changed('job_types') }})
    {%- endif %}
),

jobs as (
    select * from {{ ref('st_jobs') }}
    where tenant_id = {{ servicetitan_tenant_id() }}
        and {{ kpi_in_changed('st_id', 'changed_jobs') }}
),

job_types as (
    select * from {{ ref('stg_servicetitan__job_types') }}
),

-- the subTotal of the job's active job invoices (adjustments aside), 0 when none
invoice_subtotals as (
    select
        invoices.job_id,
        sum(invoices.sub_total) as invoice_subtotal
    from {{ ref('st_invoices') }} as invoices
    where invoices.tenant_id = {{ servicetitan_tenant_id() }}
        {{- kpi_of_jobs('invoices.job_id') }}
        and coalesce(invoices.active, true)
        and invoices.adjustment_to_id is null
    group by invoices.job_id
),

-- the subtotals of the job's active Sold estimates, 0 when none
sold_subtotals as (
    select
        estimates.job_id,
        sum(estimates.subtotal) as sold_subtotal
    from {{ ref('int_kpi_estimates') }} as estimates
    where estimates.tenant_id = {{ servicetitan_tenant_id() }}
        {{- kpi_of_jobs('estimates.job_id') }}
        and estimates.is_sold
    group by estimates.job_id
),

-- completed revenue and sold hours: the income items on the job's active job
-- invoices (the KPI rules, completed revenue), 0 when none
item_amounts as (
    select
        items.job_id,
        sum(items.amount) as revenue,
        sum(items.sold_hours) as sold_hours
    from {{ ref('int_kpi_invoice_items') }} as items
    where items.tenant_id = {{ servicetitan_tenant_id() }}
        {{- kpi_of_jobs('items.job_id') }}
        and items.invoice_class = 'job'
        and items.is_active
        and items.is_income
    group by items.job_id
),

measured as (
    select
        jobs.tenant_id,
        jobs.st_id,
        jobs.business_unit_id,
        jobs.campaign_id,
        jobs.job_type_id,
        coalesce(jobs.no_charge, false) as is_no_charge,
        coalesce(job_types.sold_threshold, 0)::numeric(14, 2) as sold_threshold,
        coalesce(invoice_subtotals.invoice_subtotal, 0)::numeric(14, 2) as invoice_subtotal,
        coalesce(sold_subtotals.sold_subtotal, 0)::numeric(14, 2) as sold_subtotal,
        coalesce(item_amounts.revenue, 0)::numeric(14, 2) as revenue,
        coalesce(item_amounts.sold_hours, 0)::numeric(12, 2) as sold_hours,
        -- completed job: active, jobStatus Completed, completedOn set
        coalesce(jobs.active, true)
        and jobs.job_status = 'Completed'
        and jobs.completed_on is not null as is_completed,
        jobs.completed_on
    from jobs
    left join job_types
        on job_types.st_id = jobs.job_type_id
    left join invoice_subtotals
        on invoice_subtotals.job_id = jobs.st_id
    left join sold_subtotals
        on sold_subtotals.job_id = jobs.st_id
    left join item_amounts
        on item_amounts.job_id = jobs.st_id
),

final as (
    select
        tenant_id,
        st_id,
        business_unit_id,
        campaign_id,
        job_type_id,
        is_no_charge,
        sold_threshold,
        invoice_subtotal,
        sold_subtotal,
        revenue,
        sold_hours,
        is_completed,
        -- counts on its local completion date
        case when is_completed then {{ local_date('completed_on') }} end as completed_date,
        -- an amount meets the threshold when it is > 0 and >= the threshold;
        -- opportunity: not no-charge, or no-charge with an invoice subtotal that meets it
        is_completed and (not is_no_charge or (invoice_subtotal > 0 and invoice_subtotal >= sold_threshold))
            as is_opportunity,
        is_completed and invoice_subtotal > 0 and invoice_subtotal >= sold_threshold as is_converted,
        is_completed
        and (not is_no_charge or (invoice_subtotal > 0 and invoice_subtotal >= sold_threshold))
        and sold_subtotal > 0
        and sold_subtotal >= sold_threshold as is_closed,
        now() as last_synced_at
    from measured
)

select * from final
