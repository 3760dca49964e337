-- Raw job splits (payroll/export/jobs/splits): each technician's share of a job's revenue.
-- Only the fields the KPI models read (models/kpi); the raw table keeps the rest.
{%- set raw = servicetitan_raw('job_splits') %}

with

source as (
    select * from {{ raw.relation }}
),

renamed as (
    select
        {{ raw_column(raw, 'tenant_id') }}::bigint as tenant_id,
        source.id as st_id,
        {{ raw_column(raw, 'jobId') }}::bigint as job_id,
        {{ raw_column(raw, 'technicianId') }}::bigint as technician_id,
        {{ raw_column(raw, 'split') }}::numeric as split,
        {{ raw_column(raw, 'active') }}::boolean as is_active,
        source._sdc_batched_at as batched_at
    from source
)

select * from renamed
