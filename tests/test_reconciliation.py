"""Record reconciliation through Meltano: tap (record_counts) -> target-postgres -> dbt.

One sandbox and one database for the module, a handful of streams (export
feeds of the dataset, generated export feeds counted by their paired list
endpoints, a list stream, a stream without a count endpoint) and
``record_counts``:

1. the customers export feed silently skips 3 customers its list endpoint
   still counts: st_reconciliation says difference 3, status missing, for
   ``customers`` and for no other stream, and the dbt test fails naming it;
2. ServiceTitan's Business Unit Performance report (a report stream) ties out
   to kpi_business_unit_daily exactly, and a figure altered by two cents is
   reported with both figures;
3. the next run, with the feed repaired and the sandbox changing all through
   the run (records created, changed, deactivated), flags nothing, although
   ServiceTitan's counts at the end of that run differ from the warehouse's
   (what a naive check would flag).

The expected figures are the sandbox's own records, counted here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest

from servicetitan_sandbox import SandboxServer
from servicetitan_sandbox.mutation import mutate
from tests.support.meltano_project import MeltanoProject

pytestmark = pytest.mark.e2e

STREAMS = (
    "customers",
    "customer_contacts",
    "locations",
    "jobs",
    "invoices",
    "job_timesheets",
    "payments",
    "business_units",
    "job_types",
    "invoice_items",
    "gl_accounts",
    "record_counts",
    "custom_report_bu_performance",
)
#: ServiceTitan's Business Unit Performance report, one request per day (the sandbox's
#: clock says 2025-06-01).
REPORT = {
    "report_category": "operations",
    "report_id": "1001",
    "report_name": "bu_performance",
    "parameters": [{"name": "From", "value": "2025-05-18"}],
    "backfill_date_parameter": "From",
    "lookback_window_days": 1,
}
PIPELINE = ("run", "tap-servicetitan", "target-postgres", "dbt-postgres:run")
DBT_TEST = ("invoke", "dbt-postgres", "test", "--project-dir", "transforms", "--profiles-dir",
            "transforms", "--select")  # fmt: skip
RECONCILIATION_TEST = (*DBT_TEST, "reconciliation_no_missing_records")
TIEOUT_TEST = (*DBT_TEST, "kpi_business_unit_ties_to_servicetitan")


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(customers=150, seed=3131, export_page_size=60) as srv:
        yield srv


@pytest.fixture(scope="module")
def project(server: SandboxServer, tmp_path_factory) -> Iterator[MeltanoProject]:
    from tests.support.database import throwaway_database

    with throwaway_database() as database:
        project = MeltanoProject(server, database, tmp_path_factory.mktemp("state"), STREAMS)
        project.pipeline = PIPELINE
        project.env["TAP_SERVICETITAN_REQUESTS_PER_SECOND"] = "400"
        project.env["TAP_SERVICETITAN_CUSTOM_REPORTS"] = json.dumps([REPORT])
        project.env["TAP_SERVICETITAN_REPORT_REQUEST_INTERVAL"] = "0"
        yield project


def latest_checks(project: MeltanoProject) -> dict[str, dict]:
    with psycopg.connect(**project.database, row_factory=psycopg.rows.dict_row) as conn:
        rows = conn.execute(
            "select distinct on (stream) * from public.st_reconciliation "
            "order by stream, checked_at desc"
        ).fetchall()
    return {row["stream"]: row for row in rows}


def test_a_feed_that_skips_three_customers_is_flagged_for_customers_only(server, project) -> None:
    hidden = sorted(server.dataset.ids("customers"))[10:13]
    server.hide_from_export("customers", hidden)
    project.run()

    checks = latest_checks(project)
    assert set(checks) == set(STREAMS) - {"record_counts", "custom_report_bu_performance"}
    customers = checks["customers"]
    assert customers["api_total"] == server.dataset.count("customers")
    assert customers["warehouse_total"] == server.dataset.count("customers") - 3
    assert (customers["difference"], customers["status"]) == (3, "missing")
    assert "customers: 3 records missing" in customers["message"]
    others = {name: row["status"] for name, row in checks.items() if name != "customers"}
    assert set(others.values()) <= {"ok"} | (
        {"not_counted"} if "invoice_items" in others else set()
    )
    assert others["invoice_items"] == "not_counted"  # no list endpoint counts invoice items
    assert checks["job_timesheets"]["api_total"] > 0
    assert checks["business_units"]["count_endpoint"] == "settings/business-units"

    tested = project.meltano(*RECONCILIATION_TEST)
    output = tested.stdout + tested.stderr
    assert tested.returncode != 0, output[-3000:]
    assert "customers: 3 records missing from the warehouse" in output
    assert "Failure in test reconciliation_no_missing_records" in output


def test_the_business_unit_kpis_tie_to_servicetitan_and_an_altered_figure_is_flagged(
    server, project
) -> None:
    with psycopg.connect(**project.database, row_factory=psycopg.rows.dict_row) as conn:
        # the report stream's columns, typed from the report's description
        columns = conn.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'tap_servicetitan' "
            "and table_name = 'custom_report_bu_performance'"
        ).fetchall()
        types = {column["column_name"]: column["data_type"] for column in columns}
        assert types["CompletedRevenue"] == "numeric"
        assert types["BusinessUnitName"] in ("text", "character varying")
        assert types["From"].startswith("timestamp")
        assert types["_mistyped"] == "jsonb"
        rows = conn.execute("select * from public.kpi_business_unit_tieout").fetchall()
        days = {row["date"] for row in rows}
        # every day of the backfill with completed jobs, four figures per business unit
        assert len(days) >= 5, days
        assert {row["figure"] for row in rows} == {
            "completed_revenue", "completed_jobs", "opportunities", "converted_jobs"
        }  # fmt: skip
        assert (
            sum(row["servicetitan_value"] for row in rows if row["figure"] == "completed_jobs") > 5
        )
        assert all(row["difference"] == 0 for row in rows), [r for r in rows if r["difference"]]
    tested = project.meltano(*TIEOUT_TEST)
    assert tested.returncode == 0, (tested.stdout + tested.stderr)[-3000:]

    # a figure of ServiceTitan's that the warehouse does not reproduce
    with psycopg.connect(**project.database, autocommit=True) as conn:
        unit, day, revenue = conn.execute(
            'select "BusinessUnitId", "From"::date, "CompletedRevenue" '
            "from tap_servicetitan.custom_report_bu_performance "
            'where "CompletedRevenue" > 0 order by "From", "BusinessUnitId" limit 1'
        ).fetchone()
        conn.execute(
            "update tap_servicetitan.custom_report_bu_performance "
            'set "CompletedRevenue" = "CompletedRevenue" + 0.02 '
            'where "BusinessUnitId" = %s and "From"::date = %s',
            (unit, day),
        )
    tested = project.meltano(*TIEOUT_TEST)
    output = tested.stdout + tested.stderr
    assert tested.returncode != 0, output[-3000:]
    line = (
        f"business unit {int(unit)}, {day}, completed_revenue: "
        f"ServiceTitan {revenue + Decimal('0.02'):.2f}, warehouse {revenue:.2f}"
    )
    assert line in output, output[-3000:]
    assert output.count("KPI tie-out difference") == 1


def test_changes_during_the_run_raise_no_flag(server, project) -> None:
    # the feed repaired; the skipped customers change, so the incremental feed delivers them
    server.hide_from_export("customers", [])
    for customer_id in sorted(server.dataset.ids("customers"))[10:13]:
        server.dataset.update("customers", customer_id, doNotMail=True)
    before = {name: server.dataset.count(name) for name in ("customers", "jobs", "invoices")}
    stop = threading.Event()
    rounds = []

    def busy_tenant() -> None:
        seed = 100
        while not stop.is_set():
            # the dataset's streams: customers, contacts, locations, jobs, invoices ...
            mutate(server.dataset, fraction=0.02, seed=seed)
            rounds.append(seed)
            seed += 1
            stop.wait(0.05)

    worker = threading.Thread(target=busy_tenant, daemon=True)
    worker.start()
    try:
        project.run()
    finally:
        stop.set()
        worker.join()
    assert len(rounds) >= 3, "the sandbox did not change during the run"

    checks = latest_checks(project)
    statuses = {name: row["status"] for name, row in checks.items()}
    assert "missing" not in statuses.values(), {n: checks[n]["message"] for n in checks}
    assert checks["customers"]["difference"] == 0  # the skipped customers arrived
    # records were created while the run went on: ServiceTitan's count at the end of the
    # run exceeds what the warehouse holds, which a naive check would flag as missing
    counted_now = {name: server.dataset.count(name) for name in before}
    assert counted_now != before, "no record was created during the run"
    with psycopg.connect(**project.database) as conn:
        loaded = {
            name: conn.execute(f"select count(*) from tap_servicetitan.{name}").fetchone()[0]
            for name in before
        }
    assert any(counted_now[name] > loaded[name] for name in before), (counted_now, loaded)

    tested = project.meltano(*RECONCILIATION_TEST)
    assert tested.returncode == 0, (tested.stdout + tested.stderr)[-3000:]
