-- The raw appointments: renamed and cast once.
{%- set raw = servicetitan_raw('appointments') %}

with

source as (
    select * from {{ raw.relation }}
),

renamed as (
    select
        {{ raw_column(raw, 'tenant_id') }}::bigint as tenant_id,
        source.id as st_id,
        {{ raw_column(raw, 'jobId') }}::bigint as job_id,
        {{ raw_column(raw, 'customerId') }}::bigint as customer_id,
        {{ raw_column(raw, 'appointmentNumber') }}::text as appointment_number,
        {{ raw_column(raw, 'status') }}::text as status,
        {{ raw_column(raw, 'start') }}::timestamptz as start_on,
        {{ raw_column(raw, 'end') }}::timestamptz as end_on,
        {{ raw_column(raw, 'arrivalWindowStart') }}::timestamptz as arrival_window_start,
        {{ raw_column(raw, 'arrivalWindowEnd') }}::timestamptz as arrival_window_end,
        {{ raw_column(raw, 'isConfirmed') }}::boolean as is_confirmed,
        {{ raw_column(raw, 'unused') }}::boolean as unused,
        {{ raw_column(raw, 'specialInstructions') }}::text as special_instructions,
        {{ raw_column(raw, 'active') }}::boolean as is_active,
        {{ raw_column(raw, 'createdOn') }}::timestamptz as st_created_on,
        {{ raw_column(raw, 'modifiedOn') }}::timestamptz as st_modified_on,
        to_jsonb(source_record) as full_data,
        source._sdc_batched_at as batched_at
    from source
    cross join lateral ({{ raw_record(raw) }}) as source_record
)

select * from renamed
