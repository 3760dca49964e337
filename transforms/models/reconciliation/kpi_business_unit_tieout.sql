-- KPI tie-out: ServiceTitan's own Business Unit Performance report (a report
-- stream, custom_report_<report_name>, see docs/reports.md) beside
-- kpi_business_unit_daily, per business unit, day and figure. Days are those
-- the report was read for (its date parameter, one request per day); of a day
-- read more than once, the latest reading. A business unit missing on one side
-- counts 0 there. The test kpi_business_unit_ties_to_servicetitan fails on any
-- difference above a cent.
{{ config(materialized='view') }}

{%- set report = bu_performance_report() -%}
{%- set day = var('bu_performance_date_parameter', 'From') %}

with

{% if report %}
report_rows as (
    select
        report.tenant_id::bigint as tenant_id,
        report."BusinessUnitId"::bigint as business_unit_id,
        report.{{ adapter.quote(day) }}::date as date,
        report._fetched_at,
        report."CompletedRevenue"::numeric as completed_revenue,
        report."CompletedJobs"::numeric as completed_jobs,
        report."Opportunities"::numeric as opportunities,
        report."ConvertedJobs"::numeric as converted_jobs
    from {{ report }} as report
),

-- the latest reading of each day (a day read again within the lookback window
-- replaces its earlier rows)
latest_readings as (
    select tenant_id, date, max(_fetched_at) as fetched_at
    from report_rows
    group by tenant_id, date
),

report_figures as (
    select
        report_rows.tenant_id,
        report_rows.business_unit_id,
        report_rows.date,
        sum(report_rows.completed_revenue) as completed_revenue,
        sum(report_rows.completed_jobs) as completed_jobs,
        sum(report_rows.opportunities) as opportunities,
        sum(report_rows.converted_jobs) as converted_jobs
    from report_rows
    inner join latest_readings
        on latest_readings.tenant_id = report_rows.tenant_id
        and latest_readings.date = report_rows.date
        and latest_readings.fetched_at = report_rows._fetched_at
    group by report_rows.tenant_id, report_rows.business_unit_id, report_rows.date
),
{% else %}
-- no Business Unit Performance report is synced: nothing to compare
latest_readings as (
    select null::bigint as tenant_id, null::date as date where false
),

report_figures as (
    select
        null::bigint as tenant_id,
        null::bigint as business_unit_id,
        null::date as date,
        null::numeric as completed_revenue,
        null::numeric as completed_jobs,
        null::numeric as opportunities,
        null::numeric as converted_jobs
    where false
),
{% endif %}

warehouse_figures as (
    select
        kpi.tenant_id,
        kpi.business_unit_id,
        kpi.date,
        kpi.completed_revenue::numeric as completed_revenue,
        kpi.completed_jobs::numeric as completed_jobs,
        kpi.opportunities::numeric as opportunities,
        kpi.converted_jobs::numeric as converted_jobs
    from {{ ref('kpi_business_unit_daily') }} as kpi
    inner join latest_readings
        on latest_readings.tenant_id = kpi.tenant_id
        and latest_readings.date = kpi.date
),

paired as (
    select
        coalesce(report_figures.tenant_id, warehouse_figures.tenant_id) as tenant_id,
        coalesce(report_figures.business_unit_id, warehouse_figures.business_unit_id) as business_unit_id,
        coalesce(report_figures.date, warehouse_figures.date) as date,
        coalesce(report_figures.completed_revenue, 0) as report_completed_revenue,
        coalesce(warehouse_figures.completed_revenue, 0) as warehouse_completed_revenue,
        coalesce(report_figures.completed_jobs, 0) as report_completed_jobs,
        coalesce(warehouse_figures.completed_jobs, 0) as warehouse_completed_jobs,
        coalesce(report_figures.opportunities, 0) as report_opportunities,
        coalesce(warehouse_figures.opportunities, 0) as warehouse_opportunities,
        coalesce(report_figures.converted_jobs, 0) as report_converted_jobs,
        coalesce(warehouse_figures.converted_jobs, 0) as warehouse_converted_jobs
    from report_figures
    full outer join warehouse_figures
        on warehouse_figures.tenant_id = report_figures.tenant_id
        and warehouse_figures.business_unit_id is not distinct from report_figures.business_unit_id
        and warehouse_figures.date = report_figures.date
),

-- one row per business unit, day and figure
final as (
    select
        paired.tenant_id,
        paired.business_unit_id,
        paired.date,
        figures.figure::text as figure,
        figures.servicetitan_value::numeric(14, 2) as servicetitan_value,
        figures.warehouse_value::numeric(14, 2) as warehouse_value,
        (figures.servicetitan_value - figures.warehouse_value)::numeric(14, 2) as difference
    from paired
    cross join lateral (
        values
            ('completed_revenue', paired.report_completed_revenue, paired.warehouse_completed_revenue),
            ('completed_jobs', paired.report_completed_jobs, paired.warehouse_completed_jobs),
            ('opportunities', paired.report_opportunities, paired.warehouse_opportunities),
            ('converted_jobs', paired.report_converted_jobs, paired.warehouse_converted_jobs)
    ) as figures (figure, servicetitan_value, warehouse_value)
)

select * from final
