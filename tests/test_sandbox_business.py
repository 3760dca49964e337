"""The sandbox's KPI source streams hang together like a real tenant's, before and after
a day of changes: invoice items of the dataset's invoices adding up to their subtotals,
splits, assignments and timesheets of the jobs' technicians, payments paying invoices
down to their balances, memberships whose status is their last status change's."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

import pytest

from servicetitan_sandbox import SandboxServer
from servicetitan_sandbox.business import (
    ASSIGNMENTS,
    CALLS,
    CAMPAIGNS,
    COSTS,
    GL_ACCOUNTS,
    ITEMS,
    JOB_TYPES,
    MEMBERSHIP_TYPES,
    MEMBERSHIP_TYPES_LIST,
    MEMBERSHIPS,
    PAYMENTS,
    SPLITS,
    STATUS_CHANGES,
    TIMESHEETS,
    Business,
    stamp_ms,
)
from servicetitan_sandbox.business_records import cents
from servicetitan_sandbox.dataset import Dataset


@pytest.fixture(scope="module")
def fresh():
    return SandboxServer(customers=400, seed=21)


@pytest.fixture(scope="module")
def mutated():
    server = SandboxServer(customers=400, seed=21)
    server.summaries = [server.mutate(fraction=0.05, seed=s) for s in (1, 2)]
    return server


@pytest.fixture(params=["fresh", "mutated"])
def server(request) -> SandboxServer:
    return request.getfixturevalue(request.param)


def records(server: SandboxServer, name: str) -> list[dict]:
    return list(server.generic.collections[name].records.values())


def by_id(rows: list[dict]) -> dict[int, dict]:
    return {row["id"]: row for row in rows}


def income(item: dict, gl_types: dict[int, str | None]) -> bool:
    """The KPI rules' income item (docs/kpi-tables.md): the snapshot's type, else the account's."""
    account = item["generalLedgerAccount"]
    if account is None:
        return False
    kind = (account["type"] or "").strip() or (gl_types.get(account["id"]) or "")
    return kind.strip().lower() == "income"


# --------------------------------------------------------------------------- invoices, items


def test_invoice_items_belong_to_invoices_and_add_up_to_their_subtotals(server) -> None:
    invoices = by_id(server.dataset.records("invoices"))
    totals: dict[int, int] = defaultdict(int)
    for item in records(server, ITEMS):
        assert item["invoiceId"] in invoices
        totals[item["invoiceId"]] += cents(item["total"])
    assert totals
    for invoice_id, total in totals.items():
        assert total == cents(invoices[invoice_id]["subTotal"]), invoice_id
    for invoice in invoices.values():
        if invoice["invoiceConfiguration"] == "ARImportInvoice":
            assert invoice["id"] not in totals
        elif cents(invoice["subTotal"]) != 0:
            assert invoice["id"] in totals, invoice["id"]


def test_invoice_items_carry_every_case_the_income_rule_has(server) -> None:
    items = records(server, ITEMS)
    gl = by_id(records(server, GL_ACCOUNTS))
    gl_types = {i: a["type"] for i, a in gl.items()}
    accounts = [i["generalLedgerAccount"] for i in items if i["generalLedgerAccount"]]
    assert {a["id"] for a in accounts} <= set(gl)
    assert any(i["generalLedgerAccount"] is None for i in items)
    snapshot_types = {a["type"] for a in accounts}
    assert {None, "", "Income", "income ", "Cost of Goods Sold", "Liability"} <= snapshot_types
    assert any(income(i, gl_types) for i in items if not i["generalLedgerAccount"]["type"])
    assert any(not income(i, gl_types) for i in items)
    assert any(cents(i["total"]) < 0 and income(i, gl_types) for i in items)  # discounts
    assert any(i["businessUnit"] is None for i in items)
    assert any(i["active"] is False for i in items)
    assert any(i["soldHours"] for i in items)
    for item in items:
        assert set(
            item["generalLedgerAccount"] or {"id", "name", "number", "type", "detailType"}
        ) == {
            "id",
            "name",
            "number",
            "type",
            "detailType",
        }


def test_job_revenue_is_plausible_for_a_contractor(fresh) -> None:
    ds = fresh.dataset
    gl_types = {a["id"]: a["type"] for a in records(fresh, GL_ACCOUNTS)}
    revenue: dict[int, int] = defaultdict(int)
    invoices = by_id(ds.records("invoices"))
    for item in records(fresh, ITEMS):
        invoice = invoices[item["invoiceId"]]
        if invoice["job"] and invoice["adjustmentToId"] is None and income(item, gl_types):
            revenue[invoice["job"]["id"]] += cents(item["total"])
    completed = [j for j in ds.records("jobs") if j["jobStatus"] == "Completed"]
    amounts = sorted(revenue[j["id"]] for j in completed)
    median = amounts[len(amounts) // 2]
    assert 10_000 <= median <= 300_000  # hundreds to a few thousand dollars
    per_invoice = defaultdict(int)
    for item in records(fresh, ITEMS):
        per_invoice[item["invoiceId"]] += 1
    assert 1 <= sum(per_invoice.values()) / len(per_invoice) <= 4


def test_invoices_of_every_class(server) -> None:
    invoices = by_id(server.dataset.records("invoices"))
    adjustments = [i for i in invoices.values() if i["adjustmentToId"] is not None]
    assert adjustments
    for adjustment in adjustments:
        original = invoices[adjustment["adjustmentToId"]]
        assert original["id"] < adjustment["id"]
        assert original["job"]["id"] == adjustment["job"]["id"]
        assert original["customer"]["id"] == adjustment["customer"]["id"]
        assert adjustment["invoiceDate"] >= original["invoiceDate"]
    non_job = [i for i in invoices.values() if i["job"] is None]
    configurations = {i["invoiceConfiguration"] for i in non_job}
    assert "ARImportInvoice" in configurations
    assert configurations - {"ARImportInvoice"}
    assert {i["syncStatus"] for i in invoices.values()} == {"Pending", "Posted", "Exported"}
    assert any(i["dueDate"] is None for i in invoices.values())
    assert any(cents(i["balance"]) not in (0, cents(i["total"])) for i in invoices.values())


# --------------------------------------------------------------------------- jobs, estimates


def test_job_types_thresholds_and_jobs(server) -> None:
    types = by_id(records(server, JOB_TYPES))
    assert set(types) == set(range(1, 26))
    thresholds = {t["soldThreshold"] for t in types.values()}
    assert None in thresholds and 0 in thresholds
    assert {100, 250, 500} <= thresholds
    jobs = server.dataset.records("jobs")
    assert {j["jobTypeId"] for j in jobs} <= set(types)
    assert {j["campaignId"] for j in jobs} <= {c["id"] for c in records(server, CAMPAIGNS)}
    assert any(j["noCharge"] for j in jobs)
    assert any(j["jobStatus"] == "Canceled" for j in jobs)
    completed = [j for j in jobs if j["jobStatus"] == "Completed"]
    assert all(j["completedOn"] for j in completed)
    hours = {int(j["completedOn"][11:13]) for j in completed}
    assert {23, 0} <= hours  # near UTC midnight
    assert hours & {4, 5, 6, 7}  # near US midnight


def test_estimates_statuses(server) -> None:
    estimates = server.dataset.records("estimates")
    assert {e["status"]["name"] for e in estimates} == {"Open", "Sold", "Dismissed"}
    sold = [e for e in estimates if e["status"]["name"] == "Sold"]
    assert all(e["soldOn"] for e in sold)
    assert any(e["businessUnitId"] is None for e in estimates)
    assert any(e["active"] is False for e in estimates)


# --------------------------------------------------------------------------- dispatch, payroll


def job_technicians(server: SandboxServer) -> dict[int, set[int]]:
    """Per job, the technicians of its active assignments."""
    techs: dict[int, set[int]] = defaultdict(set)
    for assignment in records(server, ASSIGNMENTS):
        if assignment["active"]:
            techs[assignment["jobId"]].add(assignment["technicianId"])
    return techs


def test_assignments_match_appointments_and_technicians(server) -> None:
    ds = server.dataset
    appointments = by_id(ds.records("appointments"))
    technicians = ds.ids("technicians")
    seen = set()
    for assignment in records(server, ASSIGNMENTS):
        appointment = appointments[assignment["appointmentId"]]
        assert assignment["jobId"] == appointment["jobId"]
        assert assignment["technicianId"] in technicians
        seen.add(appointment["id"])
        if assignment["active"]:
            assert appointment["status"] != "Canceled"
    assert seen == set(appointments)
    assert any(not a["active"] for a in records(server, ASSIGNMENTS))


def test_splits_share_completed_jobs_among_their_technicians(server) -> None:
    jobs = by_id(server.dataset.records("jobs"))
    techs = job_technicians(server)
    active: dict[int, list[float]] = defaultdict(list)
    for split in records(server, SPLITS):
        job = jobs[split["jobId"]]
        assert job["jobStatus"] == "Completed"
        if split["active"]:
            active[split["jobId"]].append(split["split"])
            if job["active"]:
                assert split["technicianId"] in techs[job["id"]] or not techs[job["id"]]
    shares = {tuple(sorted(v)) for v in active.values()}
    assert (100.0,) in shares and (50.0, 50.0) in shares and (30.0, 70.0) in shares
    completed = {i for i, j in jobs.items() if j["jobStatus"] == "Completed"}
    assert completed - set(active)  # some completed jobs have no splits
    assert any(not s["active"] for s in records(server, SPLITS))


def test_timesheets_of_worked_appointments(server) -> None:
    appointments = by_id(server.dataset.records("appointments"))
    sheets = records(server, TIMESHEETS)
    for sheet in sheets:
        appointment = appointments[sheet["appointmentId"]]
        assert sheet["jobId"] == appointment["jobId"]
        assert appointment["status"] in ("Done", "Working")
        if sheet["doneOn"]:
            assert stamp_ms(sheet["arrivedOn"]) < stamp_ms(sheet["doneOn"])
    assert any(s["doneOn"] is None for s in sheets)
    done = {a for a, r in appointments.items() if r["status"] == "Done"}
    assert done <= {s["appointmentId"] for s in sheets}


# --------------------------------------------------------------------------- marketing


def test_calls_of_every_kind_book_jobs_for_campaigns(server) -> None:
    calls = records(server, CALLS)
    jobs = server.dataset.ids("jobs")
    campaigns = {c["id"] for c in records(server, CAMPAIGNS)}
    assert {c["direction"] for c in calls} == {"Inbound", "Outbound"}
    kinds = {c["type"] for c in calls if c["direction"] == "Inbound"}
    assert {"Booked", "Unbooked", "Excused", "NotLead", "Abandoned"} <= kinds
    for call in calls:
        assert call["createdOn"]
        if call["campaign"] is not None:
            assert call["campaign"]["id"] in campaigns
        if call["job"] is not None:
            assert call["type"] == "Booked"
            assert call["job"]["id"] in jobs
    assert any(c["campaign"] is None for c in calls)
    assert any(c["type"] == "Booked" and c["job"] for c in calls)


def test_campaigns_and_their_monthly_costs(server) -> None:
    campaigns = by_id(records(server, CAMPAIGNS))
    assert set(campaigns) >= set(range(1, 41))
    assert any(not c["active"] for c in campaigns.values())
    costs = records(server, COSTS)
    assert {c["campaignId"] for c in costs} < set(campaigns)  # some campaigns cost nothing
    assert max((c["year"], c["month"]) for c in costs) >= (2025, 6)
    assert all(c["dailyCost"] > 0 for c in costs)
    months = {(c["campaignId"], c["year"], c["month"]) for c in costs}
    assert len(months) < len(costs)  # a month with two entries


# --------------------------------------------------------------------------- memberships


def test_membership_status_is_its_last_status_change(server) -> None:
    memberships = by_id(records(server, MEMBERSHIPS))
    customers = server.dataset.ids("customers")
    types = {t["id"] for t in records(server, MEMBERSHIP_TYPES)}
    assert types == {t["id"] for t in records(server, MEMBERSHIP_TYPES_LIST)}
    changes: dict[int, list[dict]] = defaultdict(list)
    for change in records(server, STATUS_CHANGES):
        assert change["membershipId"] in memberships
        changes[change["membershipId"]].append(change)
    for membership in memberships.values():
        assert membership["customerId"] in customers
        assert membership["membershipTypeId"] in types
        history = sorted(changes.get(membership["id"], []), key=lambda c: (c["createdOn"], c["id"]))
        if history:
            assert history[-1]["newStatus"] == membership["status"], membership["id"]
            assert history[0]["newStatus"] == "Active"
            for before, after in pairwise(history):
                assert after["oldStatus"] == before["newStatus"]
                assert before["createdOn"] >= membership["createdOn"][:10]
    assert set(memberships) - set(changes)  # some without changes
    statuses = {c["newStatus"] for c in records(server, STATUS_CHANGES)}
    assert {"Active", "Suspended", "Canceled", "Expired"} <= statuses


# --------------------------------------------------------------------------- payments


def test_payments_pay_invoices_down_to_their_balances(server) -> None:
    invoices = by_id(server.dataset.records("invoices"))
    applied: dict[int, int] = defaultdict(int)
    for payment in records(server, PAYMENTS):
        entries = payment["appliedTo"]
        assert entries
        assert cents(payment["total"]) == sum(cents(e["appliedAmount"]) for e in entries)
        for entry in entries:
            assert entry["appliedTo"] in invoices
            assert entry["appliedOn"]
            if payment["active"]:
                applied[entry["appliedTo"]] += cents(entry["appliedAmount"])
    for invoice in invoices.values():
        total, balance = cents(invoice["total"]), cents(invoice["balance"])
        paid = total - balance if total > 0 else 0
        assert applied.get(invoice["id"], 0) == paid, invoice["id"]
    assert any(len(p["appliedTo"]) > 1 for p in records(server, PAYMENTS))
    assert any(not p["active"] for p in records(server, PAYMENTS))


# --------------------------------------------------------------------------- mutation


def test_mutate_follows_the_dataset_and_reports_its_changes(fresh, mutated) -> None:
    first, second = mutated.summaries
    for summary in (first, second):
        for name in (ITEMS, SPLITS, ASSIGNMENTS, TIMESHEETS, CALLS, PAYMENTS, STATUS_CHANGES):
            assert summary[name]["created"] > 0, name
        assert summary[MEMBERSHIPS]["updated"] > 0
        assert summary[ITEMS]["updated"] > 0  # a GL account corrected
        assert summary[SPLITS]["updated"] > 0  # a split deactivated
        assert summary["invoices"]["updated"] > 0
    before = {j["id"]: j for j in fresh.dataset.records("jobs")}
    completed_now = [
        j
        for j in mutated.dataset.records("jobs")
        if j["jobStatus"] == "Completed"
        and (j["id"] not in before or before[j["id"]]["jobStatus"] != "Completed")
    ]
    assert completed_now
    split_jobs = {s["jobId"] for s in records(mutated, SPLITS)}
    sheet_jobs = {s["jobId"] for s in records(mutated, TIMESHEETS)}
    assert sum(j["id"] in split_jobs for j in completed_now) > len(completed_now) // 2
    assert all(j["id"] in sheet_jobs for j in completed_now if j["active"])


def test_a_changed_business_unit_or_completion_is_a_new_version_of_the_job(fresh, mutated) -> None:
    before = {j["id"]: j for j in fresh.dataset.records("jobs")}
    moved = [
        j
        for j in mutated.dataset.records("jobs")
        if j["id"] in before
        and before[j["id"]]["jobStatus"] == "Completed"
        and (
            j["businessUnitId"] != before[j["id"]]["businessUnitId"]
            or j["completedOn"] != before[j["id"]]["completedOn"]
        )
    ]
    assert moved
    assert all(j["modifiedOn"] > before[j["id"]]["modifiedOn"] for j in moved)


def test_same_seed_same_business_records() -> None:
    a, b = Business(Dataset(150, seed=3)), Business(Dataset(150, seed=3))
    for name, collection in a.collections.items():
        assert collection._ordered == b.collections[name]._ordered, name


def test_records_a_test_hook_adds_without_the_usual_fields_are_left_alone() -> None:
    server = SandboxServer(customers=40, seed=2)
    ds = server.dataset
    job = ds.add("jobs", {"customerId": ds.records("customers")[0]["id"]})
    invoice = ds.add("invoices", {"total": "10.00"})
    summary = server.mutate(fraction=0.1, seed=1)
    assert summary[ITEMS]["created"] > 0
    assert invoice["id"] not in {i["invoiceId"] for i in records(server, ITEMS)}
    assert job["id"] not in {a["jobId"] for a in records(server, ASSIGNMENTS)}
