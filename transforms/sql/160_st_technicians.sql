-- st_technicians: one row per technician.

create table if not exists {target}.st_technicians (
    tenant_id bigint not null,
    st_id bigint not null,
    user_id bigint,
    name text,
    first_name text,
    last_name text,
    email text,
    phone_number text,
    mobile_phone text,
    login_name text,
    business_unit_id bigint,
    main_zone_id bigint,
    team text,
    status text,
    is_managed_tech boolean,
    active boolean,
    st_created_on timestamptz,
    st_modified_on timestamptz,
    full_data jsonb not null,
    last_synced_at timestamptz not null,
    primary key (tenant_id, st_id)
);

create index if not exists technicians__sdc_batched_at_idx
    on {raw_technicians} (_sdc_batched_at);

insert into pg_temp.run_stats (module, raw_table, started_at)
values ('st_technicians', 'technicians', clock_timestamp());

-- raw technicians batched since the previous run (all on a full build): their ids,
-- in a small analyzed table so that the planner sizes the steps below right
create temp table technicians_changed on commit drop as
select
    raw_technicians.id as st_id,
    raw_technicians._sdc_batched_at as batched_at
from {raw_technicians} as raw_technicians
where raw_technicians._sdc_batched_at > (
    select run_watermarks.since
    from pg_temp.run_watermarks
    where run_watermarks.raw_table = 'technicians'
);

analyze pg_temp.technicians_changed;

with

-- import: the changed raw technicians, typed columns cast and renamed once; full_data
-- is the raw record: every raw column but the loader's _sdc_* ones
technicians as (
    select
        raw_technicians.id as st_id,
        {raw_technicians.userId}::bigint as user_id,
        {raw_technicians.name}::text as name,
        {raw_technicians.firstName}::text as first_name,
        {raw_technicians.lastName}::text as last_name,
        {raw_technicians.email}::text as email,
        {raw_technicians.phoneNumber}::text as phone_number,
        {raw_technicians.mobilePhone}::text as mobile_phone,
        {raw_technicians.loginName}::text as login_name,
        {raw_technicians.businessUnitId}::bigint as business_unit_id,
        {raw_technicians.mainZoneId}::bigint as main_zone_id,
        {raw_technicians.team}::text as team,
        {raw_technicians.status}::text as status,
        {raw_technicians.isManagedTech}::boolean as is_managed_tech,
        {raw_technicians.active}::boolean as active,
        {raw_technicians.createdOn}::timestamptz as st_created_on,
        {raw_technicians.modifiedOn}::timestamptz as st_modified_on,
        to_jsonb(technicians_record) as full_data
    from {raw_technicians} as raw_technicians
    inner join pg_temp.technicians_changed on technicians_changed.st_id = raw_technicians.id
    cross join lateral (select {raw_technicians.*}) as technicians_record
),

staged as (
    select
        {tenant_id}::bigint as tenant_id,
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
        technicians.active,
        technicians.st_created_on,
        technicians.st_modified_on,
        technicians.full_data,
        now() as last_synced_at
    from technicians
),

upserted as (
    insert into {target}.st_technicians as st_technicians (
        tenant_id,
        st_id,
        user_id,
        name,
        first_name,
        last_name,
        email,
        phone_number,
        mobile_phone,
        login_name,
        business_unit_id,
        main_zone_id,
        team,
        status,
        is_managed_tech,
        active,
        st_created_on,
        st_modified_on,
        full_data,
        last_synced_at
    )
    select
        staged.tenant_id,
        staged.st_id,
        staged.user_id,
        staged.name,
        staged.first_name,
        staged.last_name,
        staged.email,
        staged.phone_number,
        staged.mobile_phone,
        staged.login_name,
        staged.business_unit_id,
        staged.main_zone_id,
        staged.team,
        staged.status,
        staged.is_managed_tech,
        staged.active,
        staged.st_created_on,
        staged.st_modified_on,
        staged.full_data,
        staged.last_synced_at
    from staged
    on conflict (tenant_id, st_id) do update set
        user_id = excluded.user_id,
        name = excluded.name,
        first_name = excluded.first_name,
        last_name = excluded.last_name,
        email = excluded.email,
        phone_number = excluded.phone_number,
        mobile_phone = excluded.mobile_phone,
        login_name = excluded.login_name,
        business_unit_id = excluded.business_unit_id,
        main_zone_id = excluded.main_zone_id,
        team = excluded.team,
        status = excluded.status,
        is_managed_tech = excluded.is_managed_tech,
        active = excluded.active,
        st_created_on = excluded.st_created_on,
        st_modified_on = excluded.st_modified_on,
        full_data = excluded.full_data,
        last_synced_at = excluded.last_synced_at
    -- write only what differs, so a re-loaded unchanged record changes nothing
    where to_jsonb(st_technicians) - 'last_synced_at'
        is distinct from to_jsonb(excluded) - 'last_synced_at'
    returning
        st_technicians.st_id,
        (st_technicians.xmax = 0) as is_created
)

update pg_temp.run_stats set
    records_fetched = (select count(*) from pg_temp.technicians_changed),
    records_created = (select count(*) from upserted where upserted.is_created),
    records_updated = (select count(*) from upserted where not upserted.is_created),
    watermark = (select max(technicians_changed.batched_at) from pg_temp.technicians_changed)
where run_stats.module = 'st_technicians';

-- full refresh only: rows whose raw record is gone
with

removed as (
    delete from {target}.st_technicians as st_technicians
    where
        st_technicians.tenant_id = {tenant_id}
        and {full_refresh}
        and not exists (
            select 1
            from {raw_technicians} as raw_technicians
            where raw_technicians.id = st_technicians.st_id
        )
    returning st_technicians.st_id
)

update pg_temp.run_stats set
    records_deleted = (select count(*) from removed),
    completed_at = clock_timestamp()
where run_stats.module = 'st_technicians';
