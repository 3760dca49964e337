-- st_estimates: one row per estimate.

create table if not exists {target}.st_estimates (
    tenant_id bigint not null,
    st_id bigint not null,
    job_id bigint,
    project_id bigint,
    location_id bigint,
    customer_id bigint,
    name text,
    job_number text,
    status text,
    status_value bigint,
    review_status text,
    summary text,
    sold_on timestamptz,
    sold_by bigint,
    subtotal numeric(14, 2),
    tax numeric(14, 2),
    business_unit_id bigint,
    is_recommended boolean,
    is_change_order boolean,
    active boolean,
    st_created_on timestamptz,
    st_modified_on timestamptz,
    full_data jsonb not null,
    last_synced_at timestamptz not null,
    primary key (tenant_id, st_id)
);

create index if not exists st_estimates_job_id_idx
    on {target}.st_estimates (tenant_id, job_id);

create index if not exists estimates__sdc_batched_at_idx
    on {raw_estimates} (_sdc_batched_at);

insert into pg_temp.run_stats (module, raw_table, started_at)
values ('st_estimates', 'estimates', clock_timestamp());

-- raw estimates batched since the previous run (all on a full build): their ids,
-- in a small analyzed table so that the planner sizes the steps below right
create temp table estimates_changed on commit drop as
select
    raw_estimates.id as st_id,
    raw_estimates._sdc_batched_at as batched_at
from {raw_estimates} as raw_estimates
where raw_estimates._sdc_batched_at > (
    select run_watermarks.since
    from pg_temp.run_watermarks
    where run_watermarks.raw_table = 'estimates'
);

analyze pg_temp.estimates_changed;

with

-- import: the changed raw estimates, typed columns cast and renamed once; full_data
-- is the raw record: every raw column but the loader's _sdc_* ones
estimates as (
    select
        raw_estimates.id as st_id,
        {raw_estimates.jobId}::bigint as job_id,
        {raw_estimates.projectId}::bigint as project_id,
        {raw_estimates.locationId}::bigint as location_id,
        {raw_estimates.customerId}::bigint as customer_id,
        {raw_estimates.name}::text as name,
        {raw_estimates.jobNumber}::text as job_number,
        {raw_estimates.status}::jsonb ->> 'name' as status,
        ({raw_estimates.status}::jsonb ->> 'value')::bigint as status_value,
        {raw_estimates.reviewStatus}::text as review_status,
        {raw_estimates.summary}::text as summary,
        {raw_estimates.soldOn}::timestamptz as sold_on,
        {raw_estimates.soldBy}::bigint as sold_by,
        {raw_estimates.subtotal}::numeric(14, 2) as subtotal,
        {raw_estimates.tax}::numeric(14, 2) as tax,
        {raw_estimates.businessUnitId}::bigint as business_unit_id,
        {raw_estimates.isRecommended}::boolean as is_recommended,
        {raw_estimates.isChangeOrder}::boolean as is_change_order,
        {raw_estimates.active}::boolean as active,
        {raw_estimates.createdOn}::timestamptz as st_created_on,
        {raw_estimates.modifiedOn}::timestamptz as st_modified_on,
        to_jsonb(estimates_record) as full_data
    from {raw_estimates} as raw_estimates
    inner join pg_temp.estimates_changed on estimates_changed.st_id = raw_estimates.id
    cross join lateral (select {raw_estimates.*}) as estimates_record
),

staged as (
    select
        {tenant_id}::bigint as tenant_id,
        estimates.st_id,
        estimates.job_id,
        estimates.project_id,
        estimates.location_id,
        estimates.customer_id,
        estimates.name,
        estimates.job_number,
        estimates.status,
        estimates.status_value,
        estimates.review_status,
        estimates.summary,
        estimates.sold_on,
        estimates.sold_by,
        estimates.subtotal,
        estimates.tax,
        estimates.business_unit_id,
        estimates.is_recommended,
        estimates.is_change_order,
        estimates.active,
        estimates.st_created_on,
        estimates.st_modified_on,
        estimates.full_data,
        now() as last_synced_at
    from estimates
),

upserted as (
    insert into {target}.st_estimates as st_estimates (
        tenant_id,
        st_id,
        job_id,
        project_id,
        location_id,
        customer_id,
        name,
        job_number,
        status,
        status_value,
        review_status,
        summary,
        sold_on,
        sold_by,
        subtotal,
        tax,
        business_unit_id,
        is_recommended,
        is_change_order,
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
        staged.project_id,
        staged.location_id,
        staged.customer_id,
        staged.name,
        staged.job_number,
        staged.status,
        staged.status_value,
        staged.review_status,
        staged.summary,
        staged.sold_on,
        staged.sold_by,
        staged.subtotal,
        staged.tax,
        staged.business_unit_id,
        staged.is_recommended,
        staged.is_change_order,
        staged.active,
        staged.st_created_on,
        staged.st_modified_on,
        staged.full_data,
        staged.last_synced_at
    from staged
    on conflict (tenant_id, st_id) do update set
        job_id = excluded.job_id,
        project_id = excluded.project_id,
        location_id = excluded.location_id,
        customer_id = excluded.customer_id,
        name = excluded.name,
        job_number = excluded.job_number,
        status = excluded.status,
        status_value = excluded.status_value,
        review_status = excluded.review_status,
        summary = excluded.summary,
        sold_on = excluded.sold_on,
        sold_by = excluded.sold_by,
        subtotal = excluded.subtotal,
        tax = excluded.tax,
        business_unit_id = excluded.business_unit_id,
        is_recommended = excluded.is_recommended,
        is_change_order = excluded.is_change_order,
        active = excluded.active,
        st_created_on = excluded.st_created_on,
        st_modified_on = excluded.st_modified_on,
        full_data = excluded.full_data,
        last_synced_at = excluded.last_synced_at
    -- write only what differs, so a re-loaded unchanged record changes nothing
    where to_jsonb(st_estimates) - 'last_synced_at'
        is distinct from to_jsonb(excluded) - 'last_synced_at'
    returning
        st_estimates.st_id,
        (st_estimates.xmax = 0) as is_created
)

update pg_temp.run_stats set
    records_fetched = (select count(*) from pg_temp.estimates_changed),
    records_created = (select count(*) from upserted where upserted.is_created),
    records_updated = (select count(*) from upserted where not upserted.is_created),
    watermark = (select max(estimates_changed.batched_at) from pg_temp.estimates_changed)
where run_stats.module = 'st_estimates';

-- full refresh only: rows whose raw record is gone
with

removed as (
    delete from {target}.st_estimates as st_estimates
    where
        st_estimates.tenant_id = {tenant_id}
        and {full_refresh}
        and not exists (
            select 1
            from {raw_estimates} as raw_estimates
            where raw_estimates.id = st_estimates.st_id
        )
    returning st_estimates.st_id
)

update pg_temp.run_stats set
    records_deleted = (select count(*) from removed),
    completed_at = clock_timestamp()
where run_stats.module = 'st_estimates';
