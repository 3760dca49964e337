-- st_locations: one row per location (docs/st-tables.md, st_locations).
-- Also the source of each customer's primary location and address.
{{ config(
    meta={'raw_tables': ['locations'], 'customer_column': 'customer_id'},
    indexes=[{'columns': ['tenant_id', 'customer_id']}],
) }}

with

locations as (
    select * from {{ ref('stg_servicetitan__locations') }}
    where {{ changed_rows('locations') }}
),

final as (
    select
        locations.tenant_id,
        locations.st_id,
        locations.customer_id,
        -- st_locations.name: default Primary
        coalesce(nullif(btrim(locations.name), ''), 'Primary') as name,
        locations.address_street as address_line1,
        locations.address_unit as address_line2,
        locations.address_city as city,
        locations.address_state as state,
        locations.address_zip as postal_code,
        -- st_locations.country: default USA when empty
        coalesce(nullif(btrim(locations.address_country), ''), 'USA') as country,
        locations.latitude,
        locations.longitude,
        locations.zone_id,
        locations.tax_zone_id,
        locations.tax_exempt,
        locations.merged_to_id,
        locations.is_active as active,
        locations.st_created_on,
        locations.st_modified_on,
        locations.full_data,
        now() as last_synced_at
    from locations
)

select * from final
