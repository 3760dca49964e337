-- Tie-out: per tenant and date, the technicians' completed revenue (technician
-- null included) equals the business units'. Splits share each job's revenue
-- to the cent, so any row here is a broken number.
with

technicians as (
    select tenant_id, date, sum(completed_revenue) as completed_revenue
    from {{ ref('kpi_technician_daily') }}
    group by tenant_id, date
),

business_units as (
    select tenant_id, date, sum(completed_revenue) as completed_revenue
    from {{ ref('kpi_business_unit_daily') }}
    group by tenant_id, date
)

select
    coalesce(technicians.tenant_id, business_units.tenant_id) as tenant_id,
    coalesce(technicians.date, business_units.date) as date,
    technicians.completed_revenue as technicians_revenue,
    business_units.completed_revenue as business_units_revenue
from technicians
full outer join business_units
    on business_units.tenant_id = technicians.tenant_id
    and business_units.date = technicians.date
where coalesce(technicians.completed_revenue, 0) <> coalesce(business_units.completed_revenue, 0)
