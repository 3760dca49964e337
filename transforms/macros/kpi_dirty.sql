{#-
  The partitions each KPI model recomputes (its pre-hook; macros/kpi.sql,
  kpi_dirty), where more than the queued days are involved.
-#}

{#- Days queued by the facts, and every day of a month whose cost changed. -#}
{% macro kpi_campaign_daily_dirty() -%}
    {%- set changed_cost_days -%}
        select generate_series(months.month, months.month + interval '1 month - 1 day', interval '1 day')::date
        from ({{ kpi_queued('kpi_cost_months') }}) as months (month)
    {%- endset -%}
    {{ return(kpi_dirty([kpi_queued('kpi_days'), changed_cost_days], since_last_run='day')) }}
{%- endmacro %}


{#-
  Months: from the earliest month a changed membership or status change
  counts in (a membership's status at every month end after it may change)
  through the run's month.
-#}
{% macro kpi_membership_monthly_dirty() -%}
    {%- set changed_months -%}
        select generate_series(
            (
                select min(date_trunc('month', {{ local_date('touched.created_on') }}))::date
                from (
                    {{ kpi_changed('membership_status_changes', 'source."createdOn"::timestamptz') }}
                    union all
                    {{ kpi_changed('memberships_export', 'source."createdOn"::timestamptz') }}
                    union all
                    select changes."createdOn"::timestamptz
                    from {{ kpi_raw_relation('membership_status_changes') }} as changes
                    where changes."membershipId" in ({{ kpi_changed('memberships_export') }})
                    -- a first change sets the status from the membership's creation on
                    union all
                    select memberships."createdOn"::timestamptz
                    from {{ kpi_raw_relation('memberships_export') }} as memberships
                    where memberships.id in (
                        {{ kpi_changed('membership_status_changes', 'source."membershipId"') }}
                    )
                ) as touched (created_on)
            ),
            date_trunc('month', {{ kpi_run_date() }}),
            interval '1 month'
        )::date
    {%- endset -%}
    {#- the months the run's date entered since the previous run, and those of
        status changes dated after the previous run's date (a change dated
        ahead counts once its day comes) -#}
    {%- set previous = kpi_previous_run_date() -%}
    {%- set new_months -%}
        select generate_series(
            coalesce(date_trunc('month', {{ previous }}) + interval '1 month', date_trunc('month', {{ kpi_run_date() }})),
            date_trunc('month', {{ kpi_run_date() }}),
            interval '1 month'
        )::date
    {%- endset -%}
    {%- set dated_since -%}
        select date_trunc('month', {{ local_date('changes."createdOn"::timestamptz') }})::date
        from {{ kpi_raw_relation('membership_status_changes') }} as changes
        where {{ local_date('changes."createdOn"::timestamptz') }} > {{ previous }}
            and {{ local_date('changes."createdOn"::timestamptz') }} <= {{ kpi_run_date() }}
    {%- endset -%}
    {{ return(kpi_dirty([changed_months, new_months, dated_since])) }}
{%- endmacro %}


{#- The run's date, when invoices changed or the day has no snapshot yet. -#}
{#- (On --full-refresh too: earlier snapshots are kept, the API cannot rebuild them.) -#}
{% macro kpi_ar_aging_dirty() -%}
    create temporary table kpi_dirty on commit drop as
    select {{ kpi_run_date() }} as partition
    where {{ 'true' if kpi_reads_everything() else 'false' }}
        or exists ({{ kpi_changed('invoices') }})
        or {{ kpi_previous_run_date() }} is null
        or {{ kpi_previous_run_date() }} <> {{ kpi_run_date() }};
    analyze kpi_dirty
{%- endmacro %}


{#- The payments that changed. -#}
{% macro st_payment_applications_dirty() -%}
    {{ return(kpi_dirty([kpi_changed('payments')], partition_type='bigint')) }}
{%- endmacro %}
