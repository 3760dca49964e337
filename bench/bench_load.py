"""Extract and load through Meltano: BATCH messages against plain RECORD messages.

For each tenant size and mode, a full ``meltano run tap-servicetitan
target-postgres`` into a fresh database with fresh state: wall time,
records/s, the peak RSS and CPU time of the tap and of the target (and the
CPU time of Meltano, which forwards every message line), and the peak size
of the batch folder. CPU times say where the work went even when
other processes share the machine (wall times then vary). ``batch`` is the project's configuration (meltano.yml's
``batch_config``, its folder moved to a temporary one so that only this run's
files are measured); ``records`` sets ``batch_config`` to ``{}``; ``loader``
runs the tap alone into BATCH files first (not timed) and then times
``meltano invoke target-postgres`` reading the saved messages: target-postgres
with nothing else running, the ceiling of the ``batch`` pipeline.

    python bench/bench_load.py [--sizes 20000,50000] [--modes batch,records,loader] [--repeat 2]
        [--batch-size 50000]   (records a file, instead of meltano.yml's batch_size)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

import psycopg
import yaml

from servicetitan_catalog.streams import CORE_STREAMS
from servicetitan_devtools.bench_database import recreate_database
from servicetitan_devtools.peak_usage import PeakUsage
from servicetitan_sandbox.process import SandboxProcess

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
DATABASE = "st_bench_load"
#: The core nine streams (meltano.yml's default selection has more).
RAW_TABLES = CORE_STREAMS
#: What each process's command line contains (Meltano itself forwards every message line).
PROCESSES = {
    "meltano": "bin/meltano ",
    "tap": "bin/tap-servicetitan",
    "target": "bin/servicetitan-target-postgres",
}


def raw_rows() -> int:
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname=DATABASE) as conn:
        return sum(
            conn.execute(f"select count(*) from tap_servicetitan.{t}").fetchone()[0]
            for t in RAW_TABLES
        )


def project_batch_config() -> dict | None:
    """meltano.yml's ``batch_config`` value for the tap (None when it declares none)."""
    manifest = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    (tap,) = [p for p in manifest["plugins"]["extractors"] if p["name"] == "tap-servicetitan"]
    for setting in tap.get("settings", []):
        if setting["name"] == "batch_config":
            return setting.get("value")
    return None


def environment(sandbox: SandboxProcess, state_dir: str, batch_config: dict) -> dict:
    return {
        **{
            k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_", "MELTANO_"))
        },
        "MELTANO_ENVIRONMENT": "sandbox",
        "MELTANO_DATABASE_URI": f"sqlite:///{state_dir}/meltano.db",
        "TAP_SERVICETITAN_API_URL": sandbox.url,
        "TAP_SERVICETITAN_AUTH_URL": f"{sandbox.url}/connect/token",
        "TAP_SERVICETITAN__SELECT": json.dumps([f"{name}.*" for name in RAW_TABLES]),
        "TAP_SERVICETITAN_BATCH_CONFIG": json.dumps(batch_config),
        "TARGET_POSTGRES_HOST": "127.0.0.1",
        "TARGET_POSTGRES_DATABASE": DATABASE,
    }


def batch_config_in(folder: str, batch_size: int | None) -> dict:
    """meltano.yml's ``batch_config`` with its files under ``folder``."""
    batch_config = project_batch_config() or {}
    if not batch_config:
        raise SystemExit("meltano.yml declares no batch_config for tap-servicetitan")
    batch_config["storage"] = {"root": Path(folder).as_uri()}
    if batch_size:
        batch_config["batch_size"] = batch_size
    return batch_config


def timed(
    command: list[str], env: dict, folder: str, stdin: t.IO | None = None
) -> tuple[float, PeakUsage]:
    """Run a Meltano command to its end: wall seconds and the usage of its processes."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(BIN / "meltano"), *command],
        cwd=ROOT,
        env=env,
        stdin=stdin,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    usage = PeakUsage(proc.pid, PROCESSES, folder=Path(folder)).start()
    _, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    usage.stop()
    if proc.returncode:
        sys.stderr.write(stderr[-3000:])
        raise SystemExit(f"meltano {command[0]} failed ({proc.returncode})")
    return seconds, usage


def measure(sandbox: SandboxProcess, mode: str, batch_size: int | None) -> None:
    recreate_database(DATABASE)
    with tempfile.TemporaryDirectory() as state_dir, tempfile.TemporaryDirectory() as batches:
        batch_config = batch_config_in(batches, batch_size) if mode != "records" else {}
        env = environment(sandbox, state_dir, batch_config)
        if mode == "loader":
            with tempfile.TemporaryFile("w+") as messages:
                subprocess.run(
                    [str(BIN / "meltano"), "invoke", "tap-servicetitan"],
                    cwd=ROOT,
                    env=env,
                    stdout=messages,
                    stderr=subprocess.DEVNULL,
                    check=True,
                )
                messages.seek(0)
                # meltano run names the raw schema after the extractor; invoke does not
                env["TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA"] = "tap_servicetitan"
                seconds, usage = timed(["invoke", "target-postgres"], env, batches, messages)
        else:
            seconds, usage = timed(["run", "tap-servicetitan", "target-postgres"], env, batches)
    records = raw_rows()
    print(
        f"{sandbox.customers:>7} customers | {mode_label(mode, batch_size):<13} | {records:>8} "
        f"records in {seconds:6.1f} s "
        f"= {records / seconds:8,.0f} records/s | CPU s tap {usage.cpu_seconds['tap']:5.1f}, "
        f"target {usage.cpu_seconds['target']:5.1f}, meltano {usage.cpu_seconds['meltano']:5.1f} "
        f"| peak RSS tap "
        f"{usage.peak_rss_mb['tap']:4.0f} MB, target {usage.peak_rss_mb['target']:4.0f} MB | "
        f"batch folder peak {usage.peak_folder_bytes / 1e6:5.1f} MB",
        flush=True,
    )


def mode_label(mode: str, batch_size: int | None) -> str:
    """The mode as printed, with the batch size when it is not meltano.yml's."""
    return f"{mode}/{batch_size}" if mode != "records" and batch_size else mode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="20000,50000")
    parser.add_argument("--modes", default="batch,records")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument(
        "--batch-size", type=int, help="records a BATCH file (default: meltano.yml's batch_size)"
    )
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        with SandboxProcess(size) as sandbox:
            for _ in range(args.repeat):
                for mode in args.modes.split(","):
                    measure(sandbox, mode, args.batch_size)


if __name__ == "__main__":
    main()
