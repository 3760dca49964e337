"""What record reconciliation costs a run: requests and seconds on the default selection.

The tap runs twice against two identical sandboxes (same seed), with
meltano.yml's default selection: once without ``record_counts``, once with it.
The difference in requests the sandbox served is the cost in requests (one
count per stream with a count endpoint, plus one that reads the API's clock);
the ``record_counts`` stream's own ``sync_duration`` (singer-sdk's metric) is
its cost in seconds, at the default ``requests_per_second`` (50) and, for
comparison, unthrottled. A first run and an incremental run cost the same:
the counts do not depend on what changed. Then the warehouse's side: one
``meltano run tap-servicetitan target-postgres dbt-postgres:run`` of the
default selection into a throwaway database, and dbt's own timings of
st_reconciliation and of its test.

    python bench/bench_reconciliation.py [--customers 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from servicetitan_catalog.streams import DEFAULT_SELECTION
from servicetitan_devtools.tap_runner import catalog_selecting, run_tap
from servicetitan_sandbox import SandboxServer
from tap_servicetitan.reconciliation import COUNT_ENDPOINTS, STREAM_NAME

METRIC = re.compile(r"METRIC: (\{.*\})")
ROOT = Path(__file__).resolve().parents[1]
MELTANO = str(Path(sys.executable).parent / "meltano")
DBT_TIMING = re.compile(r"(st_reconciliation|reconciliation_no_missing_records) .*? in ([\d.]+)s\]")


def stream_seconds(stderr: str, stream: str) -> float | None:
    """singer-sdk's ``sync_duration`` of one stream, from the tap's log."""
    for match in METRIC.finditer(stderr):
        point = json.loads(match[1])
        if point.get("metric") == "sync_duration" and point["tags"].get("stream") == stream:
            return float(point["value"])
    return None


def run(customers: int, selection: list[str], rate: float) -> tuple[int, float, float | None]:
    with SandboxServer(customers=customers, seed=77, export_page_size=500) as server:
        config = server.tap_config(requests_per_second=rate)
        catalog = catalog_selecting(config, selection)
        server.reset_counters()
        tap = run_tap(config, catalog=catalog, keep_records=False)
        assert tap.returncode == 0, tap.stderr[-2000:]
        return server.counters["requests"], tap.seconds, stream_seconds(tap.stderr, STREAM_NAME)


@contextmanager
def throwaway_database() -> Iterator[dict]:
    name = f"st_bench_reconciliation_{secrets.token_hex(4)}"
    admin = {"host": "127.0.0.1", "user": "postgres", "dbname": "postgres", "autocommit": True}
    with psycopg.connect(**admin) as conn:
        conn.execute(f'create database "{name}"')
    try:
        yield {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": name}
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


def warehouse_seconds(customers: int) -> dict[str, float]:
    """dbt's timings of st_reconciliation and its test after one default-selection run."""
    timings: dict[str, float] = {}
    with (
        SandboxServer(customers=customers, seed=77, export_page_size=500) as server,
        throwaway_database() as database,
        tempfile.TemporaryDirectory() as state,
    ):
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("TAP_", "TARGET_", "MELTANO_", "DBT_"))
            },
            "MELTANO_ENVIRONMENT": "sandbox",
            "MELTANO_DATABASE_URI": f"sqlite:///{state}/meltano.db",
            "TAP_SERVICETITAN_API_URL": server.url,
            "TAP_SERVICETITAN_AUTH_URL": server.auth_url,
            "TARGET_POSTGRES_HOST": database["host"],
            "TARGET_POSTGRES_PORT": str(database["port"]),
            "TARGET_POSTGRES_USER": database["user"],
            "TARGET_POSTGRES_DATABASE": database["dbname"],
        }
        commands = (
            ["run", "tap-servicetitan", "target-postgres", "dbt-postgres:run"],
            ["invoke", "dbt-postgres", "test", "--project-dir", "transforms", "--profiles-dir",
             "transforms", "--select", "reconciliation_no_missing_records"],
        )  # fmt: skip
        for command in commands:
            done = subprocess.run(
                [MELTANO, *command], cwd=ROOT, env=env, capture_output=True, text=True, check=False
            )
            assert done.returncode == 0, done.stderr[-3000:]
            for name, seconds in DBT_TIMING.findall(done.stdout + done.stderr):
                timings[name] = float(seconds)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    args = parser.parse_args()
    without = [name for name in DEFAULT_SELECTION if name != STREAM_NAME]
    counted = [name for name in without if name in COUNT_ENDPOINTS]
    print(
        f"default selection: {len(without)} streams, {len(counted)} with a count endpoint, "
        f"{len(without) - len(counted)} noted as not counted; {args.customers} customers"
    )
    for label, rate in (("requests_per_second 50 (default)", 50.0), ("unthrottled", 100000.0)):
        base_requests, base_seconds, _ = run(args.customers, without, rate)
        requests, seconds, counting = run(args.customers, [*without, STREAM_NAME], rate)
        print(
            f"{label}: reconciliation costs {requests - base_requests} requests "
            f"({base_requests} -> {requests} for the run) and "
            f"{counting if counting is not None else float('nan'):.2f} s (record_counts' "
            f"sync_duration); the run took {base_seconds:.1f} s -> {seconds:.1f} s"
        )
    timings = warehouse_seconds(args.customers)
    print(
        f"warehouse side (dbt): st_reconciliation built in {timings.get('st_reconciliation', 0):.2f} s, "
        f"its test in {timings.get('reconciliation_no_missing_records', 0):.2f} s"
    )


if __name__ == "__main__":
    main()
