-- st_appointments: one row per appointment.
{{ config(
    meta={'raw_tables': ['appointments']},
    indexes=[{'columns': ['tenant_id', 'job_id']}],
) }}

with

appointments as (
    select * from {{ ref('stg_servicetitan__appointments') }}
    where {{ changed_rows('appointments') }}
),

final as (
    select
        appointments.tenant_id,
        appointments.st_id,
        appointments.job_id,
        appointments.customer_id,
        appointments.appointment_number,
        appointments.status,
        appointments.start_on,
        appointments.end_on,
        appointments.arrival_window_start,
        appointments.arrival_window_end,
        appointments.is_confirmed,
        appointments.unused,
        appointments.special_instructions,
        appointments.is_active as active,
        appointments.st_created_on,
        appointments.st_modified_on,
        appointments.full_data,
        now() as last_synced_at
    from appointments
)

select * from final
