"""How long the preflight check takes, and what a wrong database port prints before and after.

1. ``servicetitan-preflight check`` on its own (a healthy setup, the sandbox)
2. ``meltano run servicetitan-preflight:check`` (the same, plus Meltano's start-up)
3. Meltano's start-up alone: ``meltano run`` of a utility command that does nothing
4. ``TARGET_POSTGRES_PORT`` pointing where nothing listens:
   ``meltano run tap-servicetitan target-postgres`` (before) against
   ``meltano run servicetitan-sync`` (after): exit status, lines, traceback lines

Prints medians over ``--repeat`` runs; asserts nothing.

    python bench/bench_preflight.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from servicetitan_devtools.bench_database import recreate_database
from servicetitan_sandbox import SandboxServer

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
DATABASE = "st_bench_preflight"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(command: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, result


def median_seconds(command: list[str], env: dict, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        seconds, result = timed(command, env)
        if result.returncode:
            sys.stderr.write(result.stderr[-3000:])
            msg = f"{' '.join(command)} failed"
            raise RuntimeError(msg)
        runs.append(seconds)
    return statistics.median(runs)


#: A frame of a plain traceback (``File "..."``) or of Meltano's boxed one (``│ path:12 in f``).
FRAME = re.compile(r' File "|│ \S+:\d+ in \w+')


def wall_of(result: subprocess.CompletedProcess) -> str:
    """Exit status, lines, tracebacks and their frames."""
    lines = (result.stdout + result.stderr).splitlines()
    tracebacks = sum("Traceback (most recent call last)" in line for line in lines)
    frames = sum(FRAME.search(line) is not None for line in lines)
    return (
        f"exit {result.returncode}, {len(lines):4} lines, {tracebacks} tracebacks ({frames} frames)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    recreate_database(DATABASE)
    with tempfile.TemporaryDirectory() as state_dir, SandboxServer(customers=1000) as sandbox:
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("TAP_", "TARGET_", "MELTANO_", "SERVICETITAN_"))
            },
            "MELTANO_ENVIRONMENT": "sandbox",
            "MELTANO_DATABASE_URI": f"sqlite:///{state_dir}/meltano.db",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "TAP_SERVICETITAN_API_URL": sandbox.url,
            "TAP_SERVICETITAN_AUTH_URL": sandbox.auth_url,
            "TARGET_POSTGRES_HOST": "127.0.0.1",
            "TARGET_POSTGRES_DATABASE": DATABASE,
        }
        meltano = str(BIN / "meltano")
        alone = median_seconds([str(BIN / "servicetitan-preflight"), "check"], env, args.repeat)
        print(
            f"servicetitan-preflight check               {alone:5.2f} s (median of {args.repeat})"
        )
        through = median_seconds([meltano, "run", "servicetitan-preflight:check"], env, args.repeat)
        print(f"meltano run servicetitan-preflight:check   {through:5.2f} s")
        startup = median_seconds([meltano, "invoke", "dbt-postgres", "--version"], env, args.repeat)
        print(f"meltano start-up (invoke dbt --version)   {startup:5.2f} s")

        down = {**env, "TARGET_POSTGRES_PORT": str(free_port())}
        _, before = timed([meltano, "run", "tap-servicetitan", "target-postgres"], down)
        _, after = timed([meltano, "run", "servicetitan-sync"], down)
        print(f"port where nothing listens, before: {wall_of(before)}")
        print(f"port where nothing listens, after:  {wall_of(after)}")


if __name__ == "__main__":
    main()
