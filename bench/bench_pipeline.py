"""End-to-end load and incremental benchmark through Meltano.

1. Full run:        meltano run tap-servicetitan target-postgres dbt-postgres:run
2. No-op run:       the same with nothing changed (Meltano + plugin start-up, 9 requests)
3. Incremental run: after the sandbox changed about 1% of the tenant

Prints wall time, records/s, and the requests each run made.

    python bench/bench_pipeline.py [--customers 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from servicetitan_catalog.streams import CORE_STREAMS
from servicetitan_devtools.bench_database import recreate_database
from servicetitan_sandbox.process import SandboxProcess

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
DATABASE = f"st_bench_pipeline_{secrets.token_hex(4)}"
#: The core nine streams (meltano.yml's default selection has more).
RAW_TABLES = CORE_STREAMS


def raw_rows() -> int:
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname=DATABASE) as conn:
        return sum(
            conn.execute(f"select count(*) from tap_servicetitan.{t}").fetchone()[0]
            for t in RAW_TABLES
        )


def meltano_run(env: dict, *blocks: str) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [str(BIN / "meltano"), "run", *blocks],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode:
        sys.stderr.write(result.stderr[-3000:])
        msg = "meltano run failed"
        raise RuntimeError(msg)
    return seconds


def measure(sandbox: SandboxProcess, env: dict, label: str, records: int | None = None) -> None:
    sandbox.control("POST", "reset-counters")
    load = meltano_run(env, "tap-servicetitan", "target-postgres")
    transform = meltano_run(env, "dbt-postgres:run")
    stats = sandbox.control("GET", "stats")
    rate = f" = {records / load:8,.0f} records/s end to end" if records else ""
    print(
        f"{label:<18} extract+load {load:7.1f} s{rate} | transforms {transform:5.1f} s | "
        f"{stats['requests']:>5} API requests, {stats['token']} token",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=50000)
    parser.add_argument("--fraction", type=float, default=0.01)
    args = parser.parse_args()

    recreate_database(DATABASE)
    try:
        run_benchmark(args.customers, args.fraction)
    finally:
        with psycopg.connect(
            host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f"drop database if exists {DATABASE} with (force)")


def run_benchmark(customers: int, fraction: float) -> None:
    with tempfile.TemporaryDirectory() as state_dir, SandboxProcess(customers) as sandbox:
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("TAP_", "TARGET_", "MELTANO_", "DBT_"))
            },
            "MELTANO_ENVIRONMENT": "sandbox",
            "MELTANO_DATABASE_URI": f"sqlite:///{state_dir}/meltano.db",
            "TAP_SERVICETITAN_API_URL": sandbox.url,
            "TAP_SERVICETITAN_AUTH_URL": f"{sandbox.url}/connect/token",
            "TAP_SERVICETITAN__SELECT": json.dumps([f"{name}.*" for name in RAW_TABLES]),
            "TARGET_POSTGRES_HOST": "127.0.0.1",
            "TARGET_POSTGRES_DATABASE": DATABASE,
        }
        print(f"sandbox: {customers} customers", flush=True)
        sandbox.control("POST", "reset-counters")
        started = time.perf_counter()
        load = meltano_run(env, "tap-servicetitan", "target-postgres")
        records = raw_rows()
        transform = meltano_run(env, "dbt-postgres:run")
        stats = sandbox.control("GET", "stats")
        full_total = time.perf_counter() - started
        print(
            f"{'full run':<18} extract+load {load:7.1f} s = {records / load:8,.0f} records/s end to end "
            f"({records} records) | transforms {transform:5.1f} s | {stats['requests']:>5} API requests",
            flush=True,
        )
        full_requests = stats["requests"]

        measure(sandbox, env, "no-op run")

        summary = sandbox.control("POST", "mutate", {"fraction": fraction, "seed": 1})
        changed = sum(sum(v.values()) if isinstance(v, dict) else 0 for v in summary.values())
        sandbox.control("POST", "reset-counters")
        started = time.perf_counter()
        load = meltano_run(env, "tap-servicetitan", "target-postgres")
        transform = meltano_run(env, "dbt-postgres:run")
        incremental_total = time.perf_counter() - started
        stats = sandbox.control("GET", "stats")
        print(
            f"{'incremental (1%)':<18} extract+load {load:7.1f} s | transforms {transform:5.1f} s | "
            f"{stats['requests']:>5} API requests ({changed} records changed)",
            flush=True,
        )
        print(
            f"incremental / full: requests {100 * stats['requests'] / full_requests:.1f}% , "
            f"wall time {100 * incremental_total / full_total:.1f}%",
            flush=True,
        )


if __name__ == "__main__":
    main()
