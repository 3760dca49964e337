-- st_customers: one row per customer in the raw customers table (active or
-- not), with its chosen contacts, primary address and aggregates
-- (docs/st-tables.md, st_customers).
--
-- Incremental runs recompute only the customers a change touches: those whose
-- record changed, the customers of the contacts, locations, jobs and invoices
-- that changed, and the previous customers of those that moved to another
-- customer (queued by their st_* models; this model's post-hook empties the
-- queue in the same transaction).
{{ config(
    meta={
        'raw_tables': ['customers', 'customer_contacts', 'locations', 'jobs', 'invoices'],
        'consumes_customers_to_refresh': true,
    },
    post_hook=["{{ servicetitan_clear_customers_to_refresh() }}"],
) }}

{%- do servicetitan_require_raw('customers') %}
{%- set changed_only = not servicetitan_reads_everything() %}
{%- set tenant_id = servicetitan_tenant_id() %}

with

{% if changed_only -%}
-- the customers of the contacts, locations, jobs and invoices that changed,
-- and the previous customers of those that moved (queued by their models)
customers_touched as (
    select customer_contacts.customer_id
    from {{ ref('stg_servicetitan__customer_contacts') }} as customer_contacts
    where {{ changed_rows('customer_contacts') }}
    union
    select locations.customer_id
    from {{ ref('stg_servicetitan__locations') }} as locations
    where {{ changed_rows('locations') }}
    union
    select jobs.customer_id
    from {{ ref('stg_servicetitan__jobs') }} as jobs
    where {{ changed_rows('jobs') }}
    union
    select invoices.customer_id
    from {{ ref('stg_servicetitan__invoices') }} as invoices
    where {{ changed_rows('invoices') }}
    union
    select queued.customer_id
    from {{ source('servicetitan_state', 'servicetitan_customers_to_refresh') }} as queued
    where queued.tenant_id = {{ tenant_id }}
),

{% endif -%}
-- the customers to (re)compute: all of them on a first build or a full
-- refresh, else those whose record changed or whom a change touched
customers as (
    select customers.*
    from {{ ref('stg_servicetitan__customers') }} as customers
    {%- if changed_only %}
    where {{ changed_rows('customers') }}
        or customers.st_id = any(array(select customers_touched.customer_id from customers_touched))
    {%- endif %}
),

contacts as (
    select
        st_customer_contacts.customer_id,
        st_customer_contacts.st_id as contact_id,
        case
            when st_customer_contacts.type = 'Email' then 'email'
            else 'phone'
        end as contact_kind,
        case
            when st_customer_contacts.type = 'Email' then st_customer_contacts.value
            else st_customer_contacts.phone_number
        end as contact_value,
        st_customer_contacts.active as is_active
    from {{ ref('st_customer_contacts') }} as st_customer_contacts
    {%- if changed_only %}
    inner join customers on customers.st_id = st_customer_contacts.customer_id
    {%- endif %}
    where
        st_customer_contacts.tenant_id = {{ tenant_id }}
        and st_customer_contacts.type in ('Email', 'Phone', 'MobilePhone')
),

locations as (
    select
        st_locations.customer_id,
        st_locations.st_id as location_id,
        st_locations.address_line1,
        st_locations.address_line2,
        st_locations.city,
        st_locations.state,
        st_locations.postal_code,
        st_locations.country,
        st_locations.active as is_active
    from {{ ref('st_locations') }} as st_locations
    {%- if changed_only %}
    inner join customers on customers.st_id = st_locations.customer_id
    {%- endif %}
    where st_locations.tenant_id = {{ tenant_id }}
),

jobs as (
    select
        st_jobs.customer_id,
        st_jobs.job_status,
        st_jobs.st_created_on,
        st_jobs.active as is_active
    from {{ ref('st_jobs') }} as st_jobs
    {%- if changed_only %}
    inner join customers on customers.st_id = st_jobs.customer_id
    {%- endif %}
    where st_jobs.tenant_id = {{ tenant_id }}
),

invoices as (
    select
        st_invoices.customer_id,
        st_invoices.total,
        st_invoices.status
    from {{ ref('st_invoices') }} as st_invoices
    {%- if changed_only %}
    inner join customers on customers.st_id = st_invoices.customer_id
    {%- endif %}
    where st_invoices.tenant_id = {{ tenant_id }}
),

{% if servicetitan_table_exists() -%}
-- the stored aggregates, so that aggregates_updated_at moves only when they
-- change (looked up by key for the customers being recomputed)
previous_aggregates as (
    select
        st_customers.st_id as customer_id,
        st_customers.total_jobs,
        st_customers.completed_jobs,
        st_customers.lifetime_value,
        st_customers.last_job_date,
        st_customers.aggregates_updated_at
    from {{ this }} as st_customers
    where st_customers.tenant_id = {{ tenant_id }}
),
{%- else -%}
previous_aggregates as (
    select
        null::bigint as customer_id,
        null::bigint as total_jobs,
        null::bigint as completed_jobs,
        null::numeric(14, 2) as lifetime_value,
        null::timestamptz as last_job_date,
        null::timestamptz as aggregates_updated_at
    where false
),
{%- endif %}

-- st_customers.email / phone: among the customer's Email (resp. Phone and
-- MobilePhone) contacts, active contacts first, then the lowest contact id;
-- phones are already normalized in st_customer_contacts.phone_number
contacts_ranked as (
    select
        contacts.customer_id,
        contacts.contact_kind,
        contacts.contact_value,
        row_number() over (
            partition by contacts.customer_id, contacts.contact_kind
            order by contacts.is_active desc nulls last, contacts.contact_id
        ) as contact_rank
    from contacts
),

primary_contacts as (
    select
        contacts_ranked.customer_id,
        max(contacts_ranked.contact_value) filter (
            where contacts_ranked.contact_kind = 'email'
        ) as email,
        max(contacts_ranked.contact_value) filter (
            where contacts_ranked.contact_kind = 'phone'
        ) as phone
    from contacts_ranked
    where contacts_ranked.contact_rank = 1
    group by contacts_ranked.customer_id
),

-- st_customers.location_id: the primary location, active locations
-- first, then the lowest location id
locations_ranked as (
    select
        locations.customer_id,
        locations.location_id,
        locations.address_line1,
        locations.address_line2,
        locations.city,
        locations.state,
        locations.postal_code,
        locations.country,
        row_number() over (
            partition by locations.customer_id
            order by locations.is_active desc nulls last, locations.location_id
        ) as location_rank
    from locations
),

primary_locations as (
    select
        locations_ranked.customer_id,
        locations_ranked.location_id,
        locations_ranked.address_line1,
        locations_ranked.address_line2,
        locations_ranked.city,
        locations_ranked.state,
        locations_ranked.postal_code,
        locations_ranked.country
    from locations_ranked
    where locations_ranked.location_rank = 1
),

-- st_customers.total_jobs / completed_jobs / last_job_date: jobs with
-- active true; those with jobStatus Completed; their latest createdOn
jobs_by_customer as (
    select
        jobs.customer_id,
        count(*) as total_jobs,
        count(*) filter (where jobs.job_status = 'Completed') as completed_jobs,
        max(jobs.st_created_on) as last_job_date
    from jobs
    where jobs.is_active
    group by jobs.customer_id
),

-- st_customers.lifetime_value: sum of total over the customer's paid
-- invoices (st_invoices.status = 'Paid', matched by customer.id)
paid_invoices_by_customer as (
    select
        invoices.customer_id,
        coalesce(sum(invoices.total), 0) as lifetime_value
    from invoices
    where invoices.status = 'Paid'
    group by invoices.customer_id
),

customers_with_aggregates as (
    select
        customers.*,
        primary_contacts.email,
        primary_contacts.phone,
        primary_locations.location_id,
        primary_locations.address_line1 as location_address_line1,
        primary_locations.address_line2 as location_address_line2,
        primary_locations.city as location_city,
        primary_locations.state as location_state,
        primary_locations.postal_code as location_postal_code,
        primary_locations.country as location_country,
        -- st_customers aggregates: every customer gets them, zeros / null
        -- when it has no jobs or paid invoices
        coalesce(jobs_by_customer.total_jobs, 0) as total_jobs,
        coalesce(jobs_by_customer.completed_jobs, 0) as completed_jobs,
        coalesce(paid_invoices_by_customer.lifetime_value, 0)::numeric(14, 2) as lifetime_value,
        jobs_by_customer.last_job_date
    from customers
    left join primary_contacts on primary_contacts.customer_id = customers.st_id
    left join primary_locations on primary_locations.customer_id = customers.st_id
    left join jobs_by_customer on jobs_by_customer.customer_id = customers.st_id
    left join paid_invoices_by_customer
        on paid_invoices_by_customer.customer_id = customers.st_id
),

final as (
    select
        customers.tenant_id,
        customers.st_id,
        -- st_customers.name: name; if empty, "first last"; if still
        -- empty, Customer <id>
        coalesce(
            nullif(btrim(customers.name), ''),
            nullif(
                concat_ws(
                    ' ',
                    nullif(btrim(customers.first_name), ''),
                    nullif(btrim(customers.last_name), '')
                ),
                ''
            ),
            'Customer ' || customers.st_id
        ) as name,
        -- st_customers.first_name / last_name: from the record, else null
        customers.first_name,
        customers.last_name,
        -- st_customers.type: default Residential
        coalesce(nullif(btrim(customers.type), ''), 'Residential') as type,
        customers.email,
        customers.phone,
        customers.location_id,
        -- st_customers address: from the primary location's address;
        -- without a location, from the customer's own address
        case
            when customers.location_id is not null then customers.location_address_line1
            else customers.address_street
        end as address_line1,
        case
            when customers.location_id is not null then customers.location_address_line2
            else customers.address_unit
        end as address_line2,
        case
            when customers.location_id is not null then customers.location_city
            else customers.address_city
        end as city,
        case
            when customers.location_id is not null then customers.location_state
            else customers.address_state
        end as state,
        case
            when customers.location_id is not null then customers.location_postal_code
            else customers.address_zip
        end as postal_code,
        -- st_customers.country: defaults to USA when empty
        coalesce(
            nullif(
                btrim(
                    case
                        when customers.location_id is not null then customers.location_country
                        else customers.address_country
                    end
                ),
                ''
            ),
            'USA'
        ) as country,
        customers.is_active as active,
        customers.do_not_mail,
        customers.do_not_service,
        -- st_customers.merged_to_id: mergedToId
        customers.merged_to_id,
        customers.balance,
        customers.tax_exempt,
        customers.national_account,
        customers.st_created_on,
        customers.st_modified_on,
        customers.full_data,
        now() as last_synced_at,
        customers.total_jobs,
        customers.completed_jobs,
        customers.lifetime_value,
        customers.last_job_date,
        -- aggregates_updated_at moves only when an aggregate changes
        case
            when (
                previous_aggregates.total_jobs,
                previous_aggregates.completed_jobs,
                previous_aggregates.lifetime_value,
                previous_aggregates.last_job_date
            ) is not distinct from (
                customers.total_jobs,
                customers.completed_jobs,
                customers.lifetime_value,
                customers.last_job_date
            ) then previous_aggregates.aggregates_updated_at
            else now()
        end as aggregates_updated_at
    from customers_with_aggregates as customers
    left join previous_aggregates on previous_aggregates.customer_id = customers.st_id
)

select * from final
