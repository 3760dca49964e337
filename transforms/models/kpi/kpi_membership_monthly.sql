-- Memberships per type, business unit and local month: active at the month's
-- end, activations, cancellations, expirations, suspensions and churn.
-- Rules: docs/kpi-tables.md.
{%- set run_date = kpi_run_date() %}
{{ config(
    unique_key=['tenant_id', 'membership_type_id', 'business_unit_id', 'month'],
    partition_by='month',
    meta={'raw_tables': ['memberships_export', 'membership_status_changes']},
    pre_hook="{{ kpi_membership_monthly_dirty() }}",
) }}

with

memberships as (
    select
        tenant_id,
        st_id,
        membership_type_id,
        business_unit_id,
        status,
        {{ local_date('st_created_on') }} as created_date
    from {{ ref('stg_servicetitan__memberships_export') }}
    where coalesce(is_active, true)
),

changes as (
    select
        changes.st_id,
        changes.membership_id,
        changes.new_status,
        changes.old_status,
        changes.st_created_on,
        {{ local_date('changes.st_created_on') }} as change_date
    from {{ ref('stg_servicetitan__membership_status_changes') }} as changes
    inner join memberships
        on memberships.st_id = changes.membership_id
    where coalesce(changes.is_active, true)
        and changes.st_created_on is not null
),

-- a membership's status from one change to the next (same-day changes: the
-- last one holds); before its first change, that change's old status from
-- its creation; without changes, its current status from its creation
statuses as (
    select
        membership_id,
        new_status as status,
        change_date as valid_from,
        lead(change_date) over (partition by membership_id order by st_created_on, st_id) as valid_to
    from changes
    union all
    select * from (
        select distinct on (changes.membership_id)
            changes.membership_id,
            changes.old_status,
            memberships.created_date,
            changes.change_date
        from changes
        inner join memberships
            on memberships.st_id = changes.membership_id
        order by changes.membership_id, changes.st_created_on, changes.st_id
    ) as before_first_change
    union all
    select
        memberships.st_id,
        memberships.status,
        memberships.created_date,
        null
    from memberships
    where not exists (select 1 from changes where changes.membership_id = memberships.st_id)
),

target_months as (
    {%- if kpi_reads_everything() %}
    select generate_series(
        (select date_trunc('month', min(statuses.valid_from)) from statuses),
        date_trunc('month', {{ run_date }}),
        interval '1 month'
    )::date as month
    {%- else %}
    select kpi_dirty.partition as month from kpi_dirty
    where kpi_dirty.partition <= {{ run_date }}
    {%- endif %}
),

-- the months measured: the target months and the month before each (churn's denominator)
months as (
    select
        month,
        least((month + interval '1 month - 1 day')::date, {{ run_date }}) as month_end
    from (
        select target_months.month from target_months
        union
        select (target_months.month - interval '1 month')::date from target_months
    ) as wanted
),

active_at_end as (
    select
        memberships.membership_type_id,
        memberships.business_unit_id,
        months.month,
        count(*) as active_at_end
    from months
    inner join statuses
        on statuses.valid_from <= months.month_end
        and (statuses.valid_to is null or statuses.valid_to > months.month_end)
        and statuses.status = 'Active'
    inner join memberships
        on memberships.st_id = statuses.membership_id
    group by memberships.membership_type_id, memberships.business_unit_id, months.month
),

-- status changes to each status in the month (every change to Active is an activation)
changed as (
    select
        memberships.membership_type_id,
        memberships.business_unit_id,
        date_trunc('month', changes.change_date)::date as month,
        count(*) filter (where changes.new_status = 'Active') as activated,
        count(*) filter (where changes.new_status = 'Canceled') as canceled,
        count(*) filter (where changes.new_status = 'Expired') as expired,
        count(*) filter (where changes.new_status = 'Suspended') as suspended
    from changes
    inner join memberships
        on memberships.st_id = changes.membership_id
    where date_trunc('month', changes.change_date)::date in (select target_months.month from target_months)
        and changes.change_date <= {{ run_date }}
    group by 1, 2, 3
),

groups as (
    select membership_type_id, business_unit_id, month from active_at_end
    where month in (select target_months.month from target_months)
    union
    select membership_type_id, business_unit_id, month from changed
),

final as (
    select
        {{ servicetitan_tenant_id() }} as tenant_id,
        groups.membership_type_id,
        groups.business_unit_id,
        groups.month,
        coalesce(current_month.active_at_end, 0)::bigint as active_at_end,
        coalesce(changed.activated, 0)::bigint as activated,
        coalesce(changed.canceled, 0)::bigint as canceled,
        coalesce(changed.expired, 0)::bigint as expired,
        coalesce(changed.suspended, 0)::bigint as suspended,
        -- churn: (canceled + expired) / the previous month's active_at_end
        {{ kpi_rate(
            'coalesce(changed.canceled, 0) + coalesce(changed.expired, 0)',
            'coalesce(previous_month.active_at_end, 0)'
        ) }}::numeric(10, 4) as churn_rate,
        now() as last_synced_at
    from groups
    left join active_at_end as current_month
        on current_month.membership_type_id is not distinct from groups.membership_type_id
        and current_month.business_unit_id is not distinct from groups.business_unit_id
        and current_month.month = groups.month
    left join active_at_end as previous_month
        on previous_month.membership_type_id is not distinct from groups.membership_type_id
        and previous_month.business_unit_id is not distinct from groups.business_unit_id
        and previous_month.month = (groups.month - interval '1 month')::date
    left join changed
        on changed.membership_type_id is not distinct from groups.membership_type_id
        and changed.business_unit_id is not distinct from groups.business_unit_id
        and changed.month = groups.month
)

select * from final
