-- The raw invoices: renamed and cast once; nested references (customer, job,
-- location, business unit, invoice type) flattened to their ids and names.
{%- set raw = servicetitan_raw('invoices') %}

with

source as (
    select * from {{ raw.relation }}
),

renamed as (
    select
        {{ raw_column(raw, 'tenant_id') }}::bigint as tenant_id,
        source.id as st_id,
        ({{ raw_column(raw, 'customer') }}::jsonb ->> 'id')::bigint as customer_id,
        {{ raw_column(raw, 'customer') }}::jsonb ->> 'name' as customer_name,
        ({{ raw_column(raw, 'job') }}::jsonb ->> 'id')::bigint as job_id,
        {{ raw_column(raw, 'job') }}::jsonb ->> 'number' as job_number,
        {{ raw_column(raw, 'job') }}::jsonb ->> 'type' as job_type,
        ({{ raw_column(raw, 'location') }}::jsonb ->> 'id')::bigint as location_id,
        {{ raw_column(raw, 'projectId') }}::bigint as project_id,
        ({{ raw_column(raw, 'businessUnit') }}::jsonb ->> 'id')::bigint as business_unit_id,
        {{ raw_column(raw, 'referenceNumber') }}::text as reference_number,
        {{ raw_column(raw, 'invoiceType') }}::jsonb ->> 'name' as invoice_type,
        {{ raw_column(raw, 'invoiceConfiguration') }}::text as invoice_configuration,
        {{ raw_column(raw, 'adjustmentToId') }}::bigint as adjustment_to_id,
        {{ raw_column(raw, 'invoiceDate') }}::timestamptz as invoice_date,
        {{ raw_column(raw, 'dueDate') }}::timestamptz as due_date,
        {{ raw_column(raw, 'paidOn') }}::timestamptz as paid_on,
        {{ raw_column(raw, 'subTotal') }}::numeric(14, 2) as sub_total,
        {{ raw_column(raw, 'salesTax') }}::numeric(14, 2) as sales_tax,
        {{ raw_column(raw, 'discountTotal') }}::numeric(14, 2) as discount_total,
        {{ raw_column(raw, 'total') }}::numeric(14, 2) as total,
        -- unrounded: "paid" means a balance of exactly 0
        {{ raw_column(raw, 'balance') }}::numeric as balance,
        {{ raw_column(raw, 'sentStatus') }}::text as sent_status,
        {{ raw_column(raw, 'reviewStatus') }}::text as review_status,
        {{ raw_column(raw, 'syncStatus') }}::text as sync_status,
        {{ raw_column(raw, 'active') }}::boolean as is_active,
        {{ raw_column(raw, 'createdOn') }}::timestamptz as st_created_on,
        {{ raw_column(raw, 'modifiedOn') }}::timestamptz as st_modified_on,
        to_jsonb(source_record) as full_data,
        source._sdc_batched_at as batched_at
    from source
    cross join lateral ({{ raw_record(raw) }}) as source_record
)

select * from renamed
