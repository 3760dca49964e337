"""How much work a killed run loses: how often Meltano saves the pipeline's state.

A killed ``meltano run`` resumes from the last state Meltano saved, which is
the last state target-postgres wrote. This benchmark runs ``meltano run
tap-servicetitan target-postgres`` on the sandbox (meltano.yml's default
selection) and watches Meltano's system database:

1. an uninterrupted run: when each state was saved. The longest time without
   a new state (from the start to the first, between two, from the last to
   the end) is what a run killed at the worst moment loses;
2. a run killed (SIGKILL to the whole process group) after ``--kill-at``
   seconds, then rerun: the rows loaded before the kill, the records the
   rerun extracted, and those extracted twice.

Prints figures; no pass/fail.

    python bench/bench_kill.py [--customers 20000] [--kill-at 60]
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

from servicetitan_sandbox.process import SandboxProcess

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
PIPELINE = ("run", "tap-servicetitan", "target-postgres")
TAP_LINE = re.compile(r"\]\s+tap-servicetitan\s")
METRIC = re.compile(r'"metric": ?"record_count", ?"value": ?(\d+)')


def admin() -> psycopg.Connection:
    return psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True)


def raw_rows(database: str) -> int:
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname=database) as conn:
        tables = conn.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'tap_servicetitan'"
        ).fetchall()
        return sum(
            conn.execute(f'select count(*) from tap_servicetitan."{t}"').fetchone()[0]
            for (t,) in tables
        )


class StateWatch:
    """Polls Meltano's SQLite system database; the times at which the saved state changed."""

    def __init__(self, db_path: Path, started: float) -> None:
        self.db_path = db_path
        self.started = started
        self.saves: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> StateWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        last = None
        while not self._stop.wait(0.2):
            try:
                with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as conn:
                    rows = conn.execute(
                        "select partial_state, completed_state from state order by state_id"
                    ).fetchall()
            except sqlite3.Error:
                continue
            if rows and rows != last:
                last = rows
                self.saves.append(time.perf_counter() - self.started)


def env_for(sandbox: SandboxProcess, database: str, state_dir: Path) -> dict[str, str]:
    return {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TAP_", "TARGET_", "MELTANO_", "DBT_"))
        },
        "MELTANO_ENVIRONMENT": "sandbox",
        "MELTANO_DATABASE_URI": f"sqlite:///{state_dir / 'meltano.db'}",
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "TAP_SERVICETITAN_API_URL": sandbox.url,
        "TAP_SERVICETITAN_AUTH_URL": f"{sandbox.url}/connect/token",
        "TARGET_POSTGRES_HOST": "127.0.0.1",
        "TARGET_POSTGRES_DATABASE": database,
    }


def run(
    env: dict, state_dir: Path, kill_at: float | None = None, *, force: bool = False
) -> tuple[float, list, str, int]:
    """One pipeline run: seconds, state save times, output, exit status.

    ``force``: past Meltano's check for a run still marked running (a killed one).
    """
    started = time.perf_counter()
    with (
        tempfile.TemporaryFile("w+") as output,
        StateWatch(state_dir / "meltano.db", started) as watch,
    ):
        proc = subprocess.Popen(
            [str(BIN / "meltano"), PIPELINE[0], *(["--force"] if force else []), *PIPELINE[1:]],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=kill_at)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        seconds = time.perf_counter() - started
        time.sleep(0.5)  # a last poll
        output.seek(0)
        return seconds, watch.saves, output.read(), proc.returncode


def extracted(output: str) -> int:
    """Records the tap counted (the loader logs its own record_count lines too)."""
    return sum(
        int(m)
        for line in output.splitlines()
        if TAP_LINE.search(line)
        for m in METRIC.findall(line)
    )


def worst_gap(seconds: float, saves: list[float]) -> tuple[float, float]:
    """The longest time without a saved state, and when it ended."""
    points = [0.0, *saves, seconds]
    gaps = [(b - a, b) for a, b in itertools.pairwise(points)]
    return max(gaps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--kill-at", type=float, default=60.0, help="seconds into the run")
    args = parser.parse_args()
    database = f"st_bench_kill_{secrets.token_hex(4)}"
    with SandboxProcess(args.customers) as sandbox:
        print(f"sandbox: {args.customers} customers; meltano.yml's default selection", flush=True)
        for killed in (False, True):
            with admin() as conn:
                conn.execute(f"drop database if exists {database} with (force)")
                conn.execute(f"create database {database}")
            try:
                with tempfile.TemporaryDirectory() as tmp:
                    state_dir = Path(tmp)
                    env = env_for(sandbox, database, state_dir)
                    if killed:
                        measure_killed(env, state_dir, database, args.kill_at)
                    else:
                        measure_uninterrupted(env, state_dir, database)
            finally:
                with admin() as conn:
                    conn.execute(f"drop database if exists {database} with (force)")


def measure_uninterrupted(env: dict, state_dir: Path, database: str) -> None:
    seconds, saves, output, status = run(env, state_dir)
    if status:
        sys.stderr.write(output[-3000:])
        raise SystemExit("the run failed")
    gap, ended = worst_gap(seconds, saves)
    shown = ", ".join(f"{s:.0f}" for s in saves)
    print(
        f"uninterrupted: {seconds:.1f} s, {extracted(output):,} records, {raw_rows(database):,} "
        f"rows; state saved {len(saves)} times, at s: {shown}",
        flush=True,
    )
    print(
        f"  longest time without a saved state: {gap:.1f} s (ending at {ended:.0f} s): "
        "a run killed at the worst moment redoes at most that much work",
        flush=True,
    )


def measure_killed(env: dict, state_dir: Path, database: str, kill_at: float) -> None:
    label = f"killed at {kill_at:.0f} s"
    seconds, saves, output, _ = run(env, state_dir, kill_at=kill_at)
    loaded = raw_rows(database)
    since = seconds - saves[-1] if saves else seconds
    state = "saved" if saves else "never saved"
    print(
        f"{label}: {extracted(output):,} records extracted, {loaded:,} rows loaded, state "
        f"{state} ({len(saves)} times, the last {since:.1f} s before the kill)",
        flush=True,
    )
    rerun_seconds, _, rerun_output, status = run(env, state_dir, force=True)
    if status:
        sys.stderr.write(rerun_output[-3000:])
        raise SystemExit("the rerun failed")
    total = raw_rows(database)
    again = extracted(rerun_output)
    print(
        f"  rerun: {rerun_seconds:.1f} s, {again:,} records extracted; rows in the end "
        f"{total:,}; extracted twice: about {max(0, loaded + again - total):,} records",
        flush=True,
    )


if __name__ == "__main__":
    main()
