"""``servicetitan-preflight check``: one line per wrong setting, or a table of what passed.

Run as the Meltano utility command ``servicetitan-preflight:check`` (the first
task of the ``servicetitan-sync`` job) or on its own from the project
directory. Exit status 0 when every check passed, 1 when any failed, 2 when
the check itself cannot run.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from servicetitan_preflight import api, database, local
from servicetitan_preflight.errors import PreflightError
from servicetitan_preflight.pipeline import Pipeline, resolve
from servicetitan_preflight.report import Outcome, table
from tap_servicetitan.streams import TAP_STREAMS

PROG = "servicetitan-preflight"
EXIT_FAILED = 1
EXIT_CANNOT_RUN = 2

#: option -> (environment variable Meltano sets from the utility's setting, default)
OPTIONS = {
    "extractor": ("SERVICETITAN_PREFLIGHT_EXTRACTOR", "tap-servicetitan"),
    "loader": ("SERVICETITAN_PREFLIGHT_LOADER", "target-postgres"),
    "st_schema_from": (
        "SERVICETITAN_PREFLIGHT_ST_SCHEMA_FROM",
        "dbt-postgres:target_schema",
    ),
    "timezone_from": ("SERVICETITAN_PREFLIGHT_TIMEZONE_FROM", "dbt-postgres:timezone"),
}


def parser() -> argparse.ArgumentParser:
    summary = __doc__.split("\n\n")[0].replace("``", "")  # no reStructuredText in --help
    parser = argparse.ArgumentParser(prog=PROG, description=summary)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser(
        "check",
        help="check the database, the API and the local setup before a run",
        description="Resolves the pipeline's settings as 'meltano run' does (active environment, "
        ".env, meltano.yml) and checks them. Settings: SERVICETITAN_PREFLIGHT_<OPTION>.",
    )
    for option, (env, default) in OPTIONS.items():
        flag = "--" + option.replace("_", "-")
        check.add_argument(
            flag, default=os.environ.get(env) or default, help=f"default: {default} (${env})"
        )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    _silence_libraries()
    started = time.perf_counter()
    try:
        pipeline = resolve(
            extractor=args.extractor,
            loader=args.loader,
            st_schema_from=args.st_schema_from,
            timezone_from=args.timezone_from,
            streams=[stream.name for stream in TAP_STREAMS],
        )
        outcomes = run_checks(pipeline)
    except PreflightError as exc:
        _fail([str(exc)], EXIT_CANNOT_RUN)
    except Exception as exc:  # a bug of ours must still be one line
        _fail([f"the check itself failed: {type(exc).__name__}: {exc}"], EXIT_CANNOT_RUN)
    failures = [outcome.detail for outcome in outcomes if outcome.failed]
    if failures:
        _fail(failures, EXIT_FAILED)
    elapsed = time.perf_counter() - started
    environment = pipeline.environment or "no environment"
    sys.stdout.write(
        f"{PROG}: {len(outcomes)} checks passed in {elapsed:.1f} s ({environment})\n"
        f"{table(outcomes)}\n"
    )


def run_checks(pipeline: Pipeline) -> list[Outcome]:
    """The three areas side by side (each waits on the network, not the CPU)."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        areas = [pool.submit(area.check, pipeline) for area in (database, api, local)]
        return [outcome for future in areas for outcome in future.result()]


def _silence_libraries() -> None:
    """Only the check's own lines reach the terminal (no retry or token log lines)."""
    logging.getLogger().addHandler(logging.NullHandler())
    logging.getLogger().setLevel(logging.CRITICAL)


def _fail(lines: list[str], status: int) -> None:
    for line in lines:
        sys.stderr.write(f"{PROG}: error: {line}\n")
    sys.exit(status)


if __name__ == "__main__":
    main()
