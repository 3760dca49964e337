-- Tie-out: every active payment's applications sum to the amounts of its
-- appliedTo entries that name an invoice (those that do not are listed by
-- the warning st_payment_applications_without_invoice).
with

applied as (
    select
        payments.tenant_id,
        payments.st_id as payment_id,
        sum((entry ->> 'appliedAmount')::numeric) as applied_total
    from {{ ref('stg_servicetitan__payments') }} as payments
    cross join lateral jsonb_array_elements(
        case when jsonb_typeof(payments.applied_to) = 'array' then payments.applied_to else '[]'::jsonb end
    ) as entries (entry)
    where coalesce(payments.is_active, true)
        and entry ->> 'appliedTo' is not null
    group by payments.tenant_id, payments.st_id
),

applications as (
    select tenant_id, payment_id, sum(applied_amount) as applied_total
    from {{ ref('st_payment_applications') }}
    where tenant_id = {{ servicetitan_tenant_id() }}
    group by tenant_id, payment_id
)

select
    applied.tenant_id,
    applied.payment_id,
    applied.applied_total as appliedto_total,
    applications.applied_total as applications_total
from applied
left join applications
    on applications.tenant_id = applied.tenant_id
    and applications.payment_id = applied.payment_id
where coalesce(applied.applied_total, 0) <> coalesce(applications.applied_total, 0)
