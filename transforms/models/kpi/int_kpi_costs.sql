-- One row per marketing cost: a campaign's daily cost for a month. Queues the
-- months whose cost changed, before and after; the tap re-reads every cost on
-- each run, and a cost re-sent unchanged queues nothing.
{{ config(
    materialized='st_incremental',
    meta={
        'raw_tables': ['costs'],
        'queues': [{'queue': 'kpi_cost_months', 'column': 'month', 'when': 'differs'}],
    },
) }}

with

costs as (
    select * from {{ ref('stg_servicetitan__costs') }}
    where {{ changed_rows('costs') }}
),

final as (
    select
        tenant_id,
        st_id,
        campaign_id,
        case
            when cost_month between 1 and 12
                then make_date(cost_year::integer, cost_month::integer, 1)
        end as month,
        coalesce(daily_cost, 0)::numeric(14, 2) as daily_cost,
        now() as last_synced_at
    from costs
)

select * from final
