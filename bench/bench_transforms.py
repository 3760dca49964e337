"""Benchmark of the dbt project (transforms/): full build, refreshes, data tests.

Creates a scratch database, lets target-postgres create the raw tables from
the tap's schemas (so they are shaped exactly like a real load), fills them
with generate_series (every stream the st_* and KPI tables read, at related
volumes: bench/transforms_raw.py), then times `dbt run` as a process,
start-up included: the first build, a run with nothing new, a run after 1% of
the raw rows of every stream changed, `dbt test`, and a --full-refresh over
the built tables, each with its slowest models (dbt's run_results.json).
Meltano's own start-up is measured apart (`meltano invoke dbt-postgres:run`
against the same no-change run). Prints the figures and drops the database.
No assertions.

    .venv/bin/python bench/bench_transforms.py [--customers 100000]
        [--changes spread|recent] [--from-commit REV | --project DIR] [--timeout 1200]

--changes recent changes the most recent 1% of every stream (what a daily
load mostly brings) instead of 1% spread over all dates (the default).
--from-commit REV benchmarks the dbt project as committed at REV (git
archive), not the working tree's; --project DIR the one in DIR (a patched
copy). A dbt command running past --timeout seconds ends the benchmark there.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql
from transforms_raw import FILL, FUNCTIONS, STREAMS, changes, placeholders

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SCHEMAS = ROOT / "tap-servicetitan" / "tap_servicetitan" / "schemas"
HOST = os.environ.get("PGHOST", "127.0.0.1")
PORT = os.environ.get("PGPORT", "5432")
USER = os.environ.get("PGUSER", "postgres")
RAW = "tap_servicetitan"
TENANT_ID = 1
SLOWEST = 10


def create_raw_tables(dbname: str) -> bool:
    """Let target-postgres create the raw tables (SCHEMA messages, no records).

    Returns whether the tap's membership_status_changes has an active field.
    """
    messages = []
    for stream in STREAMS:
        schema = json.loads((SCHEMAS / f"{stream}.json").read_text())
        # the tap writes the tenant into every record
        schema["properties"]["tenant_id"] = {"type": ["integer"]}
        messages.append(
            json.dumps(
                {
                    "type": "SCHEMA",
                    "stream": stream,
                    "schema": schema,
                    "key_properties": ["id"],
                    "bookmark_properties": ["modifiedOn"],
                }
            )
        )
    config = {
        "sqlalchemy_url": f"postgresql+psycopg://{USER}@{HOST}:{PORT}/{dbname}",
        "default_target_schema": RAW,
        "use_copy": True,
        "validate_records": False,
        "add_record_metadata": True,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json") as config_file:
        json.dump(config, config_file)
        config_file.flush()
        subprocess.run(
            [str(BIN / "target-postgres"), "--config", config_file.name],
            input="\n".join(messages) + "\n",
            text=True,
            capture_output=True,
            check=True,
        )
    status_changes = json.loads((SCHEMAS / "membership_status_changes.json").read_text())
    return "active" in status_changes["properties"]


def environment(dbname: str, scratch: Path) -> dict[str, str]:
    """What Meltano gives the dbt-postgres utility: the loader's variables.

    dbt's target and log folders are scratch ones, not the project's (others
    may run dbt in the same working tree).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TARGET_", "DBT_", "TAP_"))}
    env.update(
        {
            "TARGET_POSTGRES_HOST": HOST,
            "TARGET_POSTGRES_PORT": PORT,
            "TARGET_POSTGRES_USER": USER,
            "TARGET_POSTGRES_DATABASE": dbname,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_TARGET_PATH": str(scratch / "target"),
            "DBT_LOG_PATH": str(scratch / "logs"),
        }
    )
    return env


def timed(command: list[str], env: dict[str, str], *, timeout: float | None = None) -> float | None:
    """Wall time of one command, start-up included; None when it ran past ``timeout``."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return None
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-2000:])
        raise SystemExit(f"{' '.join(command[:3])} failed (exit {done.returncode})")
    return elapsed


def dbt(project: Path, *args: str) -> list[str]:
    return [str(BIN / "dbt"), *args, "--project-dir", str(project), "--profiles-dir", str(project)]


def print_log(conn: psycopg.Connection, since: int) -> int:
    """Print the st_sync_log rows after st_id ``since``; return the last st_id."""
    rows = conn.execute(
        "select st_id, module, sync_type, records_fetched, records_created, records_updated, "
        "records_deleted, duration_ms from public.st_sync_log where st_id > %s order by st_id",
        (since,),
    ).fetchall()
    for _, module, sync_type, fetched, created, updated, deleted, duration_ms in rows:
        print(
            f"  {module:<26} {sync_type:<11} fetched {fetched:>8}  created {created:>8}  "
            f"updated {updated:>8}  deleted {deleted:>6}  {duration_ms:>7} ms"
        )
    return rows[-1][0] if rows else since


def print_slowest(target: Path) -> None:
    """The slowest nodes of the last dbt command (run_results.json), slowest first."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    results.sort(key=lambda result: result["execution_time"], reverse=True)
    total = sum(result["execution_time"] for result in results)
    print(f"  slowest of {len(results)} nodes ({total:.2f} s of execution, threads overlap):")
    for result in results[:SLOWEST]:
        name = result["unique_id"].split(".", 2)[-1]
        print(f"    {name:<60} {result['execution_time']:>6.2f} s  {result['status']}")


def export_project(commit: str, scratch: Path) -> Path:
    """The dbt project as committed at ``commit``, in a scratch folder."""
    archive = subprocess.run(
        ["git", "archive", commit, "transforms"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(scratch)], input=archive, check=True)
    return scratch / "transforms"


def fill(conninfo: str, values: dict[str, sql.Composable]) -> None:
    """Every raw table's rows, then statistics, and print the row counts."""
    started = time.monotonic()
    with psycopg.connect(conninfo) as conn:
        conn.execute(sql.SQL(FUNCTIONS).format(**values))
        conn.execute(sql.SQL(FILL).format(**values))
        conn.commit()
        conn.autocommit = True
        conn.execute(sql.SQL("vacuum analyze"))
        counts = conn.execute(
            "select relname, n_live_tup from pg_stat_user_tables "
            "where schemaname = %s order by relname",
            (RAW,),
        ).fetchall()
    print(
        f"generated {sum(c for _, c in counts):,} raw rows in "
        f"{time.monotonic() - started:.1f} s: "
        + ", ".join(f"{name} {count}" for name, count in counts)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument(
        "--changes",
        choices=("spread", "recent"),
        default="spread",
        help="which 1%% of every stream changes: spread over all dates, or the most recent",
    )
    parser.add_argument("--from-commit", help="benchmark the dbt project as committed at this")
    parser.add_argument(
        "--project", type=Path, help="benchmark the dbt project in this folder (a patched copy)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1200,
        help="seconds a dbt command may take before the benchmark stops there",
    )
    parser.add_argument(
        "--skip-meltano", action="store_true", help="do not measure Meltano's start-up"
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    dbname = f"bench_transforms_{secrets.token_hex(4)}"
    admin = f"host={HOST} port={PORT} user={USER} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    scratch = Path(tempfile.mkdtemp(prefix="bench_transforms_"))
    env = environment(dbname, scratch)
    project = args.project.resolve() if args.project else ROOT / "transforms"
    if args.from_commit:
        project = export_project(args.from_commit, scratch)
        print(f"dbt project as committed at {args.from_commit}")
    try:
        status_changes_active = create_raw_tables(dbname)
        values = placeholders(
            RAW, TENANT_ID, args.customers, status_changes_active=status_changes_active
        )
        conninfo = f"host={HOST} port={PORT} user={USER} dbname={dbname}"
        fill(conninfo, values)
        # a production run parses nothing: the project and profile are those of the last run
        parse = timed(dbt(project, "parse"), env)
        print(f"dbt parse (once, for this database's profile): {parse:.2f} s")

        figures: dict[str, float | None] = {}
        last = 0
        with psycopg.connect(conninfo, autocommit=True) as conn:
            for label, command, change in (
                ("full build", dbt(project, "run"), False),
                ("no-change run", dbt(project, "run"), False),
                (f"refresh after 1% changes ({args.changes})", None, True),
                ("dbt test", dbt(project, "test"), False),
                ("--full-refresh over built tables", dbt(project, "run", "--full-refresh"), False),
            ):
                if change:
                    for statement in changes(RAW, values, args.changes):
                        conn.execute(statement)
                    command = dbt(project, "run")
                figures[label] = timed(command, env, timeout=args.timeout)
                load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
                if figures[label] is None:
                    print(f"\n{label}: over {args.timeout:.0f} s, stopped ({load}); models done:")
                    print_log(conn, last)
                    break
                print(
                    f"\n{label}: {figures[label]:.2f} s (dbt wall time, start-up included; {load})"
                )
                last = print_log(conn, last)
                print_slowest(scratch / "target")

        if args.skip_meltano or args.from_commit or args.project or None in figures.values():
            print("\nMeltano's start-up not measured")
        else:
            meltano_env = {**env, "MELTANO_DATABASE_URI": f"sqlite:///{scratch}/m.db"}
            direct = timed(dbt(project, "run"), env)
            through = timed([str(BIN / "meltano"), "invoke", "dbt-postgres:run"], meltano_env)
            print(
                f"\nno-change run through Meltano: {through:.2f} s (meltano invoke "
                f"dbt-postgres:run) against {direct:.2f} s for dbt alone: Meltano's start-up "
                f"about {through - direct:.2f} s"
            )
        shown = ", ".join(
            f"{label} over {args.timeout:.0f} s" if seconds is None else f"{label} {seconds:.2f} s"
            for label, seconds in figures.items()
        )
        print(
            f"\nsummary at {args.customers:,} customers (targets: full build < 30 s, refresh "
            f"after 1% changes < 5 s): {shown}"
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(dbname))
            )
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
