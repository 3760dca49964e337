-- One row per estimate: whether it is a sale (active, status Sold), its local
-- sold date, business unit (its own, else its job's) and seller. Queues the
-- dates and jobs it counted for before and after a change.
{{ config(
    materialized='st_incremental',
    meta={
        'raw_tables': ['estimates', 'jobs'],
        'queues': [
            {'queue': 'kpi_days', 'column': 'sold_date'},
            {'queue': 'kpi_jobs', 'column': 'job_id', 'kind': 'id'},
        ],
    },
    indexes=[
        {'columns': ['tenant_id', 'job_id']},
        {'columns': ['tenant_id', 'sold_date']},
    ],
) }}

with

changed_estimates as (
    {{ kpi_changed('estimates') }}
    {%- if not servicetitan_reads_everything() %}
    -- estimates of jobs that changed (their business unit is the fallback)
    union
    select estimates.st_id
    from {{ this }} as estimates
    where estimates.tenant_id = {{ servicetitan_tenant_id() }}
        and estimates.job_id in ({{ kpi_changed('jobs') }})
    {%- endif %}
),

estimates as (
    select * from {{ ref('st_estimates') }}
    where tenant_id = {{ servicetitan_tenant_id() }}
        and {{ kpi_in_changed('st_id', 'changed_estimates') }}
),

jobs as (
    select * from {{ ref('st_jobs') }}
    where tenant_id = {{ servicetitan_tenant_id() }}
),

final as (
    select
        estimates.tenant_id,
        estimates.st_id,
        estimates.job_id,
        coalesce(estimates.business_unit_id, jobs.business_unit_id) as business_unit_id,
        estimates.sold_by,
        coalesce(estimates.subtotal, 0)::numeric(14, 2) as subtotal,
        coalesce(estimates.active, true) and estimates.status = 'Sold' as is_sold,
        case
            when coalesce(estimates.active, true) and estimates.status = 'Sold'
                then {{ local_date('estimates.sold_on') }}
        end as sold_date,
        now() as last_synced_at
    from estimates
    left join jobs
        on jobs.st_id = estimates.job_id
)

select * from final
