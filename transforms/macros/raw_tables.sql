{#-
  The raw tables target-postgres loads, read defensively: a stream that was
  never loaded becomes an empty stand-in (with a warning), a field the loader
  never created a column for reads as null, and full_data is the raw record
  without the loader's _sdc_* columns.
-#}

{#-
  Return {relation, columns} of a raw table (source servicetitan); warn:
  whether a missing table is worth a warning (once per model is enough).
-#}
{% macro servicetitan_raw(table_name, warn=true) %}
    {%- set declared = source('servicetitan', table_name) -%}
    {%- if not execute -%}
        {{ return({'relation': declared, 'columns': []}) }}
    {%- endif -%}
    {%- set columns = servicetitan_column_names(declared) -%}
    {%- if not columns -%}
        {%- if warn -%}
            {%- do exceptions.warn(
                'raw table ' ~ declared.include(database=false) ~ ' not found: st_' ~ table_name
                ~ ' is left as it is and counts nothing from it'
            ) -%}
        {%- endif -%}
        {{ return({
            'relation': '(select null::bigint as id, null::timestamp as _sdc_batched_at where false) as missing',
            'columns': ['id', '_sdc_batched_at'],
        }) }}
    {%- endif -%}
    {%- if '_sdc_batched_at' not in columns -%}
        {{ exceptions.raise_compiler_error(
            'raw table ' ~ declared.include(database=false) ~ ' has no _sdc_batched_at column: '
            ~ 'configure target-postgres with add_record_metadata: true'
        ) }}
    {%- endif -%}
    {{ return({'relation': declared, 'columns': columns}) }}
{% endmacro %}


{#-
  The column names of a table in order, none when it does not exist: one
  catalog lookup, cheaper than information_schema on every compile.
-#}
{% macro servicetitan_column_names(relation) %}
    {%- set found = run_query(
        "select att.attname::text from pg_catalog.pg_attribute as att"
        ~ " where att.attrelid = to_regclass("
        ~ servicetitan_quote(relation.include(database=false) | string) ~ ")"
        ~ " and att.attnum > 0 and not att.attisdropped order by att.attnum"
    ) -%}
    {{ return(found.columns[0].values() | list) }}
{% endmacro %}


{#- Fail the model unless the raw table exists (st_customers needs customers). -#}
{% macro servicetitan_require_raw(table_name) %}
    {%- set declared = source('servicetitan', table_name) -%}
    {%- if execute and not servicetitan_column_names(declared) -%}
        {{ exceptions.raise_compiler_error(
            'raw table ' ~ declared.include(database=false) ~ ' not found: load the '
            ~ table_name ~ ' stream first, or set the raw schema (the dbt-postgres setting '
            ~ 'raw_schema / DBT_POSTGRES_RAW_SCHEMA)'
        ) }}
    {%- endif -%}
{% endmacro %}


{#- A raw column read through the alias source, or null when the loader never created it. -#}
{% macro raw_column(raw, name) -%}
    {%- if name in raw.columns or not execute -%}
        source.{{ adapter.quote(name) }}
    {%- else -%}
        null
    {%- endif -%}
{%- endmacro %}


{#-
  The select list of the raw record (every column but the loader's _sdc_*
  ones and the tap's tenant_id) for `cross join lateral (...) as source_record`, so that
  to_jsonb(source_record) is full_data. The columns come in the order jsonb
  keeps object keys (shorter first, then bytewise), so to_jsonb finds them
  sorted and skips sorting them for every row.
-#}
{% macro raw_record(raw) -%}
    {%- set keyed = [] -%}
    {%- for name in raw.columns if not name.startswith('_sdc_') and name != 'tenant_id' -%}
        {%- do keyed.append('%05d' | format(name | length) ~ name) -%}
    {%- endfor -%}
    select
    {%- for key in keyed | sort %}
        source.{{ adapter.quote(key[5:]) }}{{ ',' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
