-- st_sync_log and the transform state (SPEC.md section 4, st_sync_log).
-- Placeholders in braces are filled in by the runner with quoted identifiers
-- and literals (psycopg.sql); they are never pasted user input.

-- st_sync_log: one row per normalized table per transform run
create table if not exists {target}.st_sync_log (
    tenant_id bigint not null,
    st_id bigint generated always as identity,
    module text not null,
    sync_type text not null,
    status text not null,
    records_fetched bigint not null default 0,
    records_created bigint not null default 0,
    records_updated bigint not null default 0,
    records_deleted bigint not null default 0,
    records_failed bigint not null default 0,
    duration_ms bigint,
    error_message text,
    started_at timestamptz not null,
    completed_at timestamptz,
    primary key (tenant_id, st_id),
    constraint st_sync_log_sync_type_check check (sync_type in ('full', 'incremental')),
    constraint st_sync_log_status_check check (status in ('completed', 'failed'))
);

create index if not exists st_sync_log_module_idx
    on {target}.st_sync_log (tenant_id, module, status);

-- incremental watermark: the highest _sdc_batched_at of each raw table that a
-- successful run has already applied
create table if not exists {target}.servicetitan_transforms_state (
    tenant_id bigint not null,
    raw_table text not null,
    watermark timestamp not null,
    updated_at timestamptz not null,
    primary key (tenant_id, raw_table)
);
