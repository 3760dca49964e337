"""``servicetitan-tenants``: check the tenants list; sync tenants without a Dagster server.

    servicetitan-tenants check
    servicetitan-tenants sync [--tenant ID ...] [--max-concurrent 4]

``sync`` runs the Dagster job of each tenant in-process (sync.py) and records
the runs in ``$DAGSTER_HOME`` (default ``.meltano/dagster``), where
``dagster dev`` shows them.
"""

from __future__ import annotations

import argparse
import os
import sys
import typing as t
from dataclasses import replace
from pathlib import Path

from servicetitan_orchestration.project import ProjectDirError, meltano_dir
from servicetitan_orchestration.sync import (
    DEFAULT_MAX_CONCURRENT,
    SyncSettings,
    meltano_resource,
    sync_tenants,
)
from servicetitan_orchestration.tenants import TenantsFileError, load_tenants

if t.TYPE_CHECKING:
    from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="servicetitan-tenants",
        description="The tenants list (tenants.yml) and an in-process sync of its tenants.",
    )
    parser.add_argument(
        "--file",
        type=Path,
        help="the tenants list (default: SERVICETITAN_TENANTS_FILE, else tenants.yml)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="validate the tenants list; say which secrets are unset")
    sync = commands.add_parser("sync", help="sync tenants (all by default), side by side")
    sync.add_argument("--tenant", action="append", help="a tenant id (repeatable)")
    sync.add_argument("--max-concurrent", type=int, default=DEFAULT_MAX_CONCURRENT)
    return parser


def check(settings: SyncSettings) -> int:
    """Print the tenants; 1 when a secret variable is unset (in the environment and .env)."""
    unset = 0
    variables = meltano_resource(settings).variables()
    for tenant in load_tenants(settings.tenants_file):
        missing = [name for name in tenant.secrets.values() if not variables.get(name)]
        unset += bool(missing)
        secrets = f"unset: {', '.join(missing)}" if missing else "secrets set"
        print(
            f"{tenant.id}  {tenant.name}  [{tenant.environment}, {tenant.schedule}]  "
            f"raw schema {tenant.raw_schema}  time zone {tenant.timezone}  {secrets}"
        )
    return 1 if unset else 0


def sync(settings: SyncSettings, tenant_ids: Sequence[str] | None, max_concurrent: int) -> int:
    """Sync the tenants; one line per tenant; 1 when any failed."""
    home = Path(os.environ.get("DAGSTER_HOME") or meltano_dir(settings.project_dir) / "dagster")
    outcomes = sync_tenants(settings, home, tenant_ids, max_concurrent)
    for outcome in outcomes:
        retried = f" after {outcome.retries} retries" if outcome.retries else ""
        status = "synced" if outcome.success else f"FAILED{retried}: {outcome.error}"
        print(f"tenant {outcome.tenant_id}: {status} (run {outcome.run_id})")
    return 0 if all(outcome.success for outcome in outcomes) else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = SyncSettings.from_environment()
    except ProjectDirError as error:
        print(f"servicetitan-tenants: error: {error}", file=sys.stderr)
        return 2
    if args.file:
        settings = replace(settings, tenants_file=args.file)
    try:
        if args.command == "check":
            return check(settings)
        return sync(settings, args.tenant, args.max_concurrent)
    except TenantsFileError as error:
        print(f"servicetitan-tenants: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
