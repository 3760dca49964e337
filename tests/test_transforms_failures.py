"""Missing, empty and unbatched raw tables, and failed models."""

from __future__ import annotations

from decimal import Decimal

import psycopg

from tests.support.transforms_fixtures import (
    ST_TABLES,
    STREAMS,
    admin_conninfo,
    load_raw,
    query,
    record,
    run,
    run_dbt,
    scratch_database,
    snapshot,
    sync_log,
)


def test_only_customers_loaded_builds_st_customers_with_warnings() -> None:
    with scratch_database() as dbname:
        load_raw(dbname, {"customers": [record("customers", 1), record("customers", 2)]})
        first = run_dbt(dbname)
        assert first.tables["st_customers"].records_created == 2
        assert '"tap_servicetitan"."jobs" not found' in first.output
        assert {table.status for table in first.tables.values()} == {"completed"}
        rows = query(
            dbname,
            "select total_jobs, completed_jobs, lifetime_value, last_job_date, "
            "email, location_id from public.st_customers order by st_id",
        )
        assert (
            rows
            == [
                {
                    "total_jobs": 0,
                    "completed_jobs": 0,
                    "lifetime_value": Decimal("0.00"),
                    "last_job_date": None,
                    "email": None,
                    "location_id": None,
                }
            ]
            * 2
        )
        assert query(dbname, "select count(*) as n from public.st_jobs") == [{"n": 0}]
        # the jobs stream is selected later: its rows flow in incrementally
        load_raw(dbname, {"jobs": [record("jobs", 10, customerId=2)]})
        summaries = run(dbname)
        assert summaries["st_jobs"].records_created == 1
        assert query(
            dbname, "select st_id, total_jobs from public.st_customers where total_jobs > 0"
        ) == [{"st_id": 2, "total_jobs": 1}]


def test_empty_raw_tables() -> None:
    with scratch_database() as dbname:
        load_raw(dbname, {stream: [] for stream in STREAMS})
        tables = query(
            dbname,
            "select count(*) as n from information_schema.tables "
            "where table_schema = 'tap_servicetitan'",
        )
        assert tables == [{"n": len(STREAMS)}]
        # no row says which tenant this is: empty st_* tables, nothing logged
        assert run(dbname) == {}
        assert all(rows == {} for rows in snapshot(dbname).values())
        assert sync_log(dbname) == []


def test_missing_customers_table_fails_st_customers_clearly() -> None:
    with scratch_database() as dbname:
        load_raw(dbname, {"jobs": [record("jobs", 1, customerId=1)]})
        failed = run_dbt(dbname, succeed=False)
        assert 'raw table "tap_servicetitan"."customers" not found' in failed.output
        assert query(dbname, "select to_regclass('public.st_customers') as t") == [{"t": None}]
        customers = failed.tables["st_customers"]
        assert (customers.status, customers.sync_type) == ("failed", "full")
        assert "customers" in customers.error_message
        assert "not found" in customers.error_message
        assert "\n" not in customers.error_message
        # the tables that do not read customers are built
        assert failed.tables["st_jobs"].status == "completed"


def test_a_failed_model_keeps_its_rows_and_is_retried_next_run() -> None:
    with scratch_database() as dbname:
        load_raw(
            dbname,
            {
                "customers": [record("customers", 1, name="Before")],
                "jobs": [record("jobs", 10, customerId=1)],
                "invoices": [record("invoices", 20, customer={"id": 1, "name": "x"})],
            },
        )
        run(dbname)
        before = snapshot(dbname)
        watermarks = "select * from public.servicetitan_watermarks order by model, raw_table"
        state_before = query(dbname, watermarks)
        # a customer change (st_customers) and a job that cannot be read (st_jobs)
        load_raw(
            dbname,
            {
                "customers": [record("customers", 1, name="After")],
                "invoices": [record("invoices", 20, customer={"id": 1, "name": "y"})],
            },
        )
        with psycopg.connect(admin_conninfo(dbname)) as conn:
            conn.execute('alter table tap_servicetitan.jobs alter column "total" type text')
            conn.execute(
                "update tap_servicetitan.jobs set total = 'not a number', "
                "_sdc_batched_at = now() at time zone 'UTC'"
            )
        failed = run_dbt(dbname, succeed=False)
        jobs, customers = failed.tables["st_jobs"], failed.tables["st_customers"]
        assert (jobs.status, jobs.sync_type) == ("failed", "incremental")
        assert jobs.error_message.startswith("st_jobs: ")
        assert "numeric" in jobs.error_message
        assert "\n" not in jobs.error_message
        # st_customers reads st_jobs: skipped, logged as failed, rows kept
        assert (customers.status, customers.error_message) == (
            "failed",
            "skipped: st_jobs failed",
        )
        after = snapshot(dbname)
        assert after["st_jobs"] == before["st_jobs"]
        assert after["st_customers"] == before["st_customers"]
        # a table that does not depend on the failure is refreshed
        assert failed.tables["st_invoices"].status == "completed"
        assert after["st_invoices"][20]["customer_name"] == "y"
        changed_state = [
            (row["model"], row["raw_table"])
            for row in query(dbname, watermarks)
            # the KPI models, which do not read st_jobs, advance too (tests/test_kpi_rules.py)
            if row not in state_before and row["model"] in ST_TABLES
        ]
        assert changed_state == [("st_invoices", "invoices")]

        # the job is fixed at the source: the next run applies what the failed one missed
        with psycopg.connect(admin_conninfo(dbname)) as conn:
            conn.execute(
                "update tap_servicetitan.jobs set total = '12.5', "
                "_sdc_batched_at = now() at time zone 'UTC'"
            )
        summaries = run(dbname)
        assert {s.status for s in summaries.values()} == {"completed"}
        assert query(dbname, "select name from public.st_customers") == [{"name": "After"}]
        assert query(dbname, "select total from public.st_jobs") == [{"total": Decimal("12.50")}]


def test_unbatched_raw_rows_are_read_on_every_run() -> None:
    """Singer BATCH loads leave _sdc_batched_at NULL: correct results, with a warning."""
    with scratch_database() as dbname:
        load_raw(
            dbname,
            {
                "customers": [record("customers", 1), record("customers", 2)],
                "jobs": [record("jobs", 10, customerId=1)],
            },
        )
        run(dbname)
        with psycopg.connect(admin_conninfo(dbname)) as conn:
            conn.execute(
                'update tap_servicetitan.jobs set "customerId" = 2, _sdc_batched_at = null'
            )
        moved = run_dbt(dbname)
        assert "raw rows without _sdc_batched_at in tap_servicetitan.jobs" in moved.output
        assert moved.tables["st_jobs"].records_fetched == 1
        totals = "select st_id, total_jobs from public.st_customers order by st_id"
        assert query(dbname, totals) == [
            {"st_id": 1, "total_jobs": 0},
            {"st_id": 2, "total_jobs": 1},
        ]
        again = run(dbname)
        assert (again["st_jobs"].records_fetched, again["st_jobs"].records_updated) == (1, 0)
        assert query(dbname, totals)[1] == {"st_id": 2, "total_jobs": 1}
