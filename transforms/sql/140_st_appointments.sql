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

with

watermark as (
    select run_watermarks.since
    from pg_temp.run_watermarks
    where run_watermarks.raw_table = 'appointments'
),

-- import: raw appointments batched since the previous run (all on a full build)
appointments as (
    select
        raw_appointments.id as st_id,
        raw_appointments._sdc_batched_at as batched_at,
        to_jsonb(raw_appointments) - {sdc_columns} as record
    from {raw_appointments} as raw_appointments
    where raw_appointments._sdc_batched_at > (select watermark.since from watermark)
),

staged as (
    select
        {tenant_id}::bigint as tenant_id,
        appointments.st_id,
        (appointments.record ->> 'jobId')::bigint as job_id,
        (appointments.record ->> 'customerId')::bigint as customer_id,
        appointments.record ->> 'appointmentNumber' as appointment_number,
        appointments.record ->> 'status' as status,
        (appointments.record ->> 'start')::timestamptz as start_on,
        (appointments.record ->> 'end')::timestamptz as end_on,
        (appointments.record ->> 'arrivalWindowStart')::timestamptz as arrival_window_start,
        (appointments.record ->> 'arrivalWindowEnd')::timestamptz as arrival_window_end,
        (appointments.record ->> 'isConfirmed')::boolean as is_confirmed,
        (appointments.record ->> 'unused')::boolean as unused,
        appointments.record ->> 'specialInstructions' as special_instructions,
        (appointments.record ->> 'active')::boolean as active,
        (appointments.record ->> 'createdOn')::timestamptz as st_created_on,
        (appointments.record ->> 'modifiedOn')::timestamptz as st_modified_on,
        appointments.record as full_data,
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
    records_fetched = (select count(*) from appointments),
    records_created = (select count(*) from upserted where upserted.is_created),
    records_updated = (select count(*) from upserted where not upserted.is_created),
    watermark = (select max(appointments.batched_at) from appointments)
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
