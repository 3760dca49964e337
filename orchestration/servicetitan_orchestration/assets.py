"""The assets of one tenant's sync, partitioned by tenant.

- ``servicetitan/<table>``: the tenant's raw tables, the dbt project's sources
  (from the manifest), loaded by one ``meltano run tap-servicetitan
  target-postgres`` into its own raw schema (``tap_servicetitan_<tenant id>``);
  pool ``servicetitan_tenants`` limits how many tenants extract at once.
- the st_* models of the dbt project in ``transforms/`` (dagster-dbt), run for
  the tenant's raw schema and in its time zone (``DBT_POSTGRES_TIMEZONE``);
  the rows carry their tenant, so all tenants share the st_* tables under
  ``(tenant_id, st_id)``.
"""

import contextlib
import json
import os
import time
import typing as t
from collections.abc import Iterator, Mapping

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from servicetitan_orchestration.meltano import ExtractLoadError, MeltanoResource
from servicetitan_orchestration.tenants import Tenant, TenantsFileError

#: The dbt source of the raw tables (transforms/models/staging/_servicetitan__sources.yml).
RAW_SOURCE = "servicetitan"
#: Dagster pool of the extract-loads: its limit is how many tenants sync at once.
TENANTS_POOL = "servicetitan_tenants"


def tenant_partitions(tenants: t.Iterable[Tenant]) -> dg.StaticPartitionsDefinition:
    """One partition per tenant, keyed by tenant id."""
    return dg.StaticPartitionsDefinition([tenant.key for tenant in tenants])


def raw_tables(st_models: dg.AssetsDefinition) -> list[dg.AssetKey]:
    """The tables of the dbt source the loader fills, as dagster-dbt keys them from the
    manifest (``servicetitan/<table>``): what the st_* models read of :data:`RAW_SOURCE`."""
    return sorted(key for key in st_models.dependency_keys if key.path[0] == RAW_SOURCE)


def extract_load_asset(
    tables: t.Sequence[dg.AssetKey],
    tenants: Mapping[str, Tenant],
    partitions: dg.PartitionsDefinition,
    retry_policy: dg.RetryPolicy,
) -> dg.AssetsDefinition:
    """The raw ``tables`` of a tenant, as one ``meltano run``."""

    @dg.multi_asset(
        name="servicetitan_extract_load",
        specs=[
            dg.AssetSpec(
                table,
                group_name="servicetitan_raw",
                kinds={"meltano", "postgres"},
                description=f"Raw {table.path[-1]} of each tenant (tap_servicetitan_<tenant id>.{table.path[-1]}).",
            )
            for table in tables
        ],
        partitions_def=partitions,
        retry_policy=retry_policy,
        pool=TENANTS_POOL,
    )
    def servicetitan_extract_load(
        context: AssetExecutionContext, meltano: MeltanoResource
    ) -> Iterator[dg.MaterializeResult]:
        tenant = tenants[context.partition_key]
        started = time.monotonic()
        try:
            meltano.extract_load(tenant, context.log)
        except ExtractLoadError as error:
            # one line, no stack trace: the message names the tenant and the setting
            raise dg.Failure(description=str(error), allow_retries=True) from None
        except TenantsFileError as error:  # a secret's variable is unset: retrying won't help
            raise dg.Failure(description=str(error), allow_retries=False) from None
        metadata = {
            "tenant": tenant.name,
            "environment": tenant.environment,
            "raw_schema": tenant.raw_schema,
            "timezone": tenant.timezone,
            "state_id": f"{tenant.environment}:tap-servicetitan-to-target-postgres:{tenant.key}",
            "duration_s": round(time.monotonic() - started, 1),
        }
        for table in tables:
            yield dg.MaterializeResult(asset_key=table, metadata=metadata)

    return servicetitan_extract_load


def st_models_asset(
    project: DbtProject,
    tenants: Mapping[str, Tenant],
    partitions: dg.PartitionsDefinition,
    retry_policy: dg.RetryPolicy,
) -> dg.AssetsDefinition:
    """The st_* models, refreshed from one tenant's raw schema."""

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        # the data tests run apart (dbt-postgres:test), not after each tenant's refresh
        dagster_dbt_translator=DagsterDbtTranslator(
            settings=DagsterDbtTranslatorSettings(enable_asset_checks=False)
        ),
        name="servicetitan_st_models",
        partitions_def=partitions,
        retry_policy=retry_policy,
    )
    def servicetitan_st_models(
        context: AssetExecutionContext, dbt: DbtCliResource
    ) -> Iterator[t.Any]:
        tenant = tenants[context.partition_key]
        # the tenant's raw schema as the dbt var raw_schema (models/staging/_servicetitan__sources.yml)
        variables = json.dumps({"raw_schema": tenant.raw_schema})
        with environment_variables(tenant.dbt_variables):
            invocation = dbt.cli(["run", "--vars", variables], context=context)
        yield from invocation.stream()

    return servicetitan_st_models


@contextlib.contextmanager
def environment_variables(values: Mapping[str, str]) -> Iterator[None]:
    """``values`` in os.environ for the duration, then the variables as they were.

    dagster-dbt's ``DbtCliResource.cli`` starts dbt with a copy of os.environ
    and takes no variables of its own: a tenant's (its time zone) go there
    while dbt starts. No other tenant's step shares the process meanwhile:
    Dagster's default executor runs each step in a process of its own, and
    ``sync_tenants`` runs one tenant's steps in-process, one at a time, per
    worker process.
    """
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
