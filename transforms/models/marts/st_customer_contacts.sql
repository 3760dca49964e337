-- st_customer_contacts: one row per customer contact (e-mail, phones, fax).
-- Feeds the e-mail and phone choice of st_customers.
{{ config(
    meta={'raw_tables': ['customer_contacts'], 'customer_column': 'customer_id'},
    indexes=[{'columns': ['tenant_id', 'customer_id']}],
) }}

with

customer_contacts as (
    select * from {{ ref('stg_servicetitan__customer_contacts') }}
    where {{ changed_rows('customer_contacts') }}
),

contacts_with_digits as (
    select
        customer_contacts.tenant_id,
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

final as (
    select
        contacts_with_digits.tenant_id,
        contacts_with_digits.st_id,
        contacts_with_digits.customer_id,
        contacts_with_digits.type,
        contacts_with_digits.value,
        -- phone normalization: keep the digits; 10 digits -> (XXX) XXX-XXXX;
        -- 11 digits starting with 1 -> the same format of the last 10;
        -- anything else -> the value unchanged
        case
            when coalesce(contacts_with_digits.type, '') not in ('Phone', 'MobilePhone') then null
            when length(contacts_with_digits.value_digits) = 10
                then '(' || substr(contacts_with_digits.value_digits, 1, 3) || ') '
                    || substr(contacts_with_digits.value_digits, 4, 3) || '-'
                    || substr(contacts_with_digits.value_digits, 7, 4)
            when length(contacts_with_digits.value_digits) = 11
                and left(contacts_with_digits.value_digits, 1) = '1'
                then '(' || substr(contacts_with_digits.value_digits, 2, 3) || ') '
                    || substr(contacts_with_digits.value_digits, 5, 3) || '-'
                    || substr(contacts_with_digits.value_digits, 8, 4)
            else contacts_with_digits.value
        end as phone_number,
        contacts_with_digits.memo,
        contacts_with_digits.is_active as active,
        contacts_with_digits.st_created_on,
        contacts_with_digits.st_modified_on,
        contacts_with_digits.full_data,
        now() as last_synced_at
    from contacts_with_digits
)

select * from final
