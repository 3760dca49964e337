-- Raw payments (accounting/export/payments) with the invoices they are applied to (`appliedTo`, as jsonb).
-- Only the fields the KPI models read (models/kpi); the raw table keeps the rest.
{%- set raw = servicetitan_raw('payments') %}

with

source as (
    select * from {{ raw.relation }}
),

renamed as (
    select
        {{ raw_column(raw, 'tenant_id') }}::bigint as tenant_id,
        source.id as st_id,
        ({{ raw_column(raw, 'customer') }}::jsonb ->> 'id')::bigint as customer_id,
        {{ raw_column(raw, 'total') }}::numeric as total,
        -- jsonb[] as target-postgres loads an array of objects, or jsonb
        {% if 'appliedTo' in raw.columns -%}
        to_jsonb(source."appliedTo") as applied_to,
        {%- else -%}
        null::jsonb as applied_to,
        {%- endif %}
        {{ raw_column(raw, 'active') }}::boolean as is_active,
        source._sdc_batched_at as batched_at
    from source
)

select * from renamed
