-- Fails on a real gap: the latest check of a stream found fewer records in the
-- warehouse than ServiceTitan counts (st_reconciliation, status missing). Each
-- gap is also logged in one line naming the stream and the missing records.
with

latest as (
    select distinct on (tenant_id, stream)
        tenant_id,
        stream,
        checked_at,
        api_total,
        warehouse_total,
        difference,
        status,
        message
    from {{ ref('st_reconciliation') }}
    order by tenant_id, stream, checked_at desc
),

gaps as (
    select tenant_id, stream, checked_at, api_total, warehouse_total, difference, message
    from latest
    where status = 'missing'
)

{%- if execute %}
{%- set found = run_query('select tenant_id, message from ' ~ ref('st_reconciliation')
    ~ ' as r where status = $$missing$$ and checked_at = (select max(checked_at) from '
    ~ ref('st_reconciliation') ~ ' as l where l.tenant_id = r.tenant_id and l.stream = r.stream)') %}
{%- for row in found.rows %}
{{ log('reconciliation gap, tenant ' ~ row[0] ~ ': ' ~ row[1], info=True) }}
{%- endfor %}
{%- endif %}

select * from gaps
