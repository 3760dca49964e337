-- One row per call: whether it is a lead (active, inbound, type Booked or
-- Unbooked) and booked, its campaign and local date. Queues the dates it
-- counted for before and after a change.
{{ config(
    materialized='st_incremental',
    meta={
        'raw_tables': ['calls'],
        'queues': [{'queue': 'kpi_days', 'column': 'call_date'}],
    },
    indexes=[{'columns': ['tenant_id', 'call_date']}],
) }}

with

calls as (
    select * from {{ ref('stg_servicetitan__calls') }}
    where {{ changed_rows('calls') }}
),

final as (
    select
        tenant_id,
        st_id,
        campaign_id,
        {{ local_date('st_created_on') }} as call_date,
        coalesce(is_active, true)
        and lower(direction) = 'inbound'
        and call_type in ('Booked', 'Unbooked') as is_lead,
        coalesce(is_active, true)
        and lower(direction) = 'inbound'
        and call_type = 'Booked' as is_booked,
        now() as last_synced_at
    from calls
)

select * from final
