"""Idempotence and the incremental refresh against a full rebuild."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.transforms_fixtures import (
    TIMESTAMPS,
    load_raw,
    query,
    record,
    run,
    run_dbt,
    scratch_database,
    snapshot,
    sync_log,
)


def base_data() -> dict[str, list[dict]]:
    def invoice(invoice_id: int, cid: int, total: str, balance: str) -> dict:
        return record(
            "invoices",
            invoice_id,
            customer={"id": cid, "name": str(cid)},
            total=total,
            balance=balance,
        )

    return {
        "customers": [record("customers", cid, name=f"Customer {cid}") for cid in range(1, 7)],
        "customer_contacts": [
            record("customer_contacts", 101, customerId=1, type="Email", value="a@x.com"),
            record("customer_contacts", 201, customerId=2, type="Phone", value="5552223333"),
            record("customer_contacts", 301, customerId=3, type="Email", value="c1@x.com"),
            record("customer_contacts", 302, customerId=3, type="Email", value="c2@x.com"),
        ],
        "locations": [
            record("locations", 1001, customerId=1),
            record("locations", 2001, customerId=2),
            record("locations", 3001, customerId=3),
            record("locations", 3002, customerId=3),
            record("locations", 5001, customerId=5),
        ],
        "jobs": [
            record(
                "jobs", 11, customerId=1, jobStatus="Completed", createdOn="2024-01-01T00:00:00Z"
            ),
            record(
                "jobs", 12, customerId=1, jobStatus="Scheduled", createdOn="2024-06-01T00:00:00Z"
            ),
            record(
                "jobs", 21, customerId=2, jobStatus="Completed", createdOn="2024-02-01T00:00:00Z"
            ),
            record("jobs", 41, customerId=4, jobStatus="Completed"),
        ],
        "invoices": [
            invoice(111, 1, "100", "0"),
            invoice(211, 2, "50", "0.00"),
            invoice(411, 4, "7", "0"),
        ],
        "appointments": [record("appointments", 7001, jobId=11, customerId=1)],
        "estimates": [record("estimates", 8001, jobId=11, customerId=1)],
        "technicians": [record("technicians", 9001)],
    }


def changes() -> dict[str, list[dict]]:
    data = base_data()
    by_id = {stream: {r["id"]: r for r in rows} for stream, rows in data.items()}
    job_moved = dict(by_id["jobs"][12], customerId=2)  # from A=1 to B=2
    contact_moved = dict(by_id["customer_contacts"][101], customerId=2)  # A's chosen e-mail
    contact_off = dict(by_id["customer_contacts"][301], active=False)
    location_moved = dict(by_id["locations"][5001], customerId=6)  # E=5 -> F=6
    invoice_unpaid = dict(by_id["invoices"][211], balance="10")
    renamed = dict(by_id["customers"][3], name="Renamed Three")
    return {
        "customers": [renamed, by_id["customers"][4], record("customers", 7, name="Seven")],
        "customer_contacts": [contact_moved, contact_off, by_id["customer_contacts"][302]],
        "locations": [location_moved],
        "jobs": [job_moved, record("jobs", 71, customerId=7, jobStatus="Completed")],
        "invoices": [invoice_unpaid],
        "appointments": [dict(by_id["appointments"][7001], status="Canceled")],
        "estimates": [],
        "technicians": [],
    }


def without_timestamps(tables: dict) -> dict:
    return {
        table: {
            st_id: {k: v for k, v in row.items() if k not in TIMESTAMPS}
            for st_id, row in rows.items()
        }
        for table, rows in tables.items()
    }


@pytest.fixture(scope="module")
def database() -> str:
    with scratch_database() as dbname:
        load_raw(dbname, base_data())
        yield dbname


def test_second_run_without_raw_changes_changes_nothing(database: str) -> None:
    first = run(database)
    assert first["st_customers"].records_created == 6
    before = snapshot(database)
    second = run(database)
    assert snapshot(database) == before  # timestamps included
    assert {s.sync_type for s in second.values()} == {"incremental"}
    assert {(s.records_fetched, s.records_created, s.records_updated) for s in second.values()} == {
        (0, 0, 0)
    }


def test_full_refresh_twice_is_idempotent(database: str) -> None:
    before = snapshot(database)
    for _ in range(2):
        summaries = run(database, full_refresh=True)
        assert {s.sync_type for s in summaries.values()} == {"full"}
        assert sum(s.records_updated + s.records_created for s in summaries.values()) == 0
        assert summaries["st_jobs"].records_fetched == 4
    assert without_timestamps(snapshot(database)) == without_timestamps(before)


def test_incremental_refresh_touches_only_affected_rows(database: str) -> None:
    before = snapshot(database)
    load_raw(database, changes())
    summaries = run(database)
    after = snapshot(database)

    customers = after["st_customers"]
    changed = {
        cid
        for cid in customers
        if cid not in before["st_customers"]
        or customers[cid]["last_synced_at"] != before["st_customers"][cid]["last_synced_at"]
    }
    assert changed == {1, 2, 3, 5, 6, 7}
    assert customers[4] == before["st_customers"][4]

    # job 12 moved from customer 1 to customer 2; the old customer is recomputed too
    assert (customers[1]["total_jobs"], customers[1]["completed_jobs"]) == (1, 1)
    assert customers[1]["last_job_date"].isoformat() == "2024-01-01T00:00:00+00:00"
    assert (customers[2]["total_jobs"], customers[2]["completed_jobs"]) == (2, 1)
    # A's chosen e-mail moved to B; C's chosen e-mail went inactive
    assert customers[1]["email"] is None
    assert customers[2]["email"] == "a@x.com"
    assert customers[3]["email"] == "c2@x.com"
    assert customers[3]["name"] == "Renamed Three"
    # aggregates of 3 did not change, so their timestamp stays
    assert (
        customers[3]["aggregates_updated_at"] == before["st_customers"][3]["aggregates_updated_at"]
    )
    previous_b = before["st_customers"][2]["aggregates_updated_at"]
    assert customers[2]["aggregates_updated_at"] > previous_b
    # location 5001 moved from 5 to 6; 5 falls back to its own address
    assert (customers[5]["location_id"], customers[5]["address_line1"]) == (None, "1 Bill St")
    assert (customers[6]["location_id"], customers[6]["address_line1"]) == (5001, "1 Service Rd")
    # invoice 211 is no longer paid
    assert customers[2]["lifetime_value"] == Decimal("0.00")
    assert (customers[7]["total_jobs"], customers[7]["name"]) == (1, "Seven")

    # other tables: only the changed rows were written
    for table, ids in {
        "st_jobs": {12, 71},
        "st_customer_contacts": {101, 301},
        "st_locations": {5001},
        "st_invoices": {211},
        "st_appointments": {7001},
        "st_estimates": set(),
        "st_technicians": set(),
    }.items():
        written = {
            st_id
            for st_id, row in after[table].items()
            if st_id not in before[table]
            or row["last_synced_at"] != before[table][st_id]["last_synced_at"]
        }
        assert written == ids, table

    expected = {  # fetched, created, updated
        "st_customers": (3, 1, 5),
        "st_customer_contacts": (3, 0, 2),
        "st_locations": (1, 0, 1),
        "st_jobs": (2, 1, 1),
        "st_invoices": (1, 0, 1),
        "st_appointments": (1, 0, 1),
        "st_estimates": (0, 0, 0),
        "st_technicians": (0, 0, 0),
    }
    got = {
        m: (s.records_fetched, s.records_created, s.records_updated) for m, s in summaries.items()
    }
    assert got == expected
    log = sync_log(database)
    last_run = {row["module"]: row for row in log[-len(expected) :]}
    assert {
        m: (r["records_fetched"], r["records_created"], r["records_updated"])
        for m, r in last_run.items()
    } == expected
    assert {(r["sync_type"], r["status"]) for r in last_run.values()} == {
        ("incremental", "completed")
    }


def test_incremental_result_equals_a_full_build(database: str) -> None:
    incremental = without_timestamps(snapshot(database))
    full = run(database, full_refresh=True, target_schema="full_check")
    assert full["st_customers"].records_created == 7
    assert without_timestamps(snapshot(database, "full_check")) == incremental
    again = run(database, full_refresh=True)
    assert sum(s.records_updated + s.records_created for s in again.values()) == 0


def test_full_refresh_removes_rows_whose_raw_record_is_gone(database: str) -> None:
    with_job = query(database, "select total_jobs from public.st_customers where st_id = 4")
    assert with_job == [{"total_jobs": 1}]
    query(database, "delete from tap_servicetitan.jobs where id = 41 returning id")
    incremental = run(database)
    assert incremental["st_jobs"].records_deleted == 0  # not visible incrementally
    summaries = run(database, full_refresh=True)
    assert summaries["st_jobs"].records_deleted == 1
    assert query(database, "select st_id from public.st_jobs where st_id = 41") == []
    assert query(database, "select total_jobs from public.st_customers where st_id = 4") == [
        {"total_jobs": 0}
    ]


def test_tenants_share_the_tables_and_a_full_refresh_only_touches_its_own() -> None:
    """Two tenants (two raw schemas) in one set of st_* tables, keyed by tenant_id."""
    other = {"DBT_POSTGRES_RAW_SCHEMA": "tap_servicetitan_other"}
    with scratch_database() as dbname:
        load_raw(dbname, base_data())
        load_raw(
            dbname,
            {
                "customers": [record("customers", 1, name="Other One")],
                "jobs": [record("jobs", 11, customerId=1, jobStatus="Completed")],
            },
            schema_name="tap_servicetitan_other",
            tenant_id=77,
        )
        run(dbname)
        second = run_dbt(dbname, env=other).tables
        assert second["st_customers"].records_created == 1
        tenant_rows = "select * from public.{} where tenant_id = %s order by st_id"
        before = {
            t: query(dbname, tenant_rows.format(t), (77,)) for t in ("st_customers", "st_jobs")
        }
        assert [row["name"] for row in before["st_customers"]] == ["Other One"]

        # the first tenant's job 11 is gone at the source; its full refresh removes it
        query(dbname, "delete from tap_servicetitan.jobs where id = 11 returning id")
        full = run(dbname, full_refresh=True)
        assert full["st_jobs"].records_deleted == 1
        assert query(dbname, tenant_rows.format("st_jobs"), (4242,))[0]["st_id"] == 12
        # the other tenant's rows, job 11 included, are untouched
        after = {
            t: query(dbname, tenant_rows.format(t), (77,)) for t in ("st_customers", "st_jobs")
        }
        assert after == before
        assert query(dbname, "select count(distinct tenant_id) as n from public.st_customers") == [
            {"n": 2}
        ]
