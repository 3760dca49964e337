-- st_technicians: one row per technician.
{{ config(meta={'raw_tables': ['technicians']}) }}

with

technicians as (
    select * from {{ ref('stg_servicetitan__technicians') }}
    where {{ changed_rows('technicians') }}
),

final as (
    select
        technicians.tenant_id,
        technicians.st_id,
        technicians.user_id,
        technicians.name,
        technicians.first_name,
        technicians.last_name,
        technicians.email,
        technicians.phone_number,
        technicians.mobile_phone,
        technicians.login_name,
        technicians.business_unit_id,
        technicians.main_zone_id,
        technicians.team,
        technicians.status,
        technicians.is_managed_tech,
        technicians.is_active as active,
        technicians.st_created_on,
        technicians.st_modified_on,
        technicians.full_data,
        now() as last_synced_at
    from technicians
)

select * from final
