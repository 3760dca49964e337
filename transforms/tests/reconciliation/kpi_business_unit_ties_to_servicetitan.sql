-- Tie-out: kpi_business_unit_daily equals ServiceTitan's own Business Unit
-- Performance report within a cent, per business unit, day and figure
-- (kpi_business_unit_tieout). Every difference is logged with both figures.
{%- if execute %}
{%- set found = run_query(
    'select tenant_id, business_unit_id, date, figure, servicetitan_value, warehouse_value from '
    ~ ref('kpi_business_unit_tieout')
    ~ ' where abs(difference) > 0.01 order by date, business_unit_id, figure limit 200') %}
{%- for row in found.rows %}
{{ log('KPI tie-out difference, tenant ' ~ row[0] ~ ', business unit ' ~ row[1] ~ ', ' ~ row[2]
    ~ ', ' ~ row[3] ~ ': ServiceTitan ' ~ row[4] ~ ', warehouse ' ~ row[5], info=True) }}
{%- endfor %}
{%- endif %}

select tenant_id, business_unit_id, date, figure, servicetitan_value, warehouse_value, difference
from {{ ref('kpi_business_unit_tieout') }}
where abs(difference) > 0.01
