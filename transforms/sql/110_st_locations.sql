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

-- raw locations batched since the previous run (all on a full build): their ids,
-- in a small analyzed table so that the planner sizes the steps below right
create temp table locations_changed on commit drop as
select
    raw_locations.id as st_id,
    raw_locations._sdc_batched_at as batched_at
from {raw_locations} as raw_locations
where raw_locations._sdc_batched_at > (
    select run_watermarks.since
    from pg_temp.run_watermarks
    where run_watermarks.raw_table = 'locations'
);

analyze pg_temp.locations_changed;

-- the customer each changed location belonged to before this run: a key lookup
-- per changed location (none on a first build), done before anything is written
create temp table locations_previous on commit drop as
select
    st_locations.st_id,
    st_locations.customer_id
from pg_temp.locations_changed
inner join {target}.st_locations as st_locations
    on st_locations.tenant_id = {tenant_id} and st_locations.st_id = locations_changed.st_id;

analyze pg_temp.locations_previous;

with

-- import: the changed raw locations, typed columns cast and renamed once; full_data
-- is the raw record: every raw column but the loader's _sdc_* ones
locations as (
    select
        raw_locations.id as st_id,
        {raw_locations.customerId}::bigint as customer_id,
        {raw_locations.name}::text as name,
        {raw_locations.address}::jsonb ->> 'street' as address_line1,
        {raw_locations.address}::jsonb ->> 'unit' as address_line2,
        {raw_locations.address}::jsonb ->> 'city' as city,
        {raw_locations.address}::jsonb ->> 'state' as state,
        {raw_locations.address}::jsonb ->> 'zip' as postal_code,
        {raw_locations.address}::jsonb ->> 'country' as country,
        ({raw_locations.address}::jsonb ->> 'latitude')::numeric as latitude,
        ({raw_locations.address}::jsonb ->> 'longitude')::numeric as longitude,
        {raw_locations.zoneId}::bigint as zone_id,
        {raw_locations.taxZoneId}::bigint as tax_zone_id,
        {raw_locations.taxExempt}::boolean as tax_exempt,
        {raw_locations.mergedToId}::bigint as merged_to_id,
        {raw_locations.active}::boolean as active,
        {raw_locations.createdOn}::timestamptz as st_created_on,
        {raw_locations.modifiedOn}::timestamptz as st_modified_on,
        to_jsonb(locations_record) as full_data
    from {raw_locations} as raw_locations
    inner join pg_temp.locations_changed on locations_changed.st_id = raw_locations.id
    cross join lateral (select {raw_locations.*}) as locations_record
),

staged as (
    select
        {tenant_id}::bigint as tenant_id,
        locations.st_id,
        locations.customer_id,
        -- SPEC st_locations.name: default Primary
        coalesce(nullif(btrim(locations.name), ''), 'Primary') as name,
        locations.address_line1,
        locations.address_line2,
        locations.city,
        locations.state,
        locations.postal_code,
        -- SPEC st_locations.country: default USA when empty
        coalesce(nullif(btrim(locations.country), ''), 'USA') as country,
        locations.latitude,
        locations.longitude,
        locations.zone_id,
        locations.tax_zone_id,
        locations.tax_exempt,
        locations.merged_to_id,
        locations.active,
        locations.st_created_on,
        locations.st_modified_on,
        locations.full_data,
        now() as last_synced_at
    from locations
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
    select locations_previous.customer_id
    from pg_temp.locations_previous
    inner join upserted on upserted.st_id = locations_previous.st_id
)

update pg_temp.run_stats set
    records_fetched = (select count(*) from pg_temp.locations_changed),
    records_created = (select count(*) from upserted where upserted.is_created),
    records_updated = (select count(*) from upserted where not upserted.is_created),
    watermark = (select max(locations_changed.batched_at) from pg_temp.locations_changed)
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
