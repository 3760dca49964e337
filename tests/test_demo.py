"""The demo (make demo): a full run, then an incremental one, against the local
PostgreSQL, with its own database, Meltano system database and run-count
directory so the repository's .meltano state is never touched."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import psutil
import psycopg
import pytest

from servicetitan_devtools.demo import docs_serve_command
from tests.support import isolation
from tests.support.database import PG_HOST, PG_PORT, PG_USER

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CUSTOMERS = 137  # an unusual size, so the sandbox's command line is recognisably the demo's
ST_TABLES = (
    "st_customers",
    "st_locations",
    "st_jobs",
    "st_invoices",
    "st_appointments",
    "st_estimates",
    "st_technicians",
    "st_customer_contacts",
    "st_sync_log",
)
DEMO_STATE_ID = "sandbox:tap-servicetitan-to-target-postgres:demo"


@pytest.fixture
def demo_env(tmp_path):
    name = f"st_demo_{uuid.uuid4().hex[:10]}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TAP_", "TARGET_", "MELTANO_", "SERVICETITAN_", "DBT_", "PG"))
    }
    env.update(
        {
            **isolation.env(),
            "MELTANO_DATABASE_URI": f"sqlite:///{tmp_path / 'meltano.db'}",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "SERVICETITAN_DEMO_DIR": str(tmp_path / "demo"),
            "PGHOST": PG_HOST,
            "PGPORT": str(PG_PORT),
            "PGUSER": PG_USER,
        }
    )
    yield name, env
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
    ) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')


def run_demo(
    env: dict, database: str, *options: str, customers: int = CUSTOMERS, timeout: int = 300
) -> str:
    """``servicetitan-demo`` on the local PostgreSQL; its output, after asserting it succeeded."""
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "servicetitan-demo"),
            *options,
            "--customers",
            str(customers),
            "--database",
            database,
            "--postgres",
            "local",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    return output


def table_counts(output: str) -> dict[str, int]:
    return {
        match[1]: int(match[2].replace(",", ""))
        for match in re.finditer(r"^(st_\w+)\s+([\d,]+)$", output, flags=re.MULTILINE)
    }


def assert_sandbox_gone(output: str) -> None:
    port = int(re.search(r"sandbox listening on http://127\.0\.0\.1:(\d+)", output)[1])
    with socket.socket() as probe:
        probe.settimeout(1)
        assert probe.connect_ex(("127.0.0.1", port)) != 0, f"sandbox still listening on {port}"
    leftovers = [
        proc.pid
        for proc in psutil.process_iter(["cmdline"])
        if "servicetitan_sandbox" in (proc.info["cmdline"] or [])
        and str(CUSTOMERS) in (proc.info["cmdline"] or [])
    ]
    assert not leftovers, f"sandbox processes left behind: {leftovers}"


def test_demo_full_then_incremental(demo_env) -> None:
    database, env = demo_env

    first = run_demo(env, database)
    assert "First run (full)" in first
    assert "Incremental" not in first
    counts = table_counts(first)
    assert set(ST_TABLES) <= set(counts), first[-3000:]
    assert counts["st_customers"] == CUSTOMERS
    assert "Top customers by lifetime value" in first
    # the reconciliation line of each stream (st_reconciliation)
    assert re.search(r"^  ok +customers: [\d]+ records, all in the warehouse$", first, re.M), first
    assert f"database {database}" in first
    assert f"psql -h {PG_HOST} -p {PG_PORT} -U {PG_USER} {database}" in first
    assert "Sandbox stopped." in first
    assert re.search(r"^  dbt       st_customers\s+built$", first, flags=re.MULTILINE), first[
        -3000:
    ]
    docs = re.search(
        r"^Data dictionary and lineage \(dbt docs\): (\S+)$", first, flags=re.MULTILINE
    )
    assert docs, first[-3000:]
    page = Path(docs[1])
    assert page == isolation.dbt_target() / "static_index.html"
    assert "st_customers" in page.read_text(encoding="utf-8")
    # the hint test_reliability_messages runs from a fresh shell
    serve = f"serve it: {docs_serve_command(str(BIN / 'meltano'), ROOT)}"
    assert serve in first, first[-3000:]
    assert_sandbox_gone(first)
    assert (Path(env["SERVICETITAN_DEMO_DIR"]) / "runs.json").is_file()

    second = run_demo(env, database)
    assert "Incremental run #2: only what changed since the last run" in second
    extracted = {
        int(m[1].replace(",", "")) for m in re.finditer(r"(\d[\d,]*) records extracted", second)
    }
    full = {int(m[1].replace(",", "")) for m in re.finditer(r"(\d[\d,]*) records extracted", first)}
    assert extracted and full and max(extracted) < min(full) / 5
    assert "st_customers           incremental" in second
    counts_after = table_counts(second)
    assert counts_after["st_customers"] >= CUSTOMERS  # the replayed changes add customers
    assert_sandbox_gone(second)

    # docs/incremental.md: "meltano invoke dbt-postgres:run-full-refresh" and the demo's state id
    meltano_env = {
        **env,
        "TARGET_POSTGRES_HOST": PG_HOST,
        "TARGET_POSTGRES_PORT": str(PG_PORT),
        "TARGET_POSTGRES_USER": PG_USER,
        "TARGET_POSTGRES_DATABASE": database,
    }
    invoked = subprocess.run(
        [str(BIN / "meltano"), "invoke", "dbt-postgres:run-full-refresh"],
        cwd=ROOT,
        env=meltano_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert invoked.returncode == 0, (invoked.stdout + invoked.stderr)[-3000:]
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database, autocommit=True
    ) as conn:
        last = conn.execute(
            "select sync_type, status, records_created from public.st_sync_log "
            "where module = 'st_customers' order by st_id desc limit 1"
        ).fetchone()
    # a full refresh re-reads every raw row and rewrites only what differs: nothing here
    assert last == ("full", "completed", 0)
    state = subprocess.run(
        [str(BIN / "meltano"), "state", "get", DEMO_STATE_ID],
        cwd=ROOT,
        env=meltano_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert state.returncode == 0, state.stderr[-2000:]
    assert "continue_from" in state.stdout


def test_demo_tenants_syncs_three_sandboxes_through_dagster(demo_env) -> None:
    """`--tenants 3`: three sandbox tenants side by side, a summary line for each."""
    database, env = demo_env
    try:
        output = run_demo(env, database, "--tenants", "3", customers=40, timeout=600)
        assert "3 tenants synced side by side" in output
        lines = re.findall(r"^  (100000[123])\s+ok\s+40\s", output, flags=re.MULTILINE)
        assert lines == ["1000001", "1000002", "1000003"], output[-3000:]
        assert "Sandboxes stopped." in output
        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=database) as conn:
            tenants = conn.execute(
                "select tenant_id, count(*) from public.st_customers group by 1 order by 1"
            ).fetchall()
        assert tenants == [(1000001, 40), (1000002, 40), (1000003, 40)]
    finally:
        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
        ) as admin:
            admin.execute(f'drop database if exists "{database}_meltano" with (force)')
