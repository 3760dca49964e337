"""The definitions of a many-tenant sync, and running them without a Dagster server.

``build_definitions`` assembles the assets (assets.py), the job that syncs one
tenant (its partition), retries, the hourly and nightly schedules (stopped
until turned on) and the resources. ``sync_tenants`` runs the job for several
tenants side by side without a webserver, daemon or gRPC code server: each
tenant's run executes in-process in a worker process of its own (Dagster's
in-process execution is not thread-safe), at most ``max_concurrent`` at once,
all recorded in one Dagster instance, whose pool ``servicetitan_tenants``
also limits how many extract at once (dagster.yaml).
"""

import multiprocessing
import os
import shutil
import sys
import typing as t
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster import ScheduleEvaluationContext
from dagster_dbt import DbtCliResource, DbtProject

from servicetitan_orchestration.assets import (
    extract_load_asset,
    raw_tables,
    st_models_asset,
    tenant_partitions,
)
from servicetitan_orchestration.meltano import MeltanoResource
from servicetitan_orchestration.project import project_dir
from servicetitan_orchestration.tenants import Tenant, TenantsFileError, load_tenants

if t.TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

SYNC_JOB = "servicetitan_sync"
#: The instance settings sync_tenants gives a new Dagster home (the pool limit).
INSTANCE_CONFIG = Path(__file__).with_name("dagster.yaml")
#: Tenants syncing at once (ServiceTitan's rate limit is per app and tenant).
DEFAULT_MAX_CONCURRENT = 4
SCHEDULES = {"hourly": "0 * * * *", "nightly": "0 3 * * *"}


@dataclass(frozen=True)
class SyncSettings:
    """Where the project, the tenants list and the Meltano system database are; retries.

    ``project_dir`` (meltano.yml, transforms/, tenants.yml) defaults to
    ``$SERVICETITAN_PROJECT_DIR``, else the current directory (project.py);
    ``tenants_file`` to its ``tenants.yml``.
    """

    project_dir: Path = field(default_factory=project_dir)
    tenants_file: Path = None  # type: ignore[assignment]  # __post_init__: <project_dir>/tenants.yml
    #: MELTANO_DATABASE_URI for the tenants' runs (None: the project's .meltano/meltano.db)
    meltano_database_uri: str | None = None
    preflight: bool = True
    max_retries: int = 2
    #: seconds before the first retry of a failed tenant; the next waits 3x, then 7x (exponential)
    retry_delay: float = 60.0

    def __post_init__(self) -> None:
        if self.tenants_file is None:
            object.__setattr__(self, "tenants_file", self.project_dir / "tenants.yml")

    @classmethod
    def from_environment(cls) -> "SyncSettings":
        """Defaults, overridden by SERVICETITAN_PROJECT_DIR, SERVICETITAN_TENANTS_FILE, MELTANO_DATABASE_URI."""
        tenants_file = os.environ.get("SERVICETITAN_TENANTS_FILE")
        return cls(
            tenants_file=Path(tenants_file) if tenants_file else None,  # type: ignore[arg-type]
            meltano_database_uri=os.environ.get("MELTANO_DATABASE_URI"),
        )

    @property
    def retry_policy(self) -> dg.RetryPolicy:
        """Retries of a failed tenant: exponential backoff with jitter."""
        return dg.RetryPolicy(
            max_retries=self.max_retries,
            delay=self.retry_delay,
            backoff=dg.Backoff.EXPONENTIAL,
            jitter=dg.Jitter.PLUS_MINUS,
        )


def dbt_project(settings: SyncSettings, *, fresh: bool = False) -> DbtProject:
    """The dbt project of the st_* models, with a manifest.

    dbt parses it when it is missing, when ``fresh``, and on every load under
    ``dagster dev``, into transforms/target/dagster/ (``$DBT_TARGET_PATH/dagster``
    when that is set): ``dbt run`` outside Dagster rewrites the target folder's
    manifest.json at any moment.
    """
    transforms = settings.project_dir / "transforms"
    target = Path(os.environ.get("DBT_TARGET_PATH") or "target", "dagster")
    project = DbtProject(project_dir=transforms, profiles_dir=transforms, target_path=target)
    if fresh or os.environ.get("DAGSTER_IS_DEV_CLI") or not project.manifest_path.exists():
        dbt_resource(project).cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project


def dbt_resource(project: DbtProject) -> DbtCliResource:
    """dbt of this environment (beside this Python, on PATH or not) in the project."""
    return DbtCliResource(
        project_dir=str(project.project_dir),
        profiles_dir=str(project.profiles_dir),
        dbt_executable=str(Path(sys.executable).parent / "dbt"),
    )


def build_definitions(settings: SyncSettings) -> dg.Definitions:
    """Assets, job, schedules and resources for the tenants of ``settings.tenants_file``."""
    tenants = {tenant.key: tenant for tenant in load_tenants(settings.tenants_file)}
    partitions = tenant_partitions(tenants.values())
    project = dbt_project(settings)
    st_models = st_models_asset(project, tenants, partitions, settings.retry_policy)
    assets = [
        extract_load_asset(raw_tables(st_models), tenants, partitions, settings.retry_policy),
        st_models,
    ]
    job = dg.define_asset_job(
        SYNC_JOB,
        selection=dg.AssetSelection.assets(*assets),
        description="One tenant (partition): meltano run tap-servicetitan target-postgres, then the st_* models.",
    )
    return dg.Definitions(
        assets=assets,
        jobs=[job],
        schedules=[
            tenant_schedule(name, cron, job, tenants.values()) for name, cron in SCHEDULES.items()
        ],
        resources={
            "meltano": meltano_resource(settings),
            "dbt": dbt_resource(project),
        },
    )


def meltano_resource(settings: SyncSettings) -> MeltanoResource:
    """Meltano in the project, with the settings' system database."""
    return MeltanoResource(
        project_dir=str(settings.project_dir),
        database_uri=settings.meltano_database_uri,
        preflight=settings.preflight,
    )


def tenant_schedule(
    name: str, cron: str, job: "UnresolvedAssetJobDefinition", tenants: Iterable[Tenant]
) -> dg.ScheduleDefinition:
    """A run per tenant whose ``schedule`` is ``name``; stopped until turned on."""
    keys = [tenant.key for tenant in tenants if tenant.schedule == name]

    @dg.schedule(
        name=f"servicetitan_{name}",
        cron_schedule=cron,
        job=job,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"Sync the tenants whose schedule is {name} ({', '.join(keys) or 'none'}).",
    )
    def tenant_runs(context: ScheduleEvaluationContext) -> Iterator[dg.RunRequest]:
        moment = context.scheduled_execution_time
        for key in keys:
            yield dg.RunRequest(partition_key=key, run_key=f"{name}:{key}:{moment}")

    return tenant_runs


@dataclass(frozen=True)
class TenantOutcome:
    """How one tenant's run ended."""

    tenant_id: str
    success: bool
    #: the failure that ended the run (one line), None on success
    error: str | None
    #: retries Dagster made after failed attempts
    retries: int
    run_id: str


def sync_tenants(
    settings: SyncSettings,
    dagster_home: Path,
    tenant_ids: Sequence[str] | None = None,
    max_concurrent: int = DEFAULT_MAX_CONCURRENT,
) -> list[TenantOutcome]:
    """Run the sync job for each tenant (all by default), ``max_concurrent`` at once.

    Every run is recorded in the Dagster instance in ``dagster_home`` (created
    when missing): ``DAGSTER_HOME=<dagster_home> dagster dev`` shows them.
    """
    known = [tenant.key for tenant in load_tenants(settings.tenants_file)]
    keys = list(tenant_ids or known)
    unknown = [key for key in keys if key not in known]
    if unknown:
        msg = (
            f"{settings.tenants_file}: no tenant {', '.join(unknown)} (tenants: {', '.join(known)})"
        )
        raise TenantsFileError(msg)
    prepare_instance(dagster_home)
    dbt_project(settings, fresh=True)  # parsed once, before the workers read it
    meltano_resource(settings).prepare_system_database()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max_concurrent, mp_context=context) as pool:
        futures = [pool.submit(_run_tenant, settings, dagster_home, key) for key in keys]
        return [future.result() for future in futures]


def prepare_instance(dagster_home: Path) -> None:
    """The Dagster instance in ``dagster_home``: its storage, and a dagster.yaml if none.

    The dagster.yaml is this package's: the pool of the
    extract-loads holds 4 tenants at once, in these runs as in any other
    using the instance (``dagster dev`` with the same DAGSTER_HOME).
    """
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(INSTANCE_CONFIG, config)
    dg.DagsterInstance.local_temp(tempdir=str(dagster_home)).dispose()


def _run_tenant(settings: SyncSettings, dagster_home: Path, key: str) -> TenantOutcome:
    """One tenant's run, in-process (in a worker process)."""
    job = build_definitions(settings).resolve_job_def(SYNC_JOB)
    with dg.DagsterInstance.local_temp(tempdir=str(dagster_home)) as instance:
        result = job.execute_in_process(partition_key=key, instance=instance, raise_on_error=False)
    failures = result.get_step_failure_events()
    retries = [
        event for event in result.all_events if event.event_type_value == "STEP_UP_FOR_RETRY"
    ]
    error = None
    if failures:
        failed = failures[-1].step_failure_data
        error = failed.user_failure_data.description if failed.user_failure_data else None
        error = error or (failed.error.message.strip() if failed.error else "failed")
    return TenantOutcome(key, result.success, error, len(retries), result.run_id)
