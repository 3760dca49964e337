-- Technician Performance per local day: assigned completed jobs and their
-- rates, revenue and sold hours by job splits, sales by seller, hours worked.
-- Rules: docs/kpi-tables.md.
{{ config(
    unique_key=['tenant_id', 'technician_id', 'date'],
    partition_by='date',
    meta={'raw_tables': ['job_splits'], 'queues_read': ['kpi_days']},
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

-- each completed job's completed revenue and sold hours (int_kpi_jobs)
job_amounts as (
    select
        jobs.st_id as job_id,
        jobs.completed_date,
        jobs.revenue,
        jobs.sold_hours
    from jobs
),

-- the active splits of those jobs, one per technician
splits as (
    select
        splits.job_id,
        splits.technician_id,
        sum(splits.split) as split
    from {{ ref('stg_servicetitan__job_splits') }} as splits
    where splits.job_id in (select jobs.st_id from jobs)
        and coalesce(splits.is_active, true)
    group by splits.job_id, splits.technician_id
),

splits_ranked as (
    select
        splits.job_id,
        splits.technician_id,
        splits.split,
        sum(splits.split) over (partition by splits.job_id) as job_split,
        row_number() over (
            partition by splits.job_id order by splits.split desc, splits.technician_id
        ) as rank_in_job
    from splits
),

-- shares: each split truncated to cents, the largest split takes the rest,
-- so that the technicians' sum is the job's amount; a job without splits
-- (or whose splits sum to 0) goes to technician null
shares as (
    select
        job_amounts.job_id,
        job_amounts.completed_date,
        splits_ranked.technician_id,
        splits_ranked.rank_in_job,
        case
            when splits_ranked.job_split is null or splits_ranked.job_split = 0 then job_amounts.revenue
            else trunc(job_amounts.revenue * splits_ranked.split / splits_ranked.job_split, 2)
        end as revenue,
        case
            when splits_ranked.job_split is null or splits_ranked.job_split = 0 then job_amounts.sold_hours
            else trunc(job_amounts.sold_hours * splits_ranked.split / splits_ranked.job_split, 2)
        end as sold_hours,
        job_amounts.revenue as job_revenue,
        job_amounts.sold_hours as job_sold_hours,
        coalesce(splits_ranked.job_split, 0) = 0 as is_unsplit
    from job_amounts
    left join splits_ranked
        on splits_ranked.job_id = job_amounts.job_id
),

shares_settled as (
    select distinct on (job_id, technician_id)
        job_id,
        completed_date,
        case when is_unsplit then null else technician_id end as technician_id,
        case
            when is_unsplit or rank_in_job > 1 then revenue
            else job_revenue - (sum(revenue) over (partition by job_id) - revenue)
        end as revenue,
        case
            when is_unsplit or rank_in_job > 1 then sold_hours
            else job_sold_hours - (sum(sold_hours) over (partition by job_id) - sold_hours)
        end as sold_hours
    from shares
    order by job_id, technician_id
),

revenue_measures as (
    select
        technician_id,
        completed_date as date,
        0 as completed_jobs,
        sum(revenue) as completed_revenue,
        0 as opportunities,
        0 as converted_jobs,
        0 as closed_jobs,
        0::numeric as total_sales,
        0 as sold_estimates,
        sum(sold_hours) as sold_hours,
        0::numeric as worked_seconds
    from shares_settled
    group by technician_id, completed_date
),

-- completed jobs with an active appointment assignment of the technician
assigned as (
    select distinct
        assignments.job_id,
        assignments.technician_id
    from {{ ref('stg_servicetitan__appointment_assignments') }} as assignments
    where assignments.job_id in (select jobs.st_id from jobs)
        and coalesce(assignments.is_active, true)
        and assignments.technician_id is not null
),

job_measures as (
    select
        assigned.technician_id,
        jobs.completed_date as date,
        count(*) as completed_jobs,
        0::numeric as completed_revenue,
        count(*) filter (where jobs.is_opportunity) as opportunities,
        count(*) filter (where jobs.is_converted) as converted_jobs,
        count(*) filter (where jobs.is_closed) as closed_jobs,
        0::numeric as total_sales,
        0 as sold_estimates,
        0::numeric as sold_hours,
        0::numeric as worked_seconds
    from assigned
    inner join jobs
        on jobs.st_id = assigned.job_id
    group by assigned.technician_id, jobs.completed_date
),

-- sales: Sold estimates credited to their soldBy (null: technician null)
sales_measures as (
    select
        estimates.sold_by as technician_id,
        estimates.sold_date as date,
        0 as completed_jobs,
        0::numeric as completed_revenue,
        0 as opportunities,
        0 as converted_jobs,
        0 as closed_jobs,
        sum(estimates.subtotal) as total_sales,
        count(*) as sold_estimates,
        0::numeric as sold_hours,
        0::numeric as worked_seconds
    from {{ ref('int_kpi_estimates') }} as estimates
    where estimates.tenant_id = {{ servicetitan_tenant_id() }}
        and estimates.is_sold
        and {{ kpi_in_dirty('estimates.sold_date') }}
        and estimates.sold_date <= {{ kpi_run_date() }}
    group by estimates.sold_by, estimates.sold_date
),

-- hours worked: timesheets with arrivedOn and doneOn, by local arrivedOn
worked_measures as (
    select
        timesheets.technician_id,
        timesheets.work_date as date,
        0 as completed_jobs,
        0::numeric as completed_revenue,
        0 as opportunities,
        0 as converted_jobs,
        0 as closed_jobs,
        0::numeric as total_sales,
        0 as sold_estimates,
        0::numeric as sold_hours,
        sum(timesheets.worked_seconds) as worked_seconds
    from {{ ref('int_kpi_timesheets') }} as timesheets
    where timesheets.tenant_id = {{ servicetitan_tenant_id() }}
        and timesheets.work_date is not null
        and {{ kpi_in_dirty('timesheets.work_date') }}
        and timesheets.work_date <= {{ kpi_run_date() }}
    group by timesheets.technician_id, timesheets.work_date
),

measures as (
    select * from revenue_measures
    union all
    select * from job_measures
    union all
    select * from sales_measures
    union all
    select * from worked_measures
),

by_technician as (
    select
        technician_id,
        date,
        sum(completed_jobs) as completed_jobs,
        sum(completed_revenue) as completed_revenue,
        sum(opportunities) as opportunities,
        sum(converted_jobs) as converted_jobs,
        sum(closed_jobs) as closed_jobs,
        sum(total_sales) as total_sales,
        sum(sold_estimates) as sold_estimates,
        sum(sold_hours) as sold_hours,
        round(sum(worked_seconds) / 3600, 2) as worked_hours
    from measures
    group by technician_id, date
),

final as (
    select
        {{ servicetitan_tenant_id() }} as tenant_id,
        technician_id,
        date,
        completed_jobs::bigint as completed_jobs,
        completed_revenue::numeric(14, 2) as completed_revenue,
        opportunities::bigint as opportunities,
        converted_jobs::bigint as converted_jobs,
        closed_jobs::bigint as closed_jobs,
        {{ kpi_rate('converted_jobs', 'opportunities') }}::numeric(10, 4) as conversion_rate,
        {{ kpi_rate('closed_jobs', 'opportunities') }}::numeric(10, 4) as close_rate,
        total_sales::numeric(14, 2) as total_sales,
        sold_estimates::bigint as sold_estimates,
        sold_hours::numeric(12, 2) as sold_hours,
        worked_hours::numeric(12, 2) as worked_hours,
        now() as last_synced_at
    from by_technician
    where completed_jobs <> 0
        or completed_revenue <> 0
        or total_sales <> 0
        or sold_estimates <> 0
        or sold_hours <> 0
        or worked_hours <> 0
)

select * from final
