{#-
  What changed since the last run: the raw rows target-postgres batched
  (_sdc_batched_at) after the model last applied that raw table, up to the
  newest batch present when this dbt invocation started. Rows without
  _sdc_batched_at (Singer BATCH loads leave it empty) always count as changed:
  they are re-read on every run, which is slow but never wrong.

  State, in the schema of the st_* tables (created by servicetitan_start_run):
  - servicetitan_watermarks: per tenant, model and raw table, the newest
    _sdc_batched_at the model has applied (advanced in the model's transaction);
  - servicetitan_run_window: per tenant and raw table, the newest
    _sdc_batched_at when the current invocation started.
-#}

{#- The relation of one of the state tables above (or st_sync_log). -#}
{% macro servicetitan_state_table(name) -%}
    {{ return(api.Relation.create(database=target.database, schema=target.schema, identifier=name)) }}
{%- endmacro %}


{#-
  True on a first build and on --full-refresh: the model reads every raw row.
  False while dbt parses, so that the refs of the incremental branches count
  as dependencies.
-#}
{% macro servicetitan_reads_everything() -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(should_full_refresh() or load_relation(this) is none) }}
{%- endmacro %}


{#- True when the model's table exists already (st_customers reads its previous rows). -#}
{% macro servicetitan_table_exists() -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(load_relation(this) is not none) }}
{%- endmacro %}


{#-
  The SQL condition "this raw row changed since the model last applied
  raw_table", on the column that holds the row's _sdc_batched_at (batched_at
  in the staging models). Every raw table a model reads this way must be listed
  in its meta raw_tables, whose watermarks the model advances.
-#}
{% macro changed_rows(raw_table, column='batched_at') -%}
    {%- if not execute -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set listed = config.get('meta', {}).get('raw_tables', []) -%}
    {%- if raw_table not in listed -%}
        {{ exceptions.raise_compiler_error(
            model.name ~ " reads changed rows of " ~ raw_table ~ " but its meta raw_tables "
            ~ listed ~ " does not list it, so its watermark would never advance"
        ) }}
    {%- endif -%}
    {{ return(servicetitan_changed_condition(raw_table, column, servicetitan_reads_everything())) }}
{%- endmacro %}


{#-
  The condition on `column` (the rows' _sdc_batched_at): batched after the
  model's watermark for raw_table and up to this invocation's window, or never
  batched. literal: the bounds are read while rendering and written in as
  timestamps, so the planner sees how few rows they select (the models'
  queries), and a raw table with nothing in its window and no unbatched rows
  renders as false, so the planner drops what reads it instead of estimating
  its rows (a lookup through a small table such as gl_accounts otherwise
  plans as a scan of the large one); otherwise the condition reads the
  bounds itself (no query of its own).
-#}
{% macro servicetitan_changed_condition(raw_table, column, everything, literal=true) -%}
    {%- if everything or not execute -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set tenant_id = servicetitan_tenant_id() -%}
    {%- set bounds = [
        "(select watermarks.watermark from "
        ~ servicetitan_state_table('servicetitan_watermarks') ~ " as watermarks"
        ~ " where watermarks.tenant_id = " ~ tenant_id
        ~ " and watermarks.model = '" ~ model.name ~ "'"
        ~ " and watermarks.raw_table = '" ~ raw_table ~ "')",
        "(select run_window.until from "
        ~ servicetitan_state_table('servicetitan_run_window') ~ " as run_window"
        ~ " where run_window.tenant_id = " ~ tenant_id
        ~ " and run_window.raw_table = '" ~ raw_table ~ "')",
    ] -%}
    {%- if literal -%}
        {%- set found = run_query(
            "select coalesce(to_char(" ~ bounds[0] ~ ", 'YYYY-MM-DD HH24:MI:SS.US'), '-infinity'),"
            ~ " coalesce(to_char(" ~ bounds[1] ~ ", 'YYYY-MM-DD HH24:MI:SS.US'), '-infinity'),"
            ~ " coalesce(" ~ bounds[0] ~ ", '-infinity') >= coalesce(" ~ bounds[1] ~ ", '-infinity')"
            ~ " and not coalesce((select run_window.has_unbatched_rows from "
            ~ servicetitan_state_table('servicetitan_run_window') ~ " as run_window"
            ~ " where run_window.tenant_id = " ~ tenant_id
            ~ " and run_window.raw_table = '" ~ raw_table ~ "'), true)"
        ).rows[0] -%}
        {%- if found[2] -%}
            {{ return('false') }}
        {%- endif -%}
        {%- set after = "'" ~ found[0] ~ "'::timestamp" -%}
        {%- set until = "'" ~ found[1] ~ "'::timestamp" -%}
    {%- else -%}
        {%- set after = "coalesce(" ~ bounds[0] ~ ", '-infinity')" -%}
        {%- set until = "coalesce(" ~ bounds[1] ~ ", '-infinity')" -%}
    {%- endif -%}
    {{ return(
        "((" ~ column ~ " > " ~ after ~ " and " ~ column ~ " <= " ~ until ~ ") or "
        ~ column ~ " is null)"
    ) }}
{%- endmacro %}


{#- st_customers' post-hook: it has recomputed every queued customer. -#}
{% macro servicetitan_clear_customers_to_refresh() -%}
    delete from {{ servicetitan_state_table('servicetitan_customers_to_refresh') }}
    where tenant_id = {{ servicetitan_tenant_id() }}
{%- endmacro %}
