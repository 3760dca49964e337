-- st_customer_contacts: one row per customer contact (e-mail, phones, fax).
-- Feeds the email / phone choice of st_customers.

create table if not exists {target}.st_customer_contacts (
    tenant_id bigint not null,
    st_id bigint not null,
    customer_id bigint,
    type text,
    value text,
    phone_number text,
    memo text,
    active boolean,
    st_created_on timestamptz,
    st_modified_on timestamptz,
    full_data jsonb not null,
    last_synced_at timestamptz not null,
    primary key (tenant_id, st_id)
);

create index if not exists st_customer_contacts_customer_id_idx
    on {target}.st_customer_contacts (tenant_id, customer_id);

create index if not exists customer_contacts__sdc_batched_at_idx
    on {raw_customer_contacts} (_sdc_batched_at);

insert into pg_temp.run_stats (module, raw_table, started_at)
values ('st_customer_contacts', 'customer_contacts', clock_timestamp());

-- raw contacts batched since the previous run (all on a full build): their ids,
-- in a small analyzed table so that the planner sizes the steps below right
create temp table contacts_changed on commit drop as
select
    raw_customer_contacts.id as st_id,
    raw_customer_contacts._sdc_batched_at as batched_at
from {raw_customer_contacts} as raw_customer_contacts
where raw_customer_contacts._sdc_batched_at > (
    select run_watermarks.since
    from pg_temp.run_watermarks
    where run_watermarks.raw_table = 'customer_contacts'
);

analyze pg_temp.contacts_changed;

-- the customer each changed contact belonged to before this run: a key lookup
-- per changed contact (none on a first build), done before anything is written
create temp table contacts_previous on commit drop as
select
    st_customer_contacts.st_id,
    st_customer_contacts.customer_id
from pg_temp.contacts_changed
inner join {target}.st_customer_contacts as st_customer_contacts
    on st_customer_contacts.tenant_id = {tenant_id}
    and st_customer_contacts.st_id = contacts_changed.st_id;

analyze pg_temp.contacts_previous;

with

-- import: the changed raw contacts, typed columns cast and renamed once;
-- full_data is the raw record: every raw column but the loader's _sdc_* ones
customer_contacts as (
    select
        raw_customer_contacts.id as st_id,
        {raw_customer_contacts.customerId}::bigint as customer_id,
        {raw_customer_contacts.type}::text as type,
        {raw_customer_contacts.value}::text as value,
        {raw_customer_contacts.memo}::text as memo,
        {raw_customer_contacts.active}::boolean as is_active,
        {raw_customer_contacts.createdOn}::timestamptz as st_created_on,
        {raw_customer_contacts.modifiedOn}::timestamptz as st_modified_on,
        to_jsonb(contacts_record) as full_data
    from {raw_customer_contacts} as raw_customer_contacts
    inner join pg_temp.contacts_changed on contacts_changed.st_id = raw_customer_contacts.id
    cross join lateral (select {raw_customer_contacts.*}) as contacts_record
),

contacts_renamed as (
    select
        customer_contacts.st_id,
        customer_contacts.customer_id,
        customer_contacts.type,
        customer_contacts.value,
        regexp_replace(customer_contacts.value, '[^0-9]', '', 'g') as value_digits,
        customer_contacts.memo,
        customer_contacts.is_active,
        customer_contacts.st_created_on,
        customer_contacts.st_modified_on,
        customer_contacts.full_data
    from customer_contacts
),

staged as (
    select
        {tenant_id}::bigint as tenant_id,
        contacts_renamed.st_id,
        contacts_renamed.customer_id,
        contacts_renamed.type,
        contacts_renamed.value,
        -- SPEC phone normalization: keep the digits; 10 digits -> (XXX) XXX-XXXX;
        -- 11 digits starting with 1 -> the same format of the last 10;
        -- anything else -> the value unchanged
        case
            when coalesce(contacts_renamed.type, '') not in ('Phone', 'MobilePhone') then null
            when length(contacts_renamed.value_digits) = 10
                then '(' || substr(contacts_renamed.value_digits, 1, 3) || ') '
                    || substr(contacts_renamed.value_digits, 4, 3) || '-'
                    || substr(contacts_renamed.value_digits, 7, 4)
            when length(contacts_renamed.value_digits) = 11
                and left(contacts_renamed.value_digits, 1) = '1'
                then '(' || substr(contacts_renamed.value_digits, 2, 3) || ') '
                    || substr(contacts_renamed.value_digits, 5, 3) || '-'
                    || substr(contacts_renamed.value_digits, 8, 4)
            else contacts_renamed.value
        end as phone_number,
        contacts_renamed.memo,
        contacts_renamed.is_active as active,
        contacts_renamed.st_created_on,
        contacts_renamed.st_modified_on,
        contacts_renamed.full_data,
        now() as last_synced_at
    from contacts_renamed
),

upserted as (
    insert into {target}.st_customer_contacts as st_customer_contacts (
        tenant_id,
        st_id,
        customer_id,
        type,
        value,
        phone_number,
        memo,
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
        staged.type,
        staged.value,
        staged.phone_number,
        staged.memo,
        staged.active,
        staged.st_created_on,
        staged.st_modified_on,
        staged.full_data,
        staged.last_synced_at
    from staged
    on conflict (tenant_id, st_id) do update set
        customer_id = excluded.customer_id,
        type = excluded.type,
        value = excluded.value,
        phone_number = excluded.phone_number,
        memo = excluded.memo,
        active = excluded.active,
        st_created_on = excluded.st_created_on,
        st_modified_on = excluded.st_modified_on,
        full_data = excluded.full_data,
        last_synced_at = excluded.last_synced_at
    -- write only what differs, so a re-loaded unchanged record changes nothing
    where to_jsonb(st_customer_contacts) - 'last_synced_at'
        is distinct from to_jsonb(excluded) - 'last_synced_at'
    returning
        st_customer_contacts.st_id,
        st_customer_contacts.customer_id,
        (st_customer_contacts.xmax = 0) as is_created
),

affected as (
    insert into pg_temp.affected_customers (customer_id)
    select upserted.customer_id
    from upserted
    union
    select contacts_previous.customer_id
    from pg_temp.contacts_previous
    inner join upserted on upserted.st_id = contacts_previous.st_id
)

update pg_temp.run_stats set
    records_fetched = (select count(*) from pg_temp.contacts_changed),
    records_created = (select count(*) from upserted where upserted.is_created),
    records_updated = (select count(*) from upserted where not upserted.is_created),
    watermark = (select max(contacts_changed.batched_at) from pg_temp.contacts_changed)
where run_stats.module = 'st_customer_contacts';

-- full refresh only: rows whose raw record is gone
with

removed as (
    delete from {target}.st_customer_contacts as st_customer_contacts
    where
        st_customer_contacts.tenant_id = {tenant_id}
        and {full_refresh}
        and not exists (
            select 1
            from {raw_customer_contacts} as raw_customer_contacts
            where raw_customer_contacts.id = st_customer_contacts.st_id
        )
    returning st_customer_contacts.customer_id
),

affected as (
    insert into pg_temp.affected_customers (customer_id)
    select removed.customer_id
    from removed
)

update pg_temp.run_stats set
    records_deleted = (select count(*) from removed),
    completed_at = clock_timestamp()
where run_stats.module = 'st_customer_contacts';
