"""The demo's multi-tenant mode: ``servicetitan-demo --tenants 3``.

Starts one sandbox per tenant (different tenant ids and data, record ids that
overlap), writes a tenants list for them, and syncs them side by side with the
Dagster definitions of ``orchestration/`` executed in-process (no webserver or
daemon): each tenant's extract-load into its own raw schema, then the st_*
models, all tenants in the same st_* tables. Meltano keeps every tenant's
state in a PostgreSQL system database (``<database>_meltano``), which
concurrent runs need. Prints one summary line per tenant from st_customers.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import typing as t
from pathlib import Path
from urllib.parse import quote

import yaml

from servicetitan_sandbox.process import SandboxProcess, SandboxStartError

if t.TYPE_CHECKING:
    from collections.abc import Iterator

#: The demo tenants' ids: FIRST_TENANT_ID, FIRST_TENANT_ID + 1, ...
FIRST_TENANT_ID = 1000001
VARIABLE_PREFIX = "SERVICETITAN_DEMO_TENANT"


class TenantsDemoError(Exception):
    """The multi-tenant demo failed; the message says why in one line."""


class Database(t.Protocol):
    """What the demo knows of its database (demo.py's Database)."""

    kind: str
    name: str
    connect_kwargs: dict[str, t.Any]
    sqlalchemy_url: str

    def meltano_env(self) -> dict[str, str]: ...

    def connect(self) -> t.Any: ...


def say(message: str = "") -> None:
    print(message, flush=True)


def run_tenants_demo(
    tenants: int,
    customers: int,
    seed: int,
    database: Database,
    meltano_database: str,
    state_dir: Path,
    project: Path,
) -> None:
    """Sync ``tenants`` sandbox tenants concurrently through Dagster; print a summary.

    ``meltano_database``: an existing database on the same server for Meltano's state.
    """
    from servicetitan_orchestration.sync import SyncSettings, sync_tenants

    with contextlib.ExitStack() as stack:
        sandboxes = {}
        stack.callback(say, "Sandboxes stopped.")  # last out: after they stop
        say(f"Starting {tenants} ServiceTitan sandboxes ({customers:,} customers each) ...")
        for number in range(tenants):
            tenant_id = FIRST_TENANT_ID + number
            sandbox = SandboxProcess(
                customers,
                seed=seed + number,
                tenant_id=tenant_id,
                log_path=state_dir / f"sandbox-{tenant_id}.log",
            )
            try:
                stack.enter_context(sandbox)
            except SandboxStartError as exc:
                raise TenantsDemoError(str(exc)) from None
            sandboxes[tenant_id] = sandbox
            say(f"  tenant {tenant_id}: sandbox listening on {sandbox.url}")

        tenants_file = state_dir / "tenants.yml"
        tenants_file.write_text(tenants_yaml(sandboxes), encoding="utf-8")
        settings = SyncSettings(
            project_dir=project,
            tenants_file=tenants_file,
            meltano_database_uri=system_database_url(database, meltano_database),
            retry_delay=5.0,
        )
        say(
            f"Syncing {tenants} tenants with Dagster (in-process, up to 4 at once); "
            f"Meltano and Dagster logs in {state_dir / 'tenants-run.log'} ..."
        )
        started = time.monotonic()
        with demo_environment(sandboxes, database), output_to(state_dir / "tenants-run.log"):
            outcomes = sync_tenants(settings, state_dir / "dagster")
        elapsed = time.monotonic() - started
        summarize_tenants(database, {int(o.tenant_id): o for o in outcomes}, elapsed)
        say(f"Dagster runs recorded in {state_dir / 'dagster'}: to browse them,")
        say(
            f"  DAGSTER_HOME={state_dir / 'dagster'} SERVICETITAN_TENANTS_FILE={tenants_file} "
            "dagster dev -m servicetitan_orchestration.definitions"
        )
        failed = [o.tenant_id for o in outcomes if not o.success]
        if failed:
            msg = f"tenant(s) {', '.join(failed)} failed (see above)"
            raise TenantsDemoError(msg)


def tenants_yaml(sandboxes: dict[int, SandboxProcess]) -> str:
    """A tenants list of the sandboxes (their secrets in SERVICETITAN_DEMO_TENANT_* variables)."""
    entries = [
        {
            "id": tenant_id,
            "name": f"Demo tenant {number}",
            "environment": "sandbox",
            "api_url": sandbox.url,
            "auth_url": f"{sandbox.url}/connect/token",
            "secrets": {
                setting: f"{VARIABLE_PREFIX}_{tenant_id}_{setting.upper()}"
                for setting in ("client_id", "client_secret", "st_app_key")
            },
        }
        for number, (tenant_id, sandbox) in enumerate(sandboxes.items(), 1)
    ]
    return yaml.safe_dump({"tenants": entries}, sort_keys=False)


def system_database_url(database: Database, name: str) -> str:
    """MELTANO_DATABASE_URI of database ``name`` on the demo's server."""
    if database.kind == "embedded":
        host = quote(str(database.connect_kwargs["host"]), safe="/")
        return f"postgresql+psycopg://postgres@/{name}?host={host}"
    return database.sqlalchemy_url.rsplit("/", 1)[0] + f"/{name}"


@contextlib.contextmanager
def demo_environment(sandboxes: dict[int, SandboxProcess], database: Database) -> Iterator[None]:
    """The sandboxes' secrets and the database in os.environ while the tenants sync."""
    values = dict(database.meltano_env())
    for tenant_id, sandbox in sandboxes.items():
        config = sandbox.tap_config()
        for setting in ("client_id", "client_secret", "st_app_key"):
            values[f"{VARIABLE_PREFIX}_{tenant_id}_{setting.upper()}"] = config[setting]
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def output_to(path: Path) -> Iterator[None]:
    """File descriptors 1 and 2 (the workers' Meltano, dbt and Dagster logs) into ``path``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with path.open("w", encoding="utf-8") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for descriptor, copy in zip((1, 2), saved, strict=True):
                os.dup2(copy, descriptor)
                os.close(copy)


def summarize_tenants(database: Database, outcomes: dict[int, t.Any], elapsed: float) -> None:
    """One line per tenant from st_customers, and how its run ended."""
    with database.connect() as conn:
        rows = conn.execute(
            "select tenant_id, count(*), count(*) filter (where active), "
            "coalesce(sum(total_jobs), 0), coalesce(sum(lifetime_value), 0), "
            "max(last_synced_at) from public.st_customers group by tenant_id order by tenant_id"
        ).fetchall()
    by_tenant = {row[0]: row[1:] for row in rows}
    say()
    say("=" * 72)
    say(f"{len(outcomes)} tenants synced side by side in {elapsed:.1f} s, one st_customers:")
    say(
        f"  {'tenant':<10}{'run':<9}{'customers':>10}{'active':>9}{'jobs':>9}"
        f"{'lifetime value':>17}  last synced"
    )
    for tenant_id, outcome in sorted(outcomes.items()):
        customers, active, jobs, value, synced = by_tenant.get(tenant_id, (0, 0, 0, 0, None))
        run = "ok" if outcome.success else "FAILED"
        when = synced.strftime("%H:%M:%S") if synced else "-"
        say(
            f"  {tenant_id:<10}{run:<9}{customers:>10,}{active:>9,}{jobs:>9,}{value:>17,.2f}  {when}"
        )
        if not outcome.success:
            say(f"    {outcome.error}")
    say("  raw tables per tenant in schemas tap_servicetitan_<tenant id>; st_* in public")
