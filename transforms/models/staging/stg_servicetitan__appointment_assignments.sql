-- Raw appointment assignments (dispatch/export/appointment-assignments): which technicians worked a job.
-- Only the fields the KPI models read (models/kpi); the raw table keeps the rest.
{%- set raw = servicetitan_raw('appointment_assignments') %}

with

source as (
    select * from {{ raw.relation }}
),

renamed as (
    select
        {{ raw_column(raw, 'tenant_id') }}::bigint as tenant_id,
        source.id as st_id,
        {{ raw_column(raw, 'jobId') }}::bigint as job_id,
        {{ raw_column(raw, 'appointmentId') }}::bigint as appointment_id,
        {{ raw_column(raw, 'technicianId') }}::bigint as technician_id,
        {{ raw_column(raw, 'active') }}::boolean as is_active,
        source._sdc_batched_at as batched_at
    from source
)

select * from renamed
