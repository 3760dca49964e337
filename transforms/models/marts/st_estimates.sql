-- st_estimates: one row per estimate.
{{ config(
    meta={'raw_tables': ['estimates']},
    indexes=[{'columns': ['tenant_id', 'job_id']}],
) }}

with

estimates as (
    select * from {{ ref('stg_servicetitan__estimates') }}
    where {{ changed_rows('estimates') }}
),

final as (
    select
        estimates.tenant_id,
        estimates.st_id,
        estimates.job_id,
        estimates.project_id,
        estimates.location_id,
        estimates.customer_id,
        estimates.name,
        estimates.job_number,
        estimates.status,
        estimates.status_value,
        estimates.review_status,
        estimates.summary,
        estimates.sold_on,
        estimates.sold_by,
        estimates.subtotal,
        estimates.tax,
        estimates.business_unit_id,
        estimates.is_recommended,
        estimates.is_change_order,
        estimates.is_active as active,
        estimates.st_created_on,
        estimates.st_modified_on,
        estimates.full_data,
        now() as last_synced_at
    from estimates
)

select * from final
