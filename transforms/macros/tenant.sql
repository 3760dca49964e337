{#-
  The tenant every st_* row is keyed by, as a SQL literal: the var tenant_id
  (the dbt-postgres setting tenant_id, else TAP_SERVICETITAN_TENANT_ID).
  The staging models take tenant_id from here and nowhere else, so reading the
  tenant from the raw rows instead changes this one macro.
-#}
{% macro servicetitan_tenant_id() -%}
    {%- if not execute -%}
        {{ return('null::bigint') }}
    {%- endif -%}
    {%- set value = var('tenant_id', '') | string | trim -%}
    {%- if value == '' -%}
        {{ exceptions.raise_compiler_error(
            "tenant id is required: set the dbt-postgres setting tenant_id "
            ~ "(DBT_POSTGRES_TENANT_ID) or TAP_SERVICETITAN_TENANT_ID, "
            ~ "or pass --vars '{tenant_id: 1234567}'"
        ) }}
    {%- endif -%}
    {%- if not value.isdigit() or value | length > 18 or value | int == 0 -%}
        {{ exceptions.raise_compiler_error(
            "tenant id must be a positive integer (the dbt-postgres setting tenant_id / "
            ~ "DBT_POSTGRES_TENANT_ID), got '" ~ value ~ "'"
        ) }}
    {%- endif -%}
    {{ return((value | int) ~ '::bigint') }}
{%- endmacro %}
