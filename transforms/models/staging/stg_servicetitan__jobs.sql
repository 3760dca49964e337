-- The raw jobs: renamed and cast once.
{%- set raw = servicetitan_raw('jobs') %}

with

source as (
    select * from {{ raw.relation }}
),

renamed as (
    select
        {{ raw_column(raw, 'tenant_id') }}::bigint as tenant_id,
        source.id as st_id,
        {{ raw_column(raw, 'jobNumber') }}::text as job_number,
        {{ raw_column(raw, 'customerId') }}::bigint as customer_id,
        {{ raw_column(raw, 'locationId') }}::bigint as location_id,
        {{ raw_column(raw, 'projectId') }}::bigint as project_id,
        {{ raw_column(raw, 'jobStatus') }}::text as job_status,
        {{ raw_column(raw, 'jobTypeId') }}::bigint as job_type_id,
        {{ raw_column(raw, 'businessUnitId') }}::bigint as business_unit_id,
        {{ raw_column(raw, 'campaignId') }}::bigint as campaign_id,
        {{ raw_column(raw, 'priority') }}::text as priority,
        {{ raw_column(raw, 'invoiceId') }}::bigint as invoice_id,
        {{ raw_column(raw, 'membershipId') }}::bigint as membership_id,
        {{ raw_column(raw, 'soldById') }}::bigint as sold_by_id,
        {{ raw_column(raw, 'appointmentCount') }}::bigint as appointment_count,
        {{ raw_column(raw, 'total') }}::numeric(14, 2) as total,
        {{ raw_column(raw, 'noCharge') }}::boolean as no_charge,
        {{ raw_column(raw, 'summary') }}::text as summary,
        {{ raw_column(raw, 'completedOn') }}::timestamptz as completed_on,
        {{ raw_column(raw, 'active') }}::boolean as is_active,
        {{ raw_column(raw, 'createdOn') }}::timestamptz as st_created_on,
        {{ raw_column(raw, 'modifiedOn') }}::timestamptz as st_modified_on,
        to_jsonb(source_record) as full_data,
        source._sdc_batched_at as batched_at
    from source
    cross join lateral ({{ raw_record(raw) }}) as source_record
)

select * from renamed
