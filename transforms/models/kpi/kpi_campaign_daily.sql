-- Marketing per campaign and local day: leads and booked calls, completed
-- jobs and revenue, the campaign's daily cost, cost per lead and ROI.
-- Rules: docs/kpi-tables.md.
{%- set run_date = kpi_run_date() %}
{{ config(
    unique_key=['tenant_id', 'campaign_id', 'date'],
    partition_by='date',
    meta={'raw_tables': ['costs'], 'queues_read': ['kpi_days', 'kpi_cost_months']},
    pre_hook="{{ kpi_campaign_daily_dirty() }}",
) }}

with

jobs as (
    select * from {{ ref('int_kpi_jobs') }}
    where tenant_id = {{ servicetitan_tenant_id() }}
        and is_completed
        and {{ kpi_in_dirty('completed_date') }}
        and completed_date <= {{ run_date }}
),

-- completed jobs, converted jobs and completed revenue by the job's campaign
job_measures as (
    select
        jobs.campaign_id,
        jobs.completed_date as date,
        0 as leads,
        0 as booked_calls,
        count(*) as completed_jobs,
        count(*) filter (where jobs.is_converted) as converted_jobs,
        sum(jobs.revenue) as completed_revenue,
        0::numeric as cost
    from jobs
    group by jobs.campaign_id, jobs.completed_date
),

-- leads: active inbound calls of type Booked or Unbooked, by local createdOn
call_measures as (
    select
        calls.campaign_id,
        calls.call_date as date,
        count(*) as leads,
        count(*) filter (where calls.is_booked) as booked_calls,
        0 as completed_jobs,
        0 as converted_jobs,
        0::numeric as completed_revenue,
        0::numeric as cost
    from {{ ref('int_kpi_calls') }} as calls
    where calls.tenant_id = {{ servicetitan_tenant_id() }}
        and calls.is_lead
        and {{ kpi_in_dirty('calls.call_date') }}
        and calls.call_date <= {{ run_date }}
    group by calls.campaign_id, calls.call_date
),

-- cost: the campaign's dailyCost of the month on each of its days up to the run's date
monthly_costs as (
    select
        costs.campaign_id,
        costs.month,
        sum(costs.daily_cost) as daily_cost
    from {{ ref('int_kpi_costs') }} as costs
    where costs.tenant_id = {{ servicetitan_tenant_id() }}
        and costs.month is not null
    group by costs.campaign_id, costs.month
    having sum(costs.daily_cost) <> 0
),

cost_measures as (
    select
        monthly_costs.campaign_id,
        days.date::date as date,
        0 as leads,
        0 as booked_calls,
        0 as completed_jobs,
        0 as converted_jobs,
        0::numeric as completed_revenue,
        monthly_costs.daily_cost as cost
    from monthly_costs
    cross join lateral generate_series(
        monthly_costs.month,
        least(monthly_costs.month + interval '1 month - 1 day', {{ run_date }}),
        interval '1 day'
    ) as days (date)
    where {{ kpi_in_dirty('days.date::date') }}
),

measures as (
    select * from job_measures
    union all
    select * from call_measures
    union all
    select * from cost_measures
),

by_campaign as (
    select
        campaign_id,
        date,
        sum(leads) as leads,
        sum(booked_calls) as booked_calls,
        sum(completed_jobs) as completed_jobs,
        sum(converted_jobs) as converted_jobs,
        sum(completed_revenue) as completed_revenue,
        sum(cost) as cost
    from measures
    group by campaign_id, date
),

final as (
    select
        {{ servicetitan_tenant_id() }} as tenant_id,
        campaign_id,
        date,
        leads::bigint as leads,
        booked_calls::bigint as booked_calls,
        {{ kpi_rate('booked_calls', 'leads') }}::numeric(10, 4) as booking_rate,
        completed_jobs::bigint as completed_jobs,
        converted_jobs::bigint as converted_jobs,
        completed_revenue::numeric(14, 2) as completed_revenue,
        cost::numeric(14, 2) as cost,
        {{ kpi_rate('cost', 'leads', 2) }}::numeric(14, 2) as cost_per_lead,
        {{ kpi_rate('completed_revenue', 'cost') }}::numeric(12, 4) as roi,
        now() as last_synced_at
    from by_campaign
    where leads <> 0
        or booked_calls <> 0
        or completed_jobs <> 0
        or completed_revenue <> 0
        or cost <> 0
)

select * from final
