"""Many tenants through Dagster: sequential vs side by side, wall time and peak memory.

For each number of tenants and each concurrency limit: that many sandbox
tenants (each its own process and data), a fresh warehouse, Meltano system
database (PostgreSQL) and Dagster instance, then every tenant's first (full)
sync with ``sync_tenants`` (orchestration/): each tenant's run in-process in a
worker process, at most ``limit`` at once. Prints wall time and the peak
memory of everything the sync started (the sum over its process tree at the
fullest moment, sandboxes excluded) and of each kind of process.

    python bench/bench_tenants.py [--customers 2000] [--tenants 3,10] [--limits 1,4]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import psycopg
import yaml

from servicetitan_devtools.peak_usage import PeakUsage
from servicetitan_orchestration.sync import SyncSettings, sync_tenants
from servicetitan_sandbox.process import SandboxProcess

ROOT = Path(__file__).resolve().parents[1]
FIRST_TENANT_ID = 2000001
ROLES = {
    "worker": "multiprocessing.spawn",
    "meltano": "bin/meltano",
    "tap": "/extractors/tap-servicetitan/",
    "target": "/loaders/target-postgres/",
    "dbt": "bin/dbt",
}


class TreeMemory:
    """The largest total RSS of this process's descendants (sandboxes aside)."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.peak_mb = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.is_set():
            total = 0
            for process in psutil.Process().children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    if "servicetitan_sandbox" not in " ".join(process.cmdline()):
                        total += process.memory_info().rss
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self._done.wait(self.interval)


def on_server(*statements: str) -> None:
    """Run statements outside any database (creating and dropping the benchmark's)."""
    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        for statement in statements:
            conn.execute(statement)


def create_databases(*names: str) -> None:
    on_server(*(f"create database {name}" for name in names))


def drop_databases(*names: str) -> None:
    on_server(*(f"drop database if exists {name} with (force)" for name in names))


def tenants_file(folder: Path, sandboxes: dict[int, SandboxProcess]) -> Path:
    entries = []
    for tenant_id, sandbox in sandboxes.items():
        config = sandbox.tap_config()
        names = {}
        for setting in ("client_id", "client_secret", "st_app_key"):
            names[setting] = f"BENCH_{tenant_id}_{setting.upper()}"
            os.environ[names[setting]] = config[setting]
        entries.append(
            {
                "id": tenant_id,
                "name": f"Bench tenant {tenant_id}",
                "environment": "sandbox",
                "api_url": sandbox.url,
                "auth_url": config["auth_url"],
                "secrets": names,
            }
        )
    path = folder / "tenants.yml"
    path.write_text(yaml.safe_dump({"tenants": entries}), encoding="utf-8")
    return path


def measure(sandboxes: dict[int, SandboxProcess], limit: int) -> dict:
    warehouse = f"st_bench_tenants_{secrets.token_hex(4)}"
    system = f"{warehouse}_meltano"
    create_databases(warehouse, system)
    os.environ.update(
        {
            "TARGET_POSTGRES_HOST": "127.0.0.1",
            "TARGET_POSTGRES_PORT": "5432",
            "TARGET_POSTGRES_USER": "postgres",
            "TARGET_POSTGRES_DATABASE": warehouse,
        }
    )
    try:
        with tempfile.TemporaryDirectory(prefix="bench-tenants-") as folder:
            settings = SyncSettings(
                project_dir=ROOT,
                tenants_file=tenants_file(Path(folder), sandboxes),
                meltano_database_uri=f"postgresql+psycopg://postgres@127.0.0.1:5432/{system}",
                preflight=False,
                max_retries=0,
            )
            roles = PeakUsage(os.getpid(), ROLES).start()
            started = time.perf_counter()
            with TreeMemory() as tree, open(Path(folder) / "log", "w") as log:
                saved = os.dup(1), os.dup(2)
                os.dup2(log.fileno(), 1)
                os.dup2(log.fileno(), 2)
                try:
                    outcomes = sync_tenants(
                        settings, Path(folder) / "dagster", max_concurrent=limit
                    )
                finally:
                    for descriptor, copy in zip((1, 2), saved, strict=True):
                        os.dup2(copy, descriptor)
                        os.close(copy)
            seconds = time.perf_counter() - started
            roles.stop()
        with psycopg.connect(host="127.0.0.1", user="postgres", dbname=warehouse) as conn:
            customers = conn.execute("select count(*) from public.st_customers").fetchone()[0]
    finally:
        drop_databases(warehouse, system)
    return {
        "seconds": seconds,
        "ok": sum(outcome.success for outcome in outcomes),
        "customers": customers,
        "tree_mb": tree.peak_mb,
        "roles": roles.peak_rss_mb,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--tenants", default="3,10", help="comma-separated tenant counts")
    parser.add_argument("--limits", default="1,4", help="comma-separated concurrency limits")
    args = parser.parse_args()
    counts = [int(n) for n in args.tenants.split(",")]
    limits = [int(n) for n in args.limits.split(",")]
    print(f"{os.cpu_count()} CPUs; {args.customers:,} customers per tenant; first (full) sync")
    print(
        f"{'tenants':>7} {'limit':>5} {'wall s':>8} {'ok':>4} {'st_customers':>13} "
        f"{'peak MB all':>12}  peak MB per process"
    )
    for count in counts:
        with contextlib.ExitStack() as stack:
            sandboxes = {
                FIRST_TENANT_ID + n: stack.enter_context(
                    SandboxProcess(args.customers, seed=100 + n, tenant_id=FIRST_TENANT_ID + n)
                )
                for n in range(count)
            }
            for limit in limits:
                got = measure(sandboxes, limit)
                per_role = ", ".join(f"{role} {mb:.0f}" for role, mb in got["roles"].items())
                print(
                    f"{count:>7} {limit:>5} {got['seconds']:>8.1f} {got['ok']:>4} "
                    f"{got['customers']:>13,} {got['tree_mb']:>12.0f}  {per_role}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
