-- st_locations: one row per location (SPEC.md section 4, st_locations).
-- Also the source of each customer's primary location and address.

create table if not exists {target}.st_locations (
    tenant_id bigint not null,
    st_id bigint not null,
    customer_id bigint,
    name text,
    address_line1 text,
    address_line2 text,
    city text,
    state text,
    postal_code text,
    country text,
    latitude numeric,
    longitude numeric,
    zone_id bigint,
    tax_zone_id bigint,
    tax_exempt boolean,
    merged_to_id bigint,
    active boolean,
    st_created_on timestamptz,
    st_modified_on timestamptz,
    full_data jsonb not null,
    last_synced_at timestamptz not null,
    primary key (tenant_id, st_id)
);

create index if not exists st_locations_customer_id_idx
    on {target}.st_locations (tenant_id, customer_id);

create index if not exists locations__sdc_batched_at_idx
    on {raw_locations} (_sdc_batched_at);

insert into pg_temp.run_stats (module, raw_table, started_at)
values ('st_locations', 'locations', clock_timestamp());

with

watermark as (
    select run_watermarks.since
    from pg_temp.run_watermarks
    where run_watermarks.raw_table = 'locations'
),

-- import: raw locations batched since the previous run (all on a full build)
locations as (
    select
        raw_locations.id as st_id,
        raw_locations._sdc_batched_at as batched_at,
        to_jsonb(raw_locations) - {sdc_columns} as record
    from {raw_locations} as raw_locations
    where raw_locations._sdc_batched_at > (select watermark.since from watermark)
),

staged as (
    select
        {tenant_id}::bigint as tenant_id,
        locations.st_id,
        (locations.record ->> 'customerId')::bigint as customer_id,
        -- SPEC st_locations.name: default Primary
        coalesce(nullif(btrim(locations.record ->> 'name'), ''), 'Primary') as name,
        locations.record -> 'address' ->> 'street' as address_line1,
        locations.record -> 'address' ->> 'unit' as address_line2,
        locations.record -> 'address' ->> 'city' as city,
        locations.record -> 'address' ->> 'state' as state,
        locations.record -> 'address' ->> 'zip' as postal_code,
        -- SPEC st_locations.country: default USA when empty
        coalesce(nullif(btrim(locations.record -> 'address' ->> 'country'), ''), 'USA') as country,
        (locations.record -> 'address' ->> 'latitude')::numeric as latitude,
        (locations.record -> 'address' ->> 'longitude')::numeric as longitude,
        (locations.record ->> 'zoneId')::bigint as zone_id,
        (locations.record ->> 'taxZoneId')::bigint as tax_zone_id,
        (locations.record ->> 'taxExempt')::boolean as tax_exempt,
        (locations.record ->> 'mergedToId')::bigint as merged_to_id,
        (locations.record ->> 'active')::boolean as active,
        (locations.record ->> 'createdOn')::timestamptz as st_created_on,
        (locations.record ->> 'modifiedOn')::timestamptz as st_modified_on,
        locations.record as full_data,
        now() as last_synced_at
    from locations
),

previous as (
    select
        st_locations.st_id,
        st_locations.customer_id
    from {target}.st_locations as st_locations
    inner join locations on locations.st_id = st_locations.st_id
    where st_locations.tenant_id = {tenant_id}
),

upserted as (
    insert into {target}.st_locations as st_locations (
        tenant_id,
        st_id,
        customer_id,
        name,
        address_line1,
        address_line2,
        city,
        state,
        postal_code,
        country,
        latitude,
        longitude,
        zone_id,
        tax_zone_id,
        tax_exempt,
        merged_to_id,
        active,
        st_created_on,
        st_modified_on,
        full_data,
        last_synced_at
    )
    select
        staged.tenant_id,
        staged.st_id,
        staged.customer_id,
        staged.name,
        staged.address_line1,
        staged.address_line2,
        staged.city,
        staged.state,
        staged.postal_code,
        staged.country,
        staged.latitude,
        staged.longitude,
        staged.zone_id,
        staged.tax_zone_id,
        staged.tax_exempt,
        staged.merged_to_id,
        staged.active,
        staged.st_created_on,
        staged.st_modified_on,
        staged.full_data,
        staged.last_synced_at
    from staged
    on conflict (tenant_id, st_id) do update set
        customer_id = excluded.customer_id,
        name = excluded.name,
        address_line1 = excluded.address_line1,
        address_line2 = excluded.address_line2,
        city = excluded.city,
        state = excluded.state,
        postal_code = excluded.postal_code,
        country = excluded.country,
        latitude = excluded.latitude,
        longitude = excluded.longitude,
        zone_id = excluded.zone_id,
        tax_zone_id = excluded.tax_zone_id,
        tax_exempt = excluded.tax_exempt,
        merged_to_id = excluded.merged_to_id,
        active = excluded.active,
        st_created_on = excluded.st_created_on,
        st_modified_on = excluded.st_modified_on,
        full_data = excluded.full_data,
        last_synced_at = excluded.last_synced_at
    -- write only what differs, so a re-loaded unchanged record changes nothing
    where to_jsonb(st_locations) - 'last_synced_at'
        is distinct from to_jsonb(excluded) - 'last_synced_at'
    returning
        st_locations.st_id,
        st_locations.customer_id,
        (st_locations.xmax = 0) as is_created
),

affected as (
    insert into pg_temp.affected_customers (customer_id)
    select upserted.customer_id
    from upserted
    union
    select previous.customer_id
    from previous
    inner join upserted on upserted.st_id = previous.st_id
)

update pg_temp.run_stats set
    records_fetched = (select count(*) from locations),
    records_created = (select count(*) from upserted where upserted.is_created),
    records_updated = (select count(*) from upserted where not upserted.is_created),
    watermark = (select max(locations.batched_at) from locations)
where run_stats.module = 'st_locations';

-- full refresh only: rows whose raw record is gone
with

removed as (
    delete from {target}.st_locations as st_locations
    where
        st_locations.tenant_id = {tenant_id}
        and {full_refresh}
        and not exists (
            select 1
            from {raw_locations} as raw_locations
            where raw_locations.id = st_locations.st_id
        )
    returning st_locations.customer_id
),

affected as (
    insert into pg_temp.affected_customers (customer_id)
    select removed.customer_id
    from removed
)

update pg_temp.run_stats set
    records_deleted = (select count(*) from removed),
    completed_at = clock_timestamp()
where run_stats.module = 'st_locations';
