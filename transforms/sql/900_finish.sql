-- Close the run: advance the watermarks and write st_sync_log.

-- SPEC st_sync_log.sync_type: full on the first build (or a full refresh),
-- else incremental
update pg_temp.run_stats set
    sync_type = case
        when {full_refresh} then 'full'
        when exists (
            select 1
            from {target}.st_sync_log as previous
            where previous.tenant_id = {tenant_id}
                and previous.module = run_stats.module
                and previous.status = 'completed'
        ) then 'incremental'
        else 'full'
    end;

-- the next run picks up raw rows batched after what this run has seen
insert into {target}.servicetitan_transforms_state as state (
    tenant_id,
    raw_table,
    watermark,
    updated_at
)
select
    {tenant_id},
    run_stats.raw_table,
    run_stats.watermark,
    now()
from pg_temp.run_stats
where run_stats.watermark is not null
on conflict (tenant_id, raw_table) do update set
    watermark = greatest(state.watermark, excluded.watermark),
    updated_at = excluded.updated_at
where state.watermark is distinct from greatest(state.watermark, excluded.watermark);

-- SPEC st_sync_log: one row per normalized table per transform run
insert into {target}.st_sync_log (
    tenant_id,
    module,
    sync_type,
    status,
    records_fetched,
    records_created,
    records_updated,
    records_deleted,
    records_failed,
    duration_ms,
    error_message,
    started_at,
    completed_at
)
select
    {tenant_id},
    run_stats.module,
    run_stats.sync_type,
    'completed',
    run_stats.records_fetched,
    run_stats.records_created,
    run_stats.records_updated,
    run_stats.records_deleted,
    0,
    (extract(epoch from run_stats.completed_at - run_stats.started_at) * 1000)::bigint,
    null,
    run_stats.started_at,
    run_stats.completed_at
from pg_temp.run_stats
order by run_stats.started_at;
