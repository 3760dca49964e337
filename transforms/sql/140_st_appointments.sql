-- st_appointments: one row per appointment.

create table if not exists {target}.st_appointments (
    tenant_id bigint not null,
    st_id bigint not null,
    job_id bigint,
    customer_id bigint,
    appointment_number text,
    status text,
    start_on timestamptz,
    end_on timestamptz,
    arrival_window_start timestamptz,
    arrival_window_end timestamptz,
    is_confirmed boolean,
    unused boolean,
    special_instructions text,
    active boolean,
    st_created_on timestamptz,
    st_modified_on timestamptz,
    full_data jsonb not null,
    last_synced_at timestamptz not null,
    primary key (tenant_id, st_id)
);

create index if not exists st_appointments_job_id_idx
    on {target}.st_appointments (tenant_id, job_id);

create index if not exists appointments__sdc_batched_at_idx
    on {raw_appointments} (_sdc_batched_at);

insert into pg_temp.run_stats (module, raw_table, started_at)
values ('st_appointments', 'appointments', clock_timestamp());

-- raw appointments batched since the previous run (all on a full build): their ids,
-- in a small analyzed table so that the planner sizes the steps below right
create temp table appointments_changed on commit drop as
select
    raw_appointments.id as st_id,
    raw_appointments._sdc_batched_at as batched_at
from {raw_appointments} as raw_appointments
where raw_appointments._sdc_batched_at > (
    select run_watermarks.since
    from pg_temp.run_watermarks
    where run_watermarks.raw_table = 'appointments'
);

analyze pg_temp.appointments_changed;

with

-- import: the changed raw appointments, typed columns cast and renamed once; full_data
-- is the raw record: every raw column but the loader's _sdc_* ones
appointments as (
    select
        raw_appointments.id as st_id,
        {raw_appointments.jobId}::bigint as job_id,
        {raw_appointments.customerId}::bigint as customer_id,
        {raw_appointments.appointmentNumber}::text as appointment_number,
        {raw_appointments.status}::text as status,
        {raw_appointments.start}::timestamptz as start_on,
        {raw_appointments.end}::timestamptz as end_on,
        {raw_appointments.arrivalWindowStart}::timestamptz as arrival_window_start,
        {raw_appointments.arrivalWindowEnd}::timestamptz as arrival_window_end,
        {raw_appointments.isConfirmed}::boolean as is_confirmed,
        {raw_appointments.unused}::boolean as unused,
        {raw_appointments.specialInstructions}::text as special_instructions,
        {raw_appointments.active}::boolean as active,
        {raw_appointments.createdOn}::timestamptz as st_created_on,
        {raw_appointments.modifiedOn}::timestamptz as st_modified_on,
        to_jsonb(appointments_record) as full_data
    from {raw_appointments} as raw_appointments
    inner join pg_temp.appointments_changed on appointments_changed.st_id = raw_appointments.id
    cross join lateral (select {raw_appointments.*}) as appointments_record
),

staged as (
    select
        {tenant_id}::bigint as tenant_id,
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
        appointments.active,
        appointments.st_created_on,
        appointments.st_modified_on,
        appointments.full_data,
        now() as last_synced_at
    from appointments
),

upserted as (
    insert into {target}.st_appointments as st_appointments (
        tenant_id,
        st_id,
        job_id,
        customer_id,
        appointment_number,
        status,
        start_on,
        end_on,
        arrival_window_start,
        arrival_window_end,
        is_confirmed,
        unused,
        special_instructions,
        active,
        st_created_on,
        st_modified_on,
        full_data,
        last_synced_at
    )
    select
        staged.tenant_id,
        staged.st_id,
        staged.job_id,
        staged.customer_id,
        staged.appointment_number,
        staged.status,
        staged.start_on,
        staged.end_on,
        staged.arrival_window_start,
        staged.arrival_window_end,
        staged.is_confirmed,
        staged.unused,
        staged.special_instructions,
        staged.active,
        staged.st_created_on,
        staged.st_modified_on,
        staged.full_data,
        staged.last_synced_at
    from staged
    on conflict (tenant_id, st_id) do update set
        job_id = excluded.job_id,
        customer_id = excluded.customer_id,
        appointment_number = excluded.appointment_number,
        status = excluded.status,
        start_on = excluded.start_on,
        end_on = excluded.end_on,
        arrival_window_start = excluded.arrival_window_start,
        arrival_window_end = excluded.arrival_window_end,
        is_confirmed = excluded.is_confirmed,
        unused = excluded.unused,
        special_instructions = excluded.special_instructions,
        active = excluded.active,
        st_created_on = excluded.st_created_on,
        st_modified_on = excluded.st_modified_on,
        full_data = excluded.full_data,
        last_synced_at = excluded.last_synced_at
    -- write only what differs, so a re-loaded unchanged record changes nothing
    where to_jsonb(st_appointments) - 'last_synced_at'
        is distinct from to_jsonb(excluded) - 'last_synced_at'
    returning
        st_appointments.st_id,
        (st_appointments.xmax = 0) as is_created
)

update pg_temp.run_stats set
    records_fetched = (select count(*) from pg_temp.appointments_changed),
    records_created = (select count(*) from upserted where upserted.is_created),
    records_updated = (select count(*) from upserted where not upserted.is_created),
    watermark = (select max(appointments_changed.batched_at) from pg_temp.appointments_changed)
where run_stats.module = 'st_appointments';

-- full refresh only: rows whose raw record is gone
with

removed as (
    delete from {target}.st_appointments as st_appointments
    where
        st_appointments.tenant_id = {tenant_id}
        and {full_refresh}
        and not exists (
            select 1
            from {raw_appointments} as raw_appointments
            where raw_appointments.id = st_appointments.st_id
        )
    returning st_appointments.st_id
)

update pg_temp.run_stats set
    records_deleted = (select count(*) from removed),
    completed_at = clock_timestamp()
where run_stats.module = 'st_appointments';
