"""The troubleshooting lines for target-postgres failures (docs/troubleshooting.md) are the
lines it prints.

target-postgres is not ours, so a mid-run failure there ends in a traceback
wall; the page names the one line to look for. These tests cause each
failure for real and check that the documented line is in the output (and,
for a failure of ours, that there is no wall at all).
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from servicetitan_sandbox import SandboxServer
from tests.support.meltano_project import ROOT, MeltanoProject

pytestmark = pytest.mark.e2e

TROUBLESHOOTING = (ROOT / "docs" / "troubleshooting.md").read_text(encoding="utf-8")

#: Which of the two ends the wall depends on when the session ends (in a COPY or between).
CONNECTION_LOST = (
    "sqlalchemy.exc.OperationalError: (psycopg.OperationalError) the connection is lost",
    "sqlalchemy.exc.OperationalError: (psycopg.errors.AdminShutdown) terminating connection "
    "due to administrator command",
)
#: What every variant starts with (the cause in parentheses depends on the timing too).
LOST_FAMILY = "sqlalchemy.exc.OperationalError: (psycopg."
CONNECTION_CAUSE = (
    "psycopg.errors.AdminShutdown: terminating connection due to administrator command"
)
TYPE_CONFLICT = "psycopg.errors.InvalidTextRepresentation: invalid input syntax for type boolean"
TYPE_CONFLICT_COLUMN = "column modifiedOn"


def loader_lines(output: str) -> list[str]:
    """target-postgres's lines, without Meltano's timestamp and level prefix."""
    marker = "target-postgres "
    return [line.split(marker, 1)[1] for line in output.splitlines() if marker in line]


def test_docs_document_these_lines() -> None:
    for line in (*CONNECTION_LOST, CONNECTION_CAUSE, TYPE_CONFLICT, TYPE_CONFLICT_COLUMN):
        assert line in TROUBLESHOOTING, line


def test_column_type_conflict_line(database, tmp_path) -> None:
    with SandboxServer(customers=100, seed=61) as sandbox:
        project = MeltanoProject(sandbox, database, tmp_path)
        # the METRIC line naming the failed stream exists only with plain RECORD messages
        project.env["TAP_SERVICETITAN_BATCH_CONFIG"] = "{}"
        with project.connect() as conn:
            conn.execute("create schema tap_servicetitan")
            conn.execute(
                'create table tap_servicetitan.customers (id bigint primary key, "modifiedOn" boolean)'
            )
        run = project.meltano("run", "servicetitan-sync")
    assert run.returncode != 0
    lines = loader_lines(run.stderr)
    conflict = [line for line in lines if line.startswith(TYPE_CONFLICT)]
    assert conflict, run.stderr[-3000:]
    assert any(TYPE_CONFLICT_COLUMN in line for line in lines)
    failed_batches = [line for line in lines if '"status":"failed"' in line]
    assert failed_batches and '"stream":"customers"' in failed_batches[0]


def test_connection_lost_line(database, tmp_path) -> None:
    with SandboxServer(customers=1000, seed=62, export_page_size=50) as sandbox:
        sandbox.faults.configure(latency=0.02)  # a run long enough to cut in the middle
        project = MeltanoProject(sandbox, database, tmp_path)
        project.env["TARGET_POSTGRES_BATCH_SIZE_ROWS"] = "100"
        # the cause line above the lost connection is printed on the RECORD path
        project.env["TAP_SERVICETITAN_BATCH_CONFIG"] = "{}"
        cut = threading.Thread(target=end_loader_sessions_once_copying, args=(database,))
        cut.start()
        try:
            run = project.meltano("run", "servicetitan-sync")
        finally:
            cut.join(timeout=200)
    assert run.returncode != 0
    lines = loader_lines(run.stderr)
    # the page's rule: the last psycopg./sqlalchemy.exc. line of target-postgres
    (*_, last) = [line for line in lines if line.startswith(("psycopg.", "sqlalchemy.exc."))]
    assert last.startswith(LOST_FAMILY), "\n".join(lines[-40:])
    assert any(line.startswith(CONNECTION_CAUSE) for line in lines)


def end_loader_sessions_once_copying(database: dict, timeout: float = 180) -> None:
    """Wait until the loader runs a COPY into the database, then end its sessions."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(**database, autocommit=True) as conn:
        while time.monotonic() < deadline:
            ended = conn.execute(
                "select count(pg_terminate_backend(pid)) from pg_stat_activity "
                "where datname = current_database() and pid <> pg_backend_pid() "
                "and query ilike 'copy %'"
            ).fetchone()[0]
            if ended:
                return
            time.sleep(0.01)
