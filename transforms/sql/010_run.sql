-- Per-run working tables (dropped at commit) and the incremental window.

-- one run per tenant at a time
select pg_advisory_xact_lock(hashtextextended('servicetitan-transforms:' || {tenant_id}::text, 0));

-- all timestamps are UTC: raw date-times without an offset are read as UTC
set local time zone 'UTC';

-- the sorts and hashes of a full build fit in memory instead of spilling
set local work_mem = '64MB';

-- the st_* tables are derived and rebuildable, and the run is one transaction
-- (all or nothing), so the commit need not wait for its WAL flush
set local synchronous_commit = off;

create temp table run_params on commit drop as
select
    {tenant_id}::bigint as tenant_id,
    {full_refresh}::boolean as is_full_refresh,
    now() as run_at;

-- the window of each raw table: rows batched after `since` are "changed";
-- a full refresh, or a table never applied before, starts from -infinity
create temp table run_watermarks on commit drop as
with

raw_tables as (
    select unnest(array[
        'customers',
        'customer_contacts',
        'locations',
        'jobs',
        'invoices',
        'appointments',
        'estimates',
        'technicians'
    ]) as raw_table
),

previous_state as (
    select
        state.raw_table,
        state.watermark
    from {target}.servicetitan_transforms_state as state
    where state.tenant_id = {tenant_id}
)

select
    raw_tables.raw_table,
    case
        when {full_refresh} then '-infinity'::timestamp
        else coalesce(previous_state.watermark, '-infinity'::timestamp)
    end as since
from raw_tables
left join previous_state on previous_state.raw_table = raw_tables.raw_table;

-- per-table counters, filled by each table's file
create temp table run_stats (
    module text primary key,
    raw_table text not null,
    sync_type text,
    records_fetched bigint not null default 0,
    records_created bigint not null default 0,
    records_updated bigint not null default 0,
    records_deleted bigint not null default 0,
    watermark timestamp,
    started_at timestamptz not null,
    completed_at timestamptz
) on commit drop;

-- customers whose aggregates, contacts or address must be recomputed:
-- the old and the new customer of every child row written or removed
create temp table affected_customers (
    customer_id bigint
) on commit drop;
