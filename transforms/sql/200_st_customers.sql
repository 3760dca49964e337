-- st_customers: one row per customer in the raw customers table (active or
-- not), with its chosen contacts, primary address and aggregates
-- (SPEC.md section 4, st_customers). Runs after the tables it reads:
-- st_customer_contacts, st_locations, st_jobs, st_invoices.

create table if not exists {target}.st_customers (
    tenant_id bigint not null,
    st_id bigint not null,
    name text,
    first_name text,
    last_name text,
    type text,
    email text,
    phone text,
    location_id bigint,
    address_line1 text,
    address_line2 text,
    city text,
    state text,
    postal_code text,
    country text,
    active boolean,
    do_not_mail boolean,
    do_not_service boolean,
    merged_to_id bigint,
    balance numeric(14, 2),
    tax_exempt boolean,
    national_account boolean,
    st_created_on timestamptz,
    st_modified_on timestamptz,
    full_data jsonb not null,
    last_synced_at timestamptz not null,
    total_jobs bigint not null default 0,
    completed_jobs bigint not null default 0,
    lifetime_value numeric(14, 2) not null default 0,
    last_job_date timestamptz,
    aggregates_updated_at timestamptz not null,
    primary key (tenant_id, st_id)
);

create index if not exists customers__sdc_batched_at_idx
    on {raw_customers} (_sdc_batched_at);

insert into pg_temp.run_stats (module, raw_table, started_at)
values ('st_customers', 'customers', clock_timestamp());

-- raw customers batched since the previous run (all on a full build)
create temp table customers_changed on commit drop as
select
    raw_customers.id as customer_id,
    raw_customers._sdc_batched_at as batched_at
from {raw_customers} as raw_customers
where raw_customers._sdc_batched_at > (
    select run_watermarks.since
    from pg_temp.run_watermarks
    where run_watermarks.raw_table = 'customers'
);

-- customers to recompute: the changed ones, and the old and the new customer
-- of every contact, location, job and invoice written by the files before
-- (a small analyzed table, so that the planner sizes the joins below right)
create temp table customers_affected on commit drop as
select customers_changed.customer_id
from pg_temp.customers_changed
union
select affected_customers.customer_id
from pg_temp.affected_customers
where affected_customers.customer_id is not null;

analyze pg_temp.customers_changed;

analyze pg_temp.customers_affected;

with

affected as (
    select customers_affected.customer_id
    from pg_temp.customers_affected
),

-- import: the raw records of the affected customers, typed columns cast and
-- renamed once; full_data is the raw record: every raw column but the
-- loader's _sdc_* ones
customers as (
    select
        raw_customers.id as st_id,
        {raw_customers.name}::text as name,
        {raw_customers.firstName}::text as first_name,
        {raw_customers.lastName}::text as last_name,
        {raw_customers.type}::text as type,
        {raw_customers.address}::jsonb ->> 'street' as address_street,
        {raw_customers.address}::jsonb ->> 'unit' as address_unit,
        {raw_customers.address}::jsonb ->> 'city' as address_city,
        {raw_customers.address}::jsonb ->> 'state' as address_state,
        {raw_customers.address}::jsonb ->> 'zip' as address_zip,
        {raw_customers.address}::jsonb ->> 'country' as address_country,
        {raw_customers.active}::boolean as is_active,
        {raw_customers.doNotMail}::boolean as do_not_mail,
        {raw_customers.doNotService}::boolean as do_not_service,
        {raw_customers.mergedToId}::bigint as merged_to_id,
        {raw_customers.balance}::numeric(14, 2) as balance,
        {raw_customers.taxExempt}::boolean as tax_exempt,
        {raw_customers.nationalAccount}::boolean as national_account,
        {raw_customers.createdOn}::timestamptz as st_created_on,
        {raw_customers.modifiedOn}::timestamptz as st_modified_on,
        to_jsonb(customers_record) as full_data
    from {raw_customers} as raw_customers
    inner join affected on affected.customer_id = raw_customers.id
    cross join lateral (select {raw_customers.*}) as customers_record
),

-- import: contacts, locations, jobs, invoices of the affected customers
contacts as (
    select
        st_customer_contacts.customer_id,
        st_customer_contacts.st_id as contact_id,
        case
            when st_customer_contacts.type = 'Email' then 'email'
            else 'phone'
        end as contact_kind,
        case
            when st_customer_contacts.type = 'Email' then st_customer_contacts.value
            else st_customer_contacts.phone_number
        end as contact_value,
        st_customer_contacts.active as is_active
    from {target}.st_customer_contacts as st_customer_contacts
    inner join affected on affected.customer_id = st_customer_contacts.customer_id
    where
        st_customer_contacts.tenant_id = {tenant_id}
        and st_customer_contacts.type in ('Email', 'Phone', 'MobilePhone')
),

locations as (
    select
        st_locations.customer_id,
        st_locations.st_id as location_id,
        st_locations.address_line1,
        st_locations.address_line2,
        st_locations.city,
        st_locations.state,
        st_locations.postal_code,
        st_locations.country,
        st_locations.active as is_active
    from {target}.st_locations as st_locations
    inner join affected on affected.customer_id = st_locations.customer_id
    where st_locations.tenant_id = {tenant_id}
),

jobs as (
    select
        st_jobs.customer_id,
        st_jobs.job_status,
        st_jobs.st_created_on,
        st_jobs.active as is_active
    from {target}.st_jobs as st_jobs
    inner join affected on affected.customer_id = st_jobs.customer_id
    where st_jobs.tenant_id = {tenant_id}
),

invoices as (
    select
        st_invoices.customer_id,
        st_invoices.total,
        st_invoices.status
    from {target}.st_invoices as st_invoices
    inner join affected on affected.customer_id = st_invoices.customer_id
    where st_invoices.tenant_id = {tenant_id}
),

-- SPEC st_customers.email / phone: among the customer's Email (resp. Phone and
-- MobilePhone) contacts, active contacts first, then the lowest contact id;
-- phones are already normalized in st_customer_contacts.phone_number
contacts_ranked as (
    select
        contacts.customer_id,
        contacts.contact_kind,
        contacts.contact_value,
        row_number() over (
            partition by contacts.customer_id, contacts.contact_kind
            order by contacts.is_active desc nulls last, contacts.contact_id
        ) as contact_rank
    from contacts
),

primary_contacts as (
    select
        contacts_ranked.customer_id,
        max(contacts_ranked.contact_value) filter (
            where contacts_ranked.contact_kind = 'email'
        ) as email,
        max(contacts_ranked.contact_value) filter (
            where contacts_ranked.contact_kind = 'phone'
        ) as phone
    from contacts_ranked
    where contacts_ranked.contact_rank = 1
    group by contacts_ranked.customer_id
),

-- SPEC st_customers.location_id: the primary location, active locations
-- first, then the lowest location id
locations_ranked as (
    select
        locations.customer_id,
        locations.location_id,
        locations.address_line1,
        locations.address_line2,
        locations.city,
        locations.state,
        locations.postal_code,
        locations.country,
        row_number() over (
            partition by locations.customer_id
            order by locations.is_active desc nulls last, locations.location_id
        ) as location_rank
    from locations
),

primary_locations as (
    select
        locations_ranked.customer_id,
        locations_ranked.location_id,
        locations_ranked.address_line1,
        locations_ranked.address_line2,
        locations_ranked.city,
        locations_ranked.state,
        locations_ranked.postal_code,
        locations_ranked.country
    from locations_ranked
    where locations_ranked.location_rank = 1
),

-- SPEC st_customers.total_jobs / completed_jobs / last_job_date: jobs with
-- active true; those with jobStatus Completed; their latest createdOn
jobs_by_customer as (
    select
        jobs.customer_id,
        count(*) as total_jobs,
        count(*) filter (where jobs.job_status = 'Completed') as completed_jobs,
        max(jobs.st_created_on) as last_job_date
    from jobs
    where jobs.is_active
    group by jobs.customer_id
),

-- SPEC st_customers.lifetime_value: sum of total over the customer's paid
-- invoices (st_invoices.status = 'Paid', matched by customer.id)
paid_invoices_by_customer as (
    select
        invoices.customer_id,
        coalesce(sum(invoices.total), 0) as lifetime_value
    from invoices
    where invoices.status = 'Paid'
    group by invoices.customer_id
),

staged as (
    select
        {tenant_id}::bigint as tenant_id,
        customers.st_id,
        -- SPEC st_customers.name: name; if empty, "first last"; if still
        -- empty, Customer <id>
        coalesce(
            nullif(btrim(customers.name), ''),
            nullif(
                concat_ws(
                    ' ',
                    nullif(btrim(customers.first_name), ''),
                    nullif(btrim(customers.last_name), '')
                ),
                ''
            ),
            'Customer ' || customers.st_id
        ) as name,
        -- SPEC st_customers.first_name / last_name: from the record, else null
        customers.first_name,
        customers.last_name,
        -- SPEC st_customers.type: default Residential
        coalesce(nullif(btrim(customers.type), ''), 'Residential') as type,
        primary_contacts.email,
        primary_contacts.phone,
        primary_locations.location_id,
        -- SPEC st_customers address: from the primary location's address;
        -- without a location, from the customer's own address
        case
            when primary_locations.location_id is not null then primary_locations.address_line1
            else customers.address_street
        end as address_line1,
        case
            when primary_locations.location_id is not null then primary_locations.address_line2
            else customers.address_unit
        end as address_line2,
        case
            when primary_locations.location_id is not null then primary_locations.city
            else customers.address_city
        end as city,
        case
            when primary_locations.location_id is not null then primary_locations.state
            else customers.address_state
        end as state,
        case
            when primary_locations.location_id is not null then primary_locations.postal_code
            else customers.address_zip
        end as postal_code,
        -- SPEC st_customers.country: defaults to USA when empty
        coalesce(
            nullif(
                btrim(
                    case
                        when primary_locations.location_id is not null
                            then primary_locations.country
                        else customers.address_country
                    end
                ),
                ''
            ),
            'USA'
        ) as country,
        customers.is_active as active,
        customers.do_not_mail,
        customers.do_not_service,
        -- SPEC st_customers.merged_to_id: mergedToId
        customers.merged_to_id,
        customers.balance,
        customers.tax_exempt,
        customers.national_account,
        customers.st_created_on,
        customers.st_modified_on,
        customers.full_data,
        now() as last_synced_at,
        -- SPEC st_customers aggregates: every customer gets them, zeros / null
        -- when it has no jobs or paid invoices
        coalesce(jobs_by_customer.total_jobs, 0) as total_jobs,
        coalesce(jobs_by_customer.completed_jobs, 0) as completed_jobs,
        coalesce(paid_invoices_by_customer.lifetime_value, 0) as lifetime_value,
        jobs_by_customer.last_job_date,
        now() as aggregates_updated_at
    from customers
    left join primary_contacts on primary_contacts.customer_id = customers.st_id
    left join primary_locations on primary_locations.customer_id = customers.st_id
    left join jobs_by_customer on jobs_by_customer.customer_id = customers.st_id
    left join paid_invoices_by_customer
        on paid_invoices_by_customer.customer_id = customers.st_id
),

upserted as (
    insert into {target}.st_customers as st_customers (
        tenant_id,
        st_id,
        name,
        first_name,
        last_name,
        type,
        email,
        phone,
        location_id,
        address_line1,
        address_line2,
        city,
        state,
        postal_code,
        country,
        active,
        do_not_mail,
        do_not_service,
        merged_to_id,
        balance,
        tax_exempt,
        national_account,
        st_created_on,
        st_modified_on,
        full_data,
        last_synced_at,
        total_jobs,
        completed_jobs,
        lifetime_value,
        last_job_date,
        aggregates_updated_at
    )
    select
        staged.tenant_id,
        staged.st_id,
        staged.name,
        staged.first_name,
        staged.last_name,
        staged.type,
        staged.email,
        staged.phone,
        staged.location_id,
        staged.address_line1,
        staged.address_line2,
        staged.city,
        staged.state,
        staged.postal_code,
        staged.country,
        staged.active,
        staged.do_not_mail,
        staged.do_not_service,
        staged.merged_to_id,
        staged.balance,
        staged.tax_exempt,
        staged.national_account,
        staged.st_created_on,
        staged.st_modified_on,
        staged.full_data,
        staged.last_synced_at,
        staged.total_jobs,
        staged.completed_jobs,
        staged.lifetime_value,
        staged.last_job_date,
        staged.aggregates_updated_at
    from staged
    on conflict (tenant_id, st_id) do update set
        name = excluded.name,
        first_name = excluded.first_name,
        last_name = excluded.last_name,
        type = excluded.type,
        email = excluded.email,
        phone = excluded.phone,
        location_id = excluded.location_id,
        address_line1 = excluded.address_line1,
        address_line2 = excluded.address_line2,
        city = excluded.city,
        state = excluded.state,
        postal_code = excluded.postal_code,
        country = excluded.country,
        active = excluded.active,
        do_not_mail = excluded.do_not_mail,
        do_not_service = excluded.do_not_service,
        merged_to_id = excluded.merged_to_id,
        balance = excluded.balance,
        tax_exempt = excluded.tax_exempt,
        national_account = excluded.national_account,
        st_created_on = excluded.st_created_on,
        st_modified_on = excluded.st_modified_on,
        full_data = excluded.full_data,
        last_synced_at = excluded.last_synced_at,
        total_jobs = excluded.total_jobs,
        completed_jobs = excluded.completed_jobs,
        lifetime_value = excluded.lifetime_value,
        last_job_date = excluded.last_job_date,
        -- aggregates_updated_at moves only when an aggregate changes
        aggregates_updated_at = case
            when (
                st_customers.total_jobs,
                st_customers.completed_jobs,
                st_customers.lifetime_value,
                st_customers.last_job_date
            ) is distinct from (
                excluded.total_jobs,
                excluded.completed_jobs,
                excluded.lifetime_value,
                excluded.last_job_date
            ) then excluded.aggregates_updated_at
            else st_customers.aggregates_updated_at
        end
    -- write only what differs, so recomputing an unchanged customer changes nothing
    where to_jsonb(st_customers) - array['last_synced_at', 'aggregates_updated_at']
        is distinct from to_jsonb(excluded) - array['last_synced_at', 'aggregates_updated_at']
    returning
        st_customers.st_id,
        (st_customers.xmax = 0) as is_created
)

update pg_temp.run_stats set
    records_fetched = (select count(*) from pg_temp.customers_changed),
    records_created = (select count(*) from upserted where upserted.is_created),
    records_updated = (select count(*) from upserted where not upserted.is_created),
    watermark = (select max(customers_changed.batched_at) from pg_temp.customers_changed)
where run_stats.module = 'st_customers';

-- full refresh only: rows whose raw record is gone
with

removed as (
    delete from {target}.st_customers as st_customers
    where
        st_customers.tenant_id = {tenant_id}
        and {full_refresh}
        and not exists (
            select 1
            from {raw_customers} as raw_customers
            where raw_customers.id = st_customers.st_id
        )
    returning st_customers.st_id
)

update pg_temp.run_stats set
    records_deleted = (select count(*) from removed),
    completed_at = clock_timestamp()
where run_stats.module = 'st_customers';
