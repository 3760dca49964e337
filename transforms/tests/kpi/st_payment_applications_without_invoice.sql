-- Warning: appliedTo entries of active payments that name no invoice. They
-- cannot be rows of st_payment_applications (its key is the invoice); listed
-- here so that none goes unnoticed.
{{ config(severity='warn') }}

select
    payments.tenant_id,
    payments.st_id as payment_id,
    entry
from {{ ref('stg_servicetitan__payments') }} as payments
cross join lateral jsonb_array_elements(
    case when jsonb_typeof(payments.applied_to) = 'array' then payments.applied_to else '[]'::jsonb end
) as entries (entry)
where coalesce(payments.is_active, true)
    and entry ->> 'appliedTo' is null
