-- One row per job timesheet: the seconds a technician worked between
-- arrivedOn and doneOn (both set, active), on the local date of arrivedOn.
{{ config(
    materialized='st_incremental',
    meta={
        'raw_tables': ['job_timesheets'],
        'queues': [{'queue': 'kpi_days', 'column': 'work_date'}],
    },
    indexes=[{'columns': ['tenant_id', 'work_date']}],
) }}

with

timesheets as (
    select * from {{ ref('stg_servicetitan__job_timesheets') }}
    where {{ changed_rows('job_timesheets') }}
),

final as (
    select
        tenant_id,
        st_id,
        job_id,
        technician_id,
        case
            when coalesce(is_active, true) and arrived_on is not null and done_on is not null
                then {{ local_date('arrived_on') }}
        end as work_date,
        case
            when coalesce(is_active, true) and arrived_on is not null and done_on is not null
                then extract(epoch from done_on - arrived_on)::numeric
        end as worked_seconds,
        now() as last_synced_at
    from timesheets
)

select * from final
