-- st_invoices: one row per invoice, with status Paid / Unpaid.
-- Feeds lifetime_value of st_customers.

create table if not exists {target}.st_invoices (
    tenant_id bigint not null,
    st_id bigint not null,
    customer_id bigint,
    customer_name text,
    job_id bigint,
    job_number text,
    job_type text,
    location_id bigint,
    project_id bigint,
    business_unit_id bigint,
    reference_number text,
    invoice_type text,
    adjustment_to_id bigint,
    invoice_date timestamptz,
    due_date timestamptz,
    paid_on timestamptz,
    sub_total numeric(14, 2),
    sales_tax numeric(14, 2),
    discount_total numeric(14, 2),
    total numeric(14, 2),
    balance numeric(14, 2),
    status text,
    sent_status text,
    review_status text,
    sync_status text,
    active boolean,
    st_created_on timestamptz,
    st_modified_on timestamptz,
    full_data jsonb not null,
    last_synced_at timestamptz not null,
    primary key (tenant_id, st_id)
);

create index if not exists st_invoices_customer_id_idx
    on {target}.st_invoices (tenant_id, customer_id);

create index if not exists st_invoices_job_id_idx
    on {target}.st_invoices (tenant_id, job_id);

create index if not exists invoices__sdc_batched_at_idx
    on {raw_invoices} (_sdc_batched_at);

insert into pg_temp.run_stats (module, raw_table, started_at)
values ('st_invoices', 'invoices', clock_timestamp());

-- raw invoices batched since the previous run (all on a full build): their ids,
-- in a small analyzed table so that the planner sizes the steps below right
create temp table invoices_changed on commit drop as
select
    raw_invoices.id as st_id,
    raw_invoices._sdc_batched_at as batched_at
from {raw_invoices} as raw_invoices
where raw_invoices._sdc_batched_at > (
    select run_watermarks.since
    from pg_temp.run_watermarks
    where run_watermarks.raw_table = 'invoices'
);

analyze pg_temp.invoices_changed;

-- the customer each changed invoice belonged to before this run: a key lookup
-- per changed invoice (none on a first build), done before anything is written
create temp table invoices_previous on commit drop as
select
    st_invoices.st_id,
    st_invoices.customer_id
from pg_temp.invoices_changed
inner join {target}.st_invoices as st_invoices
    on st_invoices.tenant_id = {tenant_id} and st_invoices.st_id = invoices_changed.st_id;

analyze pg_temp.invoices_previous;

with

-- import: the changed raw invoices, typed columns cast and renamed once; full_data
-- is the raw record: every raw column but the loader's _sdc_* ones
invoices as (
    select
        raw_invoices.id as st_id,
        ({raw_invoices.customer}::jsonb ->> 'id')::bigint as customer_id,
        {raw_invoices.customer}::jsonb ->> 'name' as customer_name,
        ({raw_invoices.job}::jsonb ->> 'id')::bigint as job_id,
        {raw_invoices.job}::jsonb ->> 'number' as job_number,
        {raw_invoices.job}::jsonb ->> 'type' as job_type,
        ({raw_invoices.location}::jsonb ->> 'id')::bigint as location_id,
        {raw_invoices.projectId}::bigint as project_id,
        ({raw_invoices.businessUnit}::jsonb ->> 'id')::bigint as business_unit_id,
        {raw_invoices.referenceNumber}::text as reference_number,
        {raw_invoices.invoiceType}::jsonb ->> 'name' as invoice_type,
        {raw_invoices.adjustmentToId}::bigint as adjustment_to_id,
        {raw_invoices.invoiceDate}::timestamptz as invoice_date,
        {raw_invoices.dueDate}::timestamptz as due_date,
        {raw_invoices.paidOn}::timestamptz as paid_on,
        {raw_invoices.subTotal}::numeric(14, 2) as sub_total,
        {raw_invoices.salesTax}::numeric(14, 2) as sales_tax,
        {raw_invoices.discountTotal}::numeric(14, 2) as discount_total,
        {raw_invoices.total}::numeric(14, 2) as total,
        {raw_invoices.balance}::numeric as balance_amount,
        {raw_invoices.sentStatus}::text as sent_status,
        {raw_invoices.reviewStatus}::text as review_status,
        {raw_invoices.syncStatus}::text as sync_status,
        {raw_invoices.active}::boolean as active,
        {raw_invoices.createdOn}::timestamptz as st_created_on,
        {raw_invoices.modifiedOn}::timestamptz as st_modified_on,
        to_jsonb(invoices_record) as full_data
    from {raw_invoices} as raw_invoices
    inner join pg_temp.invoices_changed on invoices_changed.st_id = raw_invoices.id
    cross join lateral (select {raw_invoices.*}) as invoices_record
),

staged as (
    select
        {tenant_id}::bigint as tenant_id,
        invoices.st_id,
        -- the invoice belongs to a customer by its customer.id
        invoices.customer_id,
        invoices.customer_name,
        invoices.job_id,
        invoices.job_number,
        invoices.job_type,
        invoices.location_id,
        invoices.project_id,
        invoices.business_unit_id,
        invoices.reference_number,
        invoices.invoice_type,
        invoices.adjustment_to_id,
        invoices.invoice_date,
        invoices.due_date,
        invoices.paid_on,
        invoices.sub_total,
        invoices.sales_tax,
        invoices.discount_total,
        invoices.total,
        invoices.balance_amount::numeric(14, 2) as balance,
        -- SPEC paid invoice: active, balance = 0 ("0" and "0.00" alike) and a
        -- customer.id to belong to; st_invoices.status Paid, else Unpaid
        case
            when invoices.active
                and invoices.balance_amount = 0
                and invoices.customer_id is not null
                then 'Paid'
            else 'Unpaid'
        end as status,
        invoices.sent_status,
        invoices.review_status,
        invoices.sync_status,
        invoices.active,
        invoices.st_created_on,
        invoices.st_modified_on,
        invoices.full_data,
        now() as last_synced_at
    from invoices
),

upserted as (
    insert into {target}.st_invoices as st_invoices (
        tenant_id,
        st_id,
        customer_id,
        customer_name,
        job_id,
        job_number,
        job_type,
        location_id,
        project_id,
        business_unit_id,
        reference_number,
        invoice_type,
        adjustment_to_id,
        invoice_date,
        due_date,
        paid_on,
        sub_total,
        sales_tax,
        discount_total,
        total,
        balance,
        status,
        sent_status,
        review_status,
        sync_status,
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
        staged.customer_name,
        staged.job_id,
        staged.job_number,
        staged.job_type,
        staged.location_id,
        staged.project_id,
        staged.business_unit_id,
        staged.reference_number,
        staged.invoice_type,
        staged.adjustment_to_id,
        staged.invoice_date,
        staged.due_date,
        staged.paid_on,
        staged.sub_total,
        staged.sales_tax,
        staged.discount_total,
        staged.total,
        staged.balance,
        staged.status,
        staged.sent_status,
        staged.review_status,
        staged.sync_status,
        staged.active,
        staged.st_created_on,
        staged.st_modified_on,
        staged.full_data,
        staged.last_synced_at
    from staged
    on conflict (tenant_id, st_id) do update set
        customer_id = excluded.customer_id,
        customer_name = excluded.customer_name,
        job_id = excluded.job_id,
        job_number = excluded.job_number,
        job_type = excluded.job_type,
        location_id = excluded.location_id,
        project_id = excluded.project_id,
        business_unit_id = excluded.business_unit_id,
        reference_number = excluded.reference_number,
        invoice_type = excluded.invoice_type,
        adjustment_to_id = excluded.adjustment_to_id,
        invoice_date = excluded.invoice_date,
        due_date = excluded.due_date,
        paid_on = excluded.paid_on,
        sub_total = excluded.sub_total,
        sales_tax = excluded.sales_tax,
        discount_total = excluded.discount_total,
        total = excluded.total,
        balance = excluded.balance,
        status = excluded.status,
        sent_status = excluded.sent_status,
        review_status = excluded.review_status,
        sync_status = excluded.sync_status,
        active = excluded.active,
        st_created_on = excluded.st_created_on,
        st_modified_on = excluded.st_modified_on,
        full_data = excluded.full_data,
        last_synced_at = excluded.last_synced_at
    -- write only what differs, so a re-loaded unchanged record changes nothing
    where to_jsonb(st_invoices) - 'last_synced_at'
        is distinct from to_jsonb(excluded) - 'last_synced_at'
    returning
        st_invoices.st_id,
        st_invoices.customer_id,
        (st_invoices.xmax = 0) as is_created
),

affected as (
    insert into pg_temp.affected_customers (customer_id)
    select upserted.customer_id
    from upserted
    union
    select invoices_previous.customer_id
    from pg_temp.invoices_previous
    inner join upserted on upserted.st_id = invoices_previous.st_id
)

update pg_temp.run_stats set
    records_fetched = (select count(*) from pg_temp.invoices_changed),
    records_created = (select count(*) from upserted where upserted.is_created),
    records_updated = (select count(*) from upserted where not upserted.is_created),
    watermark = (select max(invoices_changed.batched_at) from pg_temp.invoices_changed)
where run_stats.module = 'st_invoices';

-- full refresh only: rows whose raw record is gone
with

removed as (
    delete from {target}.st_invoices as st_invoices
    where
        st_invoices.tenant_id = {tenant_id}
        and {full_refresh}
        and not exists (
            select 1
            from {raw_invoices} as raw_invoices
            where raw_invoices.id = st_invoices.st_id
        )
    returning st_invoices.customer_id
),

affected as (
    insert into pg_temp.affected_customers (customer_id)
    select removed.customer_id
    from removed
)

update pg_temp.run_stats set
    records_deleted = (select count(*) from removed),
    completed_at = clock_timestamp()
where run_stats.module = 'st_invoices';
