"""Benchmark of the dbt project (transforms/): full build, refreshes, data tests.

Creates a scratch database, lets target-postgres create the raw tables from
the tap's schemas (so they are shaped exactly like a real load), fills them
with generate_series, then times `dbt run` as a process, start-up included:
the first build, a run with nothing new, a run after 1% of the raw rows
changed, `dbt test`, and a --full-refresh over the built tables. Meltano's
own start-up is measured apart (`meltano invoke dbt-postgres:run` against the
same no-change run). Prints the figures and drops the database. No assertions.

    .venv/bin/python bench/bench_transforms.py [--customers 100000]
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
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SCHEMAS = ROOT / "tap-servicetitan" / "tap_servicetitan" / "schemas"
DBT_PROJECT = ROOT / "transforms"
STREAMS = (
    "customers",
    "customer_contacts",
    "locations",
    "location_contacts",
    "jobs",
    "appointments",
    "invoices",
    "estimates",
    "technicians",
)
HOST = os.environ.get("PGHOST", "127.0.0.1")
PORT = os.environ.get("PGPORT", "5432")
USER = os.environ.get("PGUSER", "postgres")
RAW = "tap_servicetitan"
TENANT_ID = "1"

# %(n)s customers; 2 contacts, 1.2 locations, 3 jobs and 3 invoices each
FILL = """
insert into {raw}.customers (id, active, name, type, address, balance, "doNotMail",
    "doNotService", "createdOn", "modifiedOn", "mergedToId", _sdc_batched_at, _sdc_received_at)
select g, g % 17 <> 0, 'Customer ' || g, case when g % 5 = 0 then 'Commercial' end,
    jsonb_build_object('street', g || ' Main St', 'unit', null, 'city', 'City ' || g % 300,
        'state', 'CA', 'zip', lpad((g % 99999)::text, 5, '0'),
        'country', case when g % 3 = 0 then '' else 'USA' end),
    0, false, false, timestamp '2020-01-01' + g * interval '1 minute',
    timestamp '2024-01-01' + g * interval '1 second', null, {loaded}, {loaded}
from generate_series(1, {n}) as g;

insert into {raw}.customer_contacts (id, "customerId", type, value, active, "createdOn",
    "modifiedOn", _sdc_batched_at)
select g, (g + 1) / 2, case when g % 2 = 0 then 'Email' else
    (case when g % 3 = 0 then 'MobilePhone' else 'Phone' end) end,
    case when g % 2 = 0 then 'c' || g || '@example.com' else '1-555-' || lpad(g::text, 7, '0') end,
    g % 11 <> 0, timestamp '2020-01-01', timestamp '2024-01-01', {loaded}
from generate_series(1, 2 * {n}) as g;

insert into {raw}.locations (id, "customerId", active, name, address, "createdOn", "modifiedOn",
    _sdc_batched_at)
select g, case when g <= {n} then g else g - {n} end, g % 13 <> 0,
    case when g % 4 = 0 then '' else 'Site ' || g end,
    jsonb_build_object('street', g || ' Service Rd', 'unit', null, 'city', 'Town',
        'state', 'TX', 'zip', '75001', 'country', 'USA', 'latitude', 32.7, 'longitude', -96.8),
    timestamp '2020-01-01', timestamp '2024-01-01', {loaded}
from generate_series(1, ({n} * 6) / 5) as g;

insert into {raw}.jobs (id, "jobNumber", "customerId", "locationId", "jobStatus", total,
    active, summary, "createdOn", "modifiedOn", _sdc_batched_at)
select g, g::text, (g - 1) % {n} + 1, (g - 1) % {n} + 1,
    case when g % 4 = 0 then 'Scheduled' else 'Completed' end, (g % 1000) + 0.5,
    g % 19 <> 0, 'Fix the thing number ' || g,
    timestamp '2021-01-01' + g * interval '1 minute', timestamp '2024-01-01', {loaded}
from generate_series(1, 3 * {n}) as g;

insert into {raw}.invoices (id, active, total, balance, "subTotal", "salesTax",
    customer, job, location, "invoiceDate", "createdOn", "modifiedOn", _sdc_batched_at)
select g, g % 23 <> 0, (g % 1000) + 0.99, case when g % 3 = 0 then 10 else 0 end,
    g % 1000, 0.99,
    jsonb_build_object('id', (g - 1) % {n} + 1, 'name', 'Customer ' || ((g - 1) % {n} + 1)),
    jsonb_build_object('id', g, 'number', g::text, 'type', 'Service'),
    jsonb_build_object('id', (g - 1) % {n} + 1, 'name', 'Site'),
    timestamp '2022-01-01', timestamp '2022-01-01', timestamp '2024-01-01', {loaded}
from generate_series(1, 3 * {n}) as g;

insert into {raw}.appointments (id, "jobId", "customerId", status, start, "end", active,
    "createdOn", "modifiedOn", _sdc_batched_at)
select g, g, (g - 1) % {n} + 1, 'Done', timestamp '2023-01-01', timestamp '2023-01-01 02:00',
    true, timestamp '2023-01-01', timestamp '2024-01-01', {loaded}
from generate_series(1, {n}) as g;

insert into {raw}.estimates (id, "jobId", "customerId", name, status, subtotal, tax, active,
    "createdOn", "modifiedOn", _sdc_batched_at)
select g, g, (g - 1) % {n} + 1, 'Estimate ' || g,
    jsonb_build_object('value', 1, 'name', 'Open'), 100, 8, true,
    timestamp '2023-01-01', timestamp '2024-01-01', {loaded}
from generate_series(1, {n} / 2) as g;

insert into {raw}.technicians (id, "userId", name, active, "createdOn", "modifiedOn",
    _sdc_batched_at)
select g, g, 'Tech ' || g, true, timestamp '2020-01-01', timestamp '2024-01-01', {loaded}
from generate_series(1, 200) as g;
"""

# 1% of the rows change the way a load writes them: new values, new _sdc_batched_at
CHANGE = """
update {raw}.customers set name = name || ' (renamed)', _sdc_batched_at = {loaded}
where id % 100 = 7;
update {raw}.customer_contacts set active = not active, _sdc_batched_at = {loaded}
where id % 100 = 3;
update {raw}.locations set "customerId" = "customerId" % {n} + 1, _sdc_batched_at = {loaded}
where id % 100 = 5;
update {raw}.jobs set "customerId" = "customerId" % {n} + 1,
    "jobStatus" = 'Completed', _sdc_batched_at = {loaded}
where id % 100 = 11;
update {raw}.invoices set balance = 0, _sdc_batched_at = {loaded}
where id % 100 = 13;
update {raw}.appointments set status = 'Canceled', _sdc_batched_at = {loaded}
where id % 100 = 17;
"""


def create_raw_tables(dbname: str) -> None:
    """Let target-postgres create the raw tables (SCHEMA messages, no records)."""
    messages = []
    for stream in STREAMS:
        schema = json.loads((SCHEMAS / f"{stream}.json").read_text())
        # the tap writes the tenant into every record; the fill below does it per table
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


def environment(dbname: str) -> dict[str, str]:
    """What Meltano gives the dbt-postgres utility: the loader's variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TARGET_", "DBT_", "TAP_"))}
    env.update(
        {
            "TARGET_POSTGRES_HOST": HOST,
            "TARGET_POSTGRES_PORT": PORT,
            "TARGET_POSTGRES_USER": USER,
            "TARGET_POSTGRES_DATABASE": dbname,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    return env


def timed(command: list[str], env: dict[str, str], *, check: bool = True) -> float:
    """Wall time of one command, start-up included."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if check and done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-2000:])
        raise SystemExit(f"{' '.join(command[:3])} failed (exit {done.returncode})")
    return elapsed


def dbt(*args: str) -> list[str]:
    return [
        str(BIN / "dbt"),
        *args,
        "--project-dir",
        str(DBT_PROJECT),
        "--profiles-dir",
        str(DBT_PROJECT),
    ]


def print_log(conn: psycopg.Connection, since: int) -> int:
    """Print the st_sync_log rows after st_id ``since``; return the last st_id."""
    rows = conn.execute(
        "select st_id, module, sync_type, records_fetched, records_created, records_updated, "
        "records_deleted, duration_ms from public.st_sync_log where st_id > %s order by st_id",
        (since,),
    ).fetchall()
    for _, module, sync_type, fetched, created, updated, deleted, duration_ms in rows:
        print(
            f"  {module:<22} {sync_type:<11} fetched {fetched:>8}  created {created:>8}  "
            f"updated {updated:>8}  deleted {deleted:>6}  {duration_ms:>7} ms"
        )
    return rows[-1][0] if rows else since


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument(
        "--skip-meltano", action="store_true", help="do not measure Meltano's start-up"
    )
    args = parser.parse_args()
    dbname = f"bench_transforms_{secrets.token_hex(4)}"
    admin = f"host={HOST} port={PORT} user={USER} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(dbname)))
    env = environment(dbname)
    try:
        create_raw_tables(dbname)
        placeholders = {
            "raw": sql.Identifier(RAW),
            "n": sql.Literal(args.customers),
            "loaded": sql.SQL("(clock_timestamp() at time zone 'UTC')"),
        }
        started = time.monotonic()
        conninfo = f"host={HOST} port={PORT} user={USER} dbname={dbname}"
        with psycopg.connect(conninfo) as conn:
            conn.execute(sql.SQL(FILL).format(**placeholders))
            for stream in STREAMS:
                conn.execute(
                    sql.SQL("update {}.{} set tenant_id = {}").format(
                        sql.Identifier(RAW), sql.Identifier(stream), sql.Literal(int(TENANT_ID))
                    )
                )
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
        # a production run parses nothing: the project and profile are those of the last run
        parse = timed(dbt("parse"), env)
        print(f"dbt parse (once, for this database's profile): {parse:.2f} s")

        figures: dict[str, float] = {}
        last = 0
        with psycopg.connect(conninfo, autocommit=True) as conn:
            for label, command, change in (
                ("full build (first run)", dbt("run"), False),
                ("no-change run", dbt("run"), False),
                ("refresh after 1% of the raw rows changed", dbt("run"), True),
                ("dbt test", dbt("test"), False),
                ("--full-refresh over the built tables", dbt("run", "--full-refresh"), False),
            ):
                if change:
                    conn.execute(sql.SQL(CHANGE).format(**placeholders))
                figures[label] = timed(command, env)
                print(f"\n{label}: {figures[label]:.2f} s (dbt wall time, start-up included)")
                last = print_log(conn, last)

        if not args.skip_meltano:
            meltano_env = {**env, "MELTANO_DATABASE_URI": f"sqlite:///{tempfile.mkdtemp()}/m.db"}
            direct = timed(dbt("run"), env)
            through = timed([str(BIN / "meltano"), "invoke", "dbt-postgres:run"], meltano_env)
            print(
                f"\nno-change run through Meltano: {through:.2f} s (meltano invoke "
                f"dbt-postgres:run) against {direct:.2f} s for dbt alone: Meltano's start-up "
                f"about {through - direct:.2f} s"
            )
        print(
            f"\nsummary at {args.customers:,} customers: full build "
            f"{figures['full build (first run)']:.2f} s (target < 20 s), refresh after 1% "
            f"changes {figures['refresh after 1% of the raw rows changed']:.2f} s "
            f"(target < 5 s), no-change run {figures['no-change run']:.2f} s, dbt test "
            f"{figures['dbt test']:.2f} s, --full-refresh over built tables "
            f"{figures['--full-refresh over the built tables']:.2f} s"
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(dbname))
            )


if __name__ == "__main__":
    main()
