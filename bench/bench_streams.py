"""Streams side by side: a first sync with ``stream_concurrency`` 1 against the default.

The sandbox answers each request after ``--latency`` seconds (ServiceTitan's
round trip; 0 for a local emulator) and enforces ServiceTitan's limit of 60
requests per second with 429s. For each concurrency, interleaved over
``--rounds``: the tap alone over meltano.yml's default selection (records
counted, not kept), and ``meltano run tap-servicetitan target-postgres`` into
a fresh database with fresh state. Printed: wall seconds, records, requests,
the 429s the sandbox answered (none is the target: the tap's own limiter keeps
under the limit), the peak RSS of the tap, and the speed-up over concurrency 1.

    python bench/bench_streams.py [--customers 20000] [--latency 0.3] [--rounds 2]
        [--concurrency 1,4] [--modes tap,meltano]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from servicetitan_catalog.streams import DEFAULT_SELECTION
from servicetitan_devtools.bench_database import recreate_database
from servicetitan_devtools.peak_usage import PeakUsage
from servicetitan_devtools.tap_runner import catalog_selecting, run_tap
from servicetitan_sandbox.process import SandboxProcess
from tap_servicetitan.config import DEFAULT_STREAM_CONCURRENCY

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
DATABASE = "st_bench_streams"
#: ServiceTitan's limit, enforced by the sandbox with 429s.
API_LIMIT = 60


def tap_alone(sandbox: SandboxProcess, concurrency: int) -> dict:
    config = sandbox.tap_config(stream_concurrency=concurrency)
    sandbox.control("POST", "reset-counters")
    run = run_tap(config, catalog=catalog_selecting(config, DEFAULT_SELECTION), keep_records=False)
    if run.returncode:
        raise SystemExit(f"the tap failed ({run.returncode}): {run.stderr[-2000:]}")
    stats = sandbox.control("GET", "stats")
    return {
        "seconds": run.seconds,
        "records": run.record_count,
        "requests": stats["requests"],
        "429": stats["429"],
        "rss": run.peak_rss_mb,
    }


def raw_rows() -> int:
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname=DATABASE) as conn:
        tables = conn.execute(
            "select table_name from information_schema.tables where table_schema = 'tap_servicetitan'"
        ).fetchall()
        return sum(
            conn.execute(f'select count(*) from tap_servicetitan."{name}"').fetchone()[0]
            for (name,) in tables
        )


def meltano_run(sandbox: SandboxProcess, concurrency: int) -> dict:
    """``meltano run tap-servicetitan target-postgres``, meltano.yml's selection, fresh state."""
    recreate_database(DATABASE)
    sandbox.control("POST", "reset-counters")
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("TAP_", "TARGET_", "MELTANO_"))
            },
            "MELTANO_ENVIRONMENT": "sandbox",
            "MELTANO_DATABASE_URI": f"sqlite:///{folder}/meltano.db",
            "MELTANO_SYS_DIR_ROOT": f"{folder}/.meltano",
            "TAP_SERVICETITAN_API_URL": sandbox.url,
            "TAP_SERVICETITAN_AUTH_URL": f"{sandbox.url}/connect/token",
            "TAP_SERVICETITAN_STREAM_CONCURRENCY": str(concurrency),
            "TAP_SERVICETITAN_BATCH_CONFIG": json.dumps(
                {
                    "encoding": {"format": "jsonl", "compression": "gzip"},
                    "storage": {"root": Path(folder, "batches").as_uri()},
                }
            ),
            "TARGET_POSTGRES_HOST": "127.0.0.1",
            "TARGET_POSTGRES_DATABASE": DATABASE,
        }
        started = time.perf_counter()
        proc = subprocess.Popen(
            [str(BIN / "meltano"), "run", "tap-servicetitan", "target-postgres"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        usage = PeakUsage(proc.pid, {"tap": "bin/tap-servicetitan"}).start()
        _, stderr = proc.communicate()
        seconds = time.perf_counter() - started
        usage.stop()
    if proc.returncode:
        sys.stderr.write(stderr[-3000:])
        raise SystemExit(f"meltano run failed ({proc.returncode})")
    stats = sandbox.control("GET", "stats")
    return {
        "seconds": seconds,
        "records": raw_rows(),
        "requests": stats["requests"],
        "429": stats["429"],
        "rss": usage.peak_rss_mb["tap"],
    }


MODES = {"tap": tap_alone, "meltano": meltano_run}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", default=f"1,{DEFAULT_STREAM_CONCURRENCY}")
    parser.add_argument("--modes", default="tap,meltano")
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]
    modes = args.modes.split(",")
    seconds: dict[tuple[str, int], list[float]] = {}
    with SandboxProcess(args.customers, latency=args.latency, rate_limit=API_LIMIT) as sandbox:
        for round_ in range(1, args.rounds + 1):
            for mode in modes:
                for level in levels:  # interleaved: each round runs every level once
                    figures = MODES[mode](sandbox, level)
                    seconds.setdefault((mode, level), []).append(figures["seconds"])
                    print(
                        f"round {round_} | {mode:<7} | stream_concurrency {level:>2} | "
                        f"{figures['seconds']:6.1f} s | {figures['records']:>8} records | "
                        f"{figures['requests']:>5} requests | {figures['429']:>3} 429s | "
                        f"tap peak RSS {figures['rss']:4.0f} MB",
                        flush=True,
                    )
    print(f"{args.customers} customers, latency {args.latency} s (median of {args.rounds}):")
    for mode in modes:
        base = statistics.median(seconds[(mode, levels[0])])
        for level in levels:
            median = statistics.median(seconds[(mode, level)])
            print(
                f"  {mode:<7} stream_concurrency {level:>2}: {median:6.1f} s "
                f"({base / median:.2f}x of {levels[0]})"
            )


if __name__ == "__main__":
    main()
