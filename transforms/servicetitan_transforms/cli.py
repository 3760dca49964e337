"""Command line: ``servicetitan-transforms run [--full-refresh] ...``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from servicetitan_transforms.runner import TransformError, run_transforms
from servicetitan_transforms.settings import (
    DEFAULT_RAW_SCHEMA,
    DEFAULT_TARGET_SCHEMA,
    SettingsError,
    resolve_settings,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

PROG = "servicetitan-transforms"


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Build and refresh the normalized st_* tables from the raw "
        "tap-servicetitan tables loaded by target-postgres.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="apply the SQL transforms (incremental unless --full-refresh)",
        description="Apply the SQL transforms in one transaction. Settings: flags > "
        "SERVICETITAN_TRANSFORMS_<NAME> > TARGET_POSTGRES_<NAME> > defaults; the tenant "
        "also falls back to TAP_SERVICETITAN_TENANT_ID.",
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every st_* row from the raw tables instead of only what changed",
    )
    run.add_argument("--tenant-id", help="ServiceTitan tenant id (required)")
    run.add_argument(
        "--target-schema", help=f"schema of the st_* tables (default {DEFAULT_TARGET_SCHEMA})"
    )
    run.add_argument(
        "--raw-schema", help=f"schema of the raw tables (default {DEFAULT_RAW_SCHEMA})"
    )
    connection = run.add_argument_group("connection")
    connection.add_argument("--host", help="database host or unix socket directory")
    connection.add_argument("--port", help="database port")
    connection.add_argument("--user", help="database user")
    connection.add_argument(
        "--password", help="database password (prefer SERVICETITAN_TRANSFORMS_PASSWORD)"
    )
    connection.add_argument("--database", help="database name")
    connection.add_argument(
        "--sqlalchemy-url",
        help="postgresql+psycopg://user@host:port/db (?host=/socket/dir works)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    cli_values = {
        name: getattr(args, name)
        for name in (
            "host",
            "port",
            "user",
            "password",
            "database",
            "sqlalchemy_url",
            "target_schema",
            "raw_schema",
            "tenant_id",
        )
    }

    def warn(message: str) -> None:
        print(f"{PROG}: warning: {message}", file=sys.stderr)

    try:
        settings = resolve_settings(cli_values)
        summaries = run_transforms(settings, full_refresh=args.full_refresh, warn=warn)
    except (SettingsError, TransformError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing was committed", file=sys.stderr)
        return 130
    for summary in summaries:
        print(summary.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
