-- st_jobs: one row per job. Feeds the job aggregates of st_customers.

create table if not exists {target}.st_jobs (
    tenant_id bigint not null,
    st_id bigint not null,
    job_number text,
    customer_id bigint,
    location_id bigint,
    project_id bigint,
    job_status text,
    job_type_id bigint,
    business_unit_id bigint,
    campaign_id bigint,
    priority text,
    invoice_id bigint,
    membership_id bigint,
    sold_by_id bigint,
    appointment_count bigint,
    total numeric(14, 2),
    no_charge boolean,
    summary text,
    completed_on timestamptz,
    active boolean,
    st_created_on timestamptz,
    st_modified_on timestamptz,
    full_data jsonb not null,
    last_synced_at timestamptz not null,
    primary key (tenant_id, st_id)
);

create index if not exists st_jobs_customer_id_idx
    on {target}.st_jobs (tenant_id, customer_id);

create index if not exists jobs__sdc_batched_at_idx
    on {raw_jobs} (_sdc_batched_at);

insert into pg_temp.run_stats (module, raw_table, started_at)
values ('st_jobs', 'jobs', clock_timestamp());

-- raw jobs batched since the previous run (all on a full build): their ids
-- in a small analyzed table, so the planner sizes the steps below right
create temp table jobs_changed on commit drop as
select
    raw_jobs.id as st_id,
    raw_jobs._sdc_batched_at as batched_at
from {raw_jobs} as raw_jobs
where raw_jobs._sdc_batched_at > (
    select run_watermarks.since
    from pg_temp.run_watermarks
    where run_watermarks.raw_table = 'jobs'
);

analyze pg_temp.jobs_changed;

-- the customer each changed job belonged to before this run (a key lookup
-- per changed job; nothing to look up on a first build)
create temp table jobs_previous on commit drop as
select
    st_jobs.st_id,
    st_jobs.customer_id
from pg_temp.jobs_changed
inner join {target}.st_jobs as st_jobs
    on st_jobs.tenant_id = {tenant_id} and st_jobs.st_id = jobs_changed.st_id;

analyze pg_temp.jobs_previous;

with

-- import: the changed raw jobs, typed columns cast and renamed once; full_data
-- is the raw record: every raw column but the loader's _sdc_* ones
jobs as (
    select
        raw_jobs.id as st_id,
        {raw_jobs.jobNumber}::text as job_number,
        {raw_jobs.customerId}::bigint as customer_id,
        {raw_jobs.locationId}::bigint as location_id,
        {raw_jobs.projectId}::bigint as project_id,
        {raw_jobs.jobStatus}::text as job_status,
        {raw_jobs.jobTypeId}::bigint as job_type_id,
        {raw_jobs.businessUnitId}::bigint as business_unit_id,
        {raw_jobs.campaignId}::bigint as campaign_id,
        {raw_jobs.priority}::text as priority,
        {raw_jobs.invoiceId}::bigint as invoice_id,
        {raw_jobs.membershipId}::bigint as membership_id,
        {raw_jobs.soldById}::bigint as sold_by_id,
        {raw_jobs.appointmentCount}::bigint as appointment_count,
        {raw_jobs.total}::numeric(14, 2) as total,
        {raw_jobs.noCharge}::boolean as no_charge,
        {raw_jobs.summary}::text as summary,
        {raw_jobs.completedOn}::timestamptz as completed_on,
        {raw_jobs.active}::boolean as active,
        {raw_jobs.createdOn}::timestamptz as st_created_on,
        {raw_jobs.modifiedOn}::timestamptz as st_modified_on,
        to_jsonb(jobs_record) as full_data
    from {raw_jobs} as raw_jobs
    inner join pg_temp.jobs_changed on jobs_changed.st_id = raw_jobs.id
    cross join lateral (select {raw_jobs.*}) as jobs_record
),

staged as (
    select
        {tenant_id}::bigint as tenant_id,
        jobs.st_id,
        jobs.job_number,
        jobs.customer_id,
        jobs.location_id,
        jobs.project_id,
        jobs.job_status,
        jobs.job_type_id,
        jobs.business_unit_id,
        jobs.campaign_id,
        jobs.priority,
        jobs.invoice_id,
        jobs.membership_id,
        jobs.sold_by_id,
        jobs.appointment_count,
        jobs.total,
        jobs.no_charge,
        jobs.summary,
        jobs.completed_on,
        jobs.active,
        jobs.st_created_on,
        jobs.st_modified_on,
        jobs.full_data,
        now() as last_synced_at
    from jobs
),

upserted as (
    insert into {target}.st_jobs as st_jobs (
        tenant_id,
        st_id,
        job_number,
        customer_id,
        location_id,
        project_id,
        job_status,
        job_type_id,
        business_unit_id,
        campaign_id,
        priority,
        invoice_id,
        membership_id,
        sold_by_id,
        appointment_count,
        total,
        no_charge,
        summary,
        completed_on,
        active,
        st_created_on,
        st_modified_on,
        full_data,
        last_synced_at
    )
    select
        staged.tenant_id,
        staged.st_id,
        staged.job_number,
        staged.customer_id,
        staged.location_id,
        staged.project_id,
        staged.job_status,
        staged.job_type_id,
        staged.business_unit_id,
        staged.campaign_id,
        staged.priority,
        staged.invoice_id,
        staged.membership_id,
        staged.sold_by_id,
        staged.appointment_count,
        staged.total,
        staged.no_charge,
        staged.summary,
        staged.completed_on,
        staged.active,
        staged.st_created_on,
        staged.st_modified_on,
        staged.full_data,
        staged.last_synced_at
    from staged
    on conflict (tenant_id, st_id) do update set
        job_number = excluded.job_number,
        customer_id = excluded.customer_id,
        location_id = excluded.location_id,
        project_id = excluded.project_id,
        job_status = excluded.job_status,
        job_type_id = excluded.job_type_id,
        business_unit_id = excluded.business_unit_id,
        campaign_id = excluded.campaign_id,
        priority = excluded.priority,
        invoice_id = excluded.invoice_id,
        membership_id = excluded.membership_id,
        sold_by_id = excluded.sold_by_id,
        appointment_count = excluded.appointment_count,
        total = excluded.total,
        no_charge = excluded.no_charge,
        summary = excluded.summary,
        completed_on = excluded.completed_on,
        active = excluded.active,
        st_created_on = excluded.st_created_on,
        st_modified_on = excluded.st_modified_on,
        full_data = excluded.full_data,
        last_synced_at = excluded.last_synced_at
    -- write only what differs, so a re-loaded unchanged record changes nothing
    where to_jsonb(st_jobs) - 'last_synced_at'
        is distinct from to_jsonb(excluded) - 'last_synced_at'
    returning
        st_jobs.st_id,
        st_jobs.customer_id,
        (st_jobs.xmax = 0) as is_created
),

affected as (
    insert into pg_temp.affected_customers (customer_id)
    select upserted.customer_id
    from upserted
    union
    select jobs_previous.customer_id
    from pg_temp.jobs_previous
    inner join upserted on upserted.st_id = jobs_previous.st_id
)

update pg_temp.run_stats set
    records_fetched = (select count(*) from pg_temp.jobs_changed),
    records_created = (select count(*) from upserted where upserted.is_created),
    records_updated = (select count(*) from upserted where not upserted.is_created),
    watermark = (select max(jobs_changed.batched_at) from pg_temp.jobs_changed)
where run_stats.module = 'st_jobs';

-- full refresh only: rows whose raw record is gone
with

removed as (
    delete from {target}.st_jobs as st_jobs
    where
        st_jobs.tenant_id = {tenant_id}
        and {full_refresh}
        and not exists (
            select 1
            from {raw_jobs} as raw_jobs
            where raw_jobs.id = st_jobs.st_id
        )
    returning st_jobs.customer_id
),

affected as (
    insert into pg_temp.affected_customers (customer_id)
    select removed.customer_id
    from removed
)

update pg_temp.run_stats set
    records_deleted = (select count(*) from removed),
    completed_at = clock_timestamp()
where run_stats.module = 'st_jobs';
