"""End to end: the KPI tables of a sandbox tenant equal the oracle's, before and after changes.

``meltano run tap-servicetitan target-postgres dbt-postgres:run`` with the
project's default selection (every stream the KPI tables read) from a
sandbox of a few hundred customers into a fresh database, in
America/Chicago, on the run's own date (the default: today in that zone);
then ``dbt-postgres:test``; then every KPI table is compared with
tests/support/kpi_oracle.py computed from the sandbox's own records. The
sandbox then lives through a day of changes (``mutate``), an incremental
run follows, and the tables are compared again.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from servicetitan_sandbox import SandboxServer
from tests.support.kpi_oracle import TABLES, compute, diff
from tests.support.kpi_warehouse import read_all
from tests.support.meltano_project import MeltanoProject

pytestmark = pytest.mark.e2e

TIMEZONE = "America/Chicago"
PIPELINE = ("run", "tap-servicetitan", "target-postgres", "dbt-postgres:run")
#: The sandbox's collection behind each KPI stream the dataset does not hold
#: (the tap's stream -> endpoint, tap_servicetitan/streams/*.py).
COLLECTIONS = {
    "invoice_items": "accounting/export/invoice-items",
    "payments": "accounting/export/payments",
    "gl_accounts": "accounting/gl-accounts",
    "job_types": "jpm/job-types",
    "job_splits": "payroll/export/jobs/splits",
    "job_timesheets": "payroll/export/jobs/timesheets",
    "appointment_assignments": "dispatch/export/appointment-assignments",
    "calls": "telecom/export/calls",
    "costs": "marketing/costs",
    "memberships_export": "memberships/export/memberships",
    "membership_status_changes": "memberships/export/membership-status-changes",
}
DATASET_STREAMS = ("jobs", "invoices", "estimates")


def sandbox_records(server: SandboxServer) -> dict[str, list[dict]]:
    """Every stream the KPI tables read, as the sandbox serves it now."""
    records = {stream: list(server.dataset.records(stream)) for stream in DATASET_STREAMS}
    for stream, name in COLLECTIONS.items():
        records[stream] = list(server.generic.collections[name].records.values())
    return records


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo(TIMEZONE)).date()


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(customers=300, seed=2121, export_page_size=200) as srv:
        yield srv


@pytest.fixture
def project(server: SandboxServer, database: dict, tmp_path) -> MeltanoProject:
    """meltano.yml's default selection; extract, load, dbt run; Chicago time."""
    server.faults.reset()
    project = MeltanoProject(server, database, tmp_path, select=None)
    project.pipeline = PIPELINE
    project.env["TAP_SERVICETITAN_REQUESTS_PER_SECOND"] = "400"
    project.env["DBT_POSTGRES_TIMEZONE"] = TIMEZONE
    return project


def compare(project: MeltanoProject, stage: str, run_date: dt.date) -> list[str]:
    """Every KPI table against the oracle of the sandbox's records (texts of differences)."""
    server = project.sandbox
    records = sandbox_records(server)
    want = compute(records, tenant_id=server.tenant_id, timezone=TIMEZONE, run_date=run_date)
    got = read_all(_dbname(project), tenant_id=server.tenant_id)
    texts = []
    for table in TABLES:
        if table == "kpi_ar_aging":
            got[table] = [r for r in got[table] if r["snapshot_date"] == run_date]
        if text := diff(table, want[table], got[table]):
            texts.append(f"--- {stage}\n{text}")
    return texts


def _dbname(project: MeltanoProject) -> str:
    return project.database["dbname"]


def assert_sandbox_feeds_every_table(project: MeltanoProject, run_date: dt.date) -> None:
    """The sandbox's records give every KPI table rows (else the comparison proves little)."""
    server = project.sandbox
    want = compute(
        sandbox_records(server), tenant_id=server.tenant_id, timezone=TIMEZONE, run_date=run_date
    )
    empty = [table for table in TABLES if not want[table]]
    assert not empty, f"the sandbox's records give no rows to {empty}"


def run_and_compare(project: MeltanoProject, stage: str) -> list[str]:
    """One pipeline run, dbt-postgres:test, and every KPI table against the oracle.

    The run's date is today in Chicago when dbt ran: a run across midnight is
    compared with either day.
    """
    before = today()
    project.run()
    after = today()
    texts = dbt_test(project, stage)
    differences = compare(project, stage, after)
    if differences and before != after:
        differences = compare(project, stage, before)
    return texts + differences


def dbt_test(project: MeltanoProject, stage: str) -> list[str]:
    tested = project.meltano("invoke", "dbt-postgres:test")
    output = tested.stdout + tested.stderr
    if tested.returncode == 0 and re.search(r"Done\. PASS=\d+ WARN=\d+ ERROR=0", output):
        return []
    summary = "\n".join(line for line in output.splitlines() if "Failure in" in line)
    return [f"--- dbt-postgres:test, {stage}\n{summary or output[-3000:]}"]


def test_kpi_tables_equal_the_oracle_before_and_after_a_day_of_changes(
    project: MeltanoProject,
) -> None:
    server = project.sandbox
    texts = run_and_compare(project, "first run")
    assert_sandbox_feeds_every_table(project, today())

    summary = server.mutate(fraction=0.05, seed=21)
    changed = {name for name, counts in summary.items() if any(counts.values())}
    missing = set(COLLECTIONS.values()) - changed
    assert not missing, f"the sandbox's day of changes changed nothing in {missing}"
    texts += run_and_compare(project, "incremental run after a day of changes")

    assert not texts, "\n" + "\n".join(texts)
