-- st_jobs: one row per job. Feeds the job aggregates of st_customers.
{{ config(
    meta={'raw_tables': ['jobs'], 'customer_column': 'customer_id'},
    indexes=[{'columns': ['tenant_id', 'customer_id']}],
) }}

with

jobs as (
    select * from {{ ref('stg_servicetitan__jobs') }}
    where {{ changed_rows('jobs') }}
),

final as (
    select
        jobs.tenant_id,
        jobs.st_id,
        jobs.job_number,
        jobs.customer_id,
        jobs.location_id,
        jobs.project_id,
        jobs.job_status,
        jobs.job_type_id,
        jobs.business_unit_id,
        jobs.campaign_id,
        jobs.priority,
        jobs.invoice_id,
        jobs.membership_id,
        jobs.sold_by_id,
        jobs.appointment_count,
        jobs.total,
        jobs.no_charge,
        jobs.summary,
        jobs.completed_on,
        jobs.is_active as active,
        jobs.st_created_on,
        jobs.st_modified_on,
        jobs.full_data,
        now() as last_synced_at
    from jobs
)

select * from final
