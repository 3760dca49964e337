-- One row per payment and invoice it is applied to: the payments' appliedTo
-- unnested (active payments; entries without an invoice are left out and
-- counted by the data test on applied totals). Recomputed per changed payment.
-- appliedAmount is a JSON number (the tap emits nested money as numbers) and is
-- read as one, without a cast from text.
{{ config(
    unique_key=['tenant_id', 'payment_id', 'invoice_id'],
    partition_by='payment_id',
    meta={'raw_tables': ['payments']},
    pre_hook="{{ st_payment_applications_dirty() }}",
) }}

with

payments as (
    select * from {{ ref('stg_servicetitan__payments') }}
    where coalesce(is_active, true)
        and {{ kpi_in_dirty('st_id', lookup=true) }}
),

applications as (
    select
        payments.tenant_id,
        payments.st_id as payment_id,
        (entry ->> 'appliedTo')::bigint as invoice_id,
        (entry -> 'appliedAmount')::numeric as applied_amount,
        (entry ->> 'appliedOn')::timestamptz as applied_on
    from payments
    cross join lateral jsonb_array_elements(
        case when jsonb_typeof(payments.applied_to) = 'array' then payments.applied_to else '[]'::jsonb end
    ) as entries (entry)
),

final as (
    select
        tenant_id,
        payment_id,
        invoice_id,
        sum(applied_amount)::numeric(14, 2) as applied_amount,
        max(applied_on) as applied_on,
        now() as last_synced_at
    from applications
    where invoice_id is not null
    group by tenant_id, payment_id, invoice_id
)

select * from final
