"""Raw records that hit the edge of every KPI rule (docs/kpi-tables.md), and helpers.

``edge_records()`` is one tenant's raw streams in America/Chicago, run on
``RUN_DATE``: the comment beside each record says which edge it is. The
test module loads them through target-postgres in one go, builds the KPI
tables with dbt and compares them with tests/support/kpi_oracle.py.
``changed_records()`` changes a few of them for the incremental run;
``second_tenant_records()`` is another tenant whose ids overlap the first's.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

from tests.support.transforms_fixtures import _filler, load_schema

TIMEZONE = "America/Chicago"
RUN_DATE = dt.date(2025, 3, 20)
#: Every stream the KPI tables read (docs/kpi-tables.md), plus customers (the project needs it).
KPI_STREAMS = (
    "customers",
    "invoices",
    "invoice_items",
    "gl_accounts",
    "jobs",
    "job_types",
    "estimates",
    "job_splits",
    "appointment_assignments",
    "job_timesheets",
    "calls",
    "costs",
    "memberships_export",
    "membership_status_changes",
    "payments",
)

#: Readable defaults of the fields the rules read; the rest comes from the tap's schema.
DEFAULTS: dict[str, dict[str, Any]] = {
    "customers": {"active": True, "name": "Customer", "type": "Residential"},
    "invoices": {
        "active": True,
        "adjustmentToId": None,
        "job": None,
        "invoiceConfiguration": "Default",
        "syncStatus": "Posted",
        "subTotal": "0.00",
        "total": "0.00",
        "balance": "0.00",
        "businessUnit": None,
        "customer": {"id": 1, "name": "Customer"},
        "invoiceDate": "2025-03-01T00:00:00Z",
        "dueDate": None,
    },
    "invoice_items": {"active": True, "businessUnit": None, "soldHours": None, "total": 0},
    "gl_accounts": {"active": True},
    "jobs": {
        "active": True,
        "jobStatus": "Completed",
        "noCharge": False,
        "businessUnitId": 101,
        "jobTypeId": 1,
        "campaignId": 201,
        "customerId": 1,
    },
    "job_types": {"active": True, "name": "Service", "soldThreshold": None},
    "estimates": {
        "active": True,
        "status": {"value": 1, "name": "Sold"},
        "soldOn": None,
        "soldBy": None,
        "businessUnitId": None,
        "subtotal": 0,
    },
    "job_splits": {"active": True},
    "appointment_assignments": {"active": True},
    "job_timesheets": {"active": True},
    "calls": {"active": True, "direction": "Inbound", "type": "Booked", "campaign": None},
    "costs": {},
    "memberships_export": {"active": True, "status": "Active"},
    "membership_status_changes": {"oldStatus": "Active"},
    "payments": {"active": True, "appliedTo": []},
}

GL_INCOME, GL_EXPENSE, GL_FALLBACK_INCOME, GL_FALLBACK_EXPENSE = 1, 2, 10, 11
GL_INACTIVE_INCOME, GL_UNKNOWN = 12, 13


def kpi_record(stream: str, record_id: int, **overrides: Any) -> dict:
    """A full record of a stream: the tap's schema filled in, DEFAULTS, then overrides."""
    schema = load_schema(stream)
    full = {key: _filler(value) for key, value in schema["properties"].items()}
    full.update(copy.deepcopy(DEFAULTS[stream]))
    full["id"] = record_id
    full.update(overrides)
    return full


def gl(account_id: int | None, kind: str | None = "Income") -> dict | None:
    """An item's generalLedgerAccount object (None: the item has no GL account)."""
    if account_id is None:
        return None
    return {"id": account_id, "name": f"GL {account_id}", "number": "4000", "type": kind}


def unit(unit_id: int | None) -> dict | None:
    return None if unit_id is None else {"id": unit_id, "name": f"BU {unit_id}"}


def job(job_id: int, completed: str | None, **overrides: Any) -> dict:
    return kpi_record("jobs", job_id, completedOn=completed, **overrides)


def invoice(invoice_id: int, job_id: int | None = None, **overrides: Any) -> dict:
    ref = None if job_id is None else {"id": job_id, "number": str(job_id), "type": "Service"}
    return kpi_record("invoices", invoice_id, job=ref, **overrides)


def item(
    item_id: int,
    invoice_id: int,
    total: Any,
    account: dict | None,
    business_unit: int | None = None,
    **overrides: Any,
) -> dict:
    return kpi_record(
        "invoice_items",
        item_id,
        invoiceId=invoice_id,
        total=total,
        generalLedgerAccount=account,
        businessUnit=unit(business_unit),
        **overrides,
    )


def estimate(estimate_id: int, job_id: int | None, status: str, subtotal: Any, **o: Any) -> dict:
    code = {"Open": 0, "Sold": 1, "Dismissed": 2}[status]
    return kpi_record(
        "estimates",
        estimate_id,
        jobId=job_id,
        status={"value": code, "name": status},
        subtotal=subtotal,
        **o,
    )


def split(split_id: int, job_id: int, tech: int, share: Any, active: bool = True) -> dict:
    return kpi_record(
        "job_splits", split_id, jobId=job_id, technicianId=tech, split=share, active=active
    )


def assignment(assignment_id: int, job_id: int, tech: int, active: bool = True) -> dict:
    return kpi_record(
        "appointment_assignments",
        assignment_id,
        jobId=job_id,
        technicianId=tech,
        appointmentId=assignment_id,
        active=active,
    )


def timesheet(
    sheet_id: int, job_id: int, tech: int, arrived: str | None, done: str | None, **o: Any
) -> dict:
    return kpi_record(
        "job_timesheets",
        sheet_id,
        jobId=job_id,
        technicianId=tech,
        arrivedOn=arrived,
        doneOn=done,
        **o,
    )


def call(call_id: int, created: str, campaign: int | None, **overrides: Any) -> dict:
    ref = None if campaign is None else {"id": campaign, "name": f"Campaign {campaign}"}
    return kpi_record("calls", call_id, createdOn=created, campaign=ref, **overrides)


def cost(cost_id: int, campaign: int, year: int, month: int, daily: Any) -> dict:
    return kpi_record(
        "costs", cost_id, campaignId=campaign, year=year, month=month, dailyCost=daily
    )


def membership(
    membership_id: int, type_id: int, business_unit: int | None, created: str, **o: Any
) -> dict:
    return kpi_record(
        "memberships_export",
        membership_id,
        membershipTypeId=type_id,
        businessUnitId=business_unit,
        createdOn=created,
        **o,
    )


def status_change(
    change_id: int, membership_id: int, created: str, new: str, old: str = "Active"
) -> dict:
    return kpi_record(
        "membership_status_changes",
        change_id,
        membershipId=membership_id,
        createdOn=created,
        newStatus=new,
        oldStatus=old,
    )


def applied(invoice_id: int | None, amount: float, on: str) -> dict:
    """An ``appliedTo`` entry as the tap emits it: the amount a JSON number."""
    return {"appliedTo": invoice_id, "appliedAmount": amount, "appliedOn": on, "appliedBy": "x"}


def aging_invoice(
    invoice_id: int, balance: Any, due: str | None, job_id: int | None = None, **overrides: Any
) -> dict:
    fields = {
        "invoiceDate": "2024-11-01T00:00:00Z",
        "invoiceConfiguration": "ARImportInvoice",
        "businessUnit": unit(103),
        "customer": {"id": 7, "name": "Owing"},
        **overrides,
    }
    return invoice(invoice_id, job_id, balance=balance, dueDate=due, **fields)


def edge_records() -> dict[str, list[dict]]:
    """One tenant's raw streams, each record an edge of a rule (see the comments)."""
    gl_accounts = [
        kpi_record("gl_accounts", GL_INCOME, type="Income"),
        kpi_record("gl_accounts", GL_EXPENSE, type="Expense"),
        kpi_record("gl_accounts", GL_FALLBACK_INCOME, type=" INCOME "),  # trimmed, any case
        kpi_record("gl_accounts", GL_FALLBACK_EXPENSE, type="Expense"),
        kpi_record("gl_accounts", GL_INACTIVE_INCOME, type="Income", active=False),  # a lookup
        # GL_UNKNOWN is in no gl_accounts row
    ]
    job_types = [
        kpi_record("job_types", 1, soldThreshold=None),  # null = 0
        kpi_record("job_types", 2, soldThreshold=0),
        kpi_record("job_types", 3, soldThreshold=500),
        kpi_record("job_types", 4, soldThreshold="100.00"),
        kpi_record("job_types", 5, soldThreshold=1000, active=False),  # a lookup: still used
    ]
    jobs = [
        # completed 03:30 UTC on March 2 = 21:30 on March 1 in Chicago; threshold 500
        job(1001, "2025-03-02T03:30:00Z", jobTypeId=3, businessUnitId=101, campaignId=201),
        # no-charge, invoice subtotal 0: not an opportunity
        job(
            1002,
            "2025-03-05T15:00:00Z",
            jobTypeId=3,
            businessUnitId=102,
            campaignId=202,
            noCharge=True,
        ),
        # no-charge, invoice subtotal 150 meets threshold 100: opportunity and converted
        job(
            1003,
            "2025-03-05T20:00:00Z",
            jobTypeId=4,
            businessUnitId=103,
            campaignId=None,
            noCharge=True,
        ),
        # null threshold, subtotal 0: an opportunity, not converted (0 is not > 0)
        job(1004, "2025-03-06T10:00:00Z", jobTypeId=1, businessUnitId=101, campaignId=None),
        # threshold 0, subtotal 0.01: converted; splits summing to 0
        job(1005, "2025-03-06T10:00:00Z", jobTypeId=2, businessUnitId=101, campaignId=202),
        # canceled: its invoices count nowhere
        job(1006, None, jobStatus="Canceled", businessUnitId=101),
        # completed but inactive
        job(1007, "2025-03-06T12:00:00Z", active=False, businessUnitId=101),
        # Completed without completedOn
        job(1008, None, businessUnitId=101),
        # completed after the run's date
        job(1009, "2025-03-25T12:00:00Z", businessUnitId=101),
        # two job invoices 300 + 250 meet 500; an inactive one and an adjustment do not count
        job(1010, "2025-03-10T12:00:00Z", jobTypeId=3, businessUnitId=102, campaignId=201),
        # no-charge meeting the threshold with 600; a Sold estimate of 600 closes it;
        # 04:59:59 UTC on March 12 is 23:59:59 on March 11 (CDT, after the DST change)
        job(
            1011,
            "2025-03-12T04:59:59Z",
            jobTypeId=3,
            businessUnitId=103,
            campaignId=202,
            noCharge=True,
        ),
        # a job in progress
        job(1012, None, jobStatus="InProgress", businessUnitId=102),
        # an inactive job type's threshold 1000 still applies: 250 does not convert
        job(1014, "2025-03-07T18:00:00Z", jobTypeId=5, businessUnitId=101, campaignId=201),
        # completed, no invoice, job type unknown to job_types (threshold 0)
        job(1013, "2025-02-14T18:00:00Z", jobTypeId=99, businessUnitId=102, campaignId=None),
    ]
    invoices = [
        invoice(2001, 1001, subTotal="600.00", businessUnit=unit(101)),
        invoice(2003, 1003, subTotal="150.00", businessUnit=unit(103)),
        invoice(2004, 1004, subTotal="0.00", businessUnit=unit(101)),
        invoice(2005, 1005, subTotal="0.01", businessUnit=unit(101)),
        invoice(2006, 1006, subTotal="80.00", businessUnit=unit(101)),
        invoice(2007, 1007, subTotal="90.00", businessUnit=unit(101)),
        invoice(2009, 1009, subTotal="70.00", businessUnit=unit(101)),
        invoice(2010, 1010, subTotal="300.00", businessUnit=unit(102)),
        invoice(2011, 1010, subTotal=250, businessUnit=unit(102)),
        invoice(2012, 1010, subTotal="1000.00", businessUnit=unit(102), active=False),
        # an adjustment to the job's invoice: adjustment revenue by invoiceDate, not job revenue
        invoice(
            2013,
            1010,
            subTotal="999.00",
            businessUnit=unit(102),
            adjustmentToId=2010,
            invoiceDate="2025-03-11T00:00:00Z",
        ),
        invoice(2014, 1011, subTotal="600.00", businessUnit=unit(103)),
        invoice(2015, 1012, subTotal="55.00", businessUnit=unit(102)),
        invoice(2016, 1014, subTotal="250.00", businessUnit=unit(101)),
        # non-job, dated midnight UTC March 1: March 1 as sent, not February 28 in Chicago
        invoice(2101, None, businessUnit=unit(103), invoiceDate="2025-03-01T00:00:00Z"),
        # AR import: no revenue anywhere
        invoice(
            2102,
            None,
            businessUnit=unit(103),
            invoiceConfiguration="ARImportInvoice",
            invoiceDate="2025-03-01T00:00:00Z",
        ),
        # an adjustment of another invoice, no job
        invoice(
            2103,
            None,
            businessUnit=unit(101),
            adjustmentToId=2001,
            invoiceDate="2025-03-04T00:00:00Z",
        ),
        # an adjustment whose income items sum to 0: no row
        invoice(
            2104,
            None,
            businessUnit=unit(102),
            adjustmentToId=2010,
            invoiceDate="2025-03-07T00:00:00Z",
        ),
        # non-job, pending: revenue all the same (pending only matters to AR)
        invoice(
            2105,
            None,
            businessUnit=unit(101),
            syncStatus="Pending",
            invoiceDate="2025-03-08T00:00:00Z",
        ),
        # non-job after the run's date
        invoice(2106, None, businessUnit=unit(101), invoiceDate="2025-03-28T00:00:00Z"),
        # an inactive non-job invoice
        invoice(2107, None, businessUnit=unit(101), active=False),
        # non-job with a null configuration (is not ARImportInvoice), no business unit anywhere
        invoice(
            2108,
            None,
            businessUnit=None,
            invoiceConfiguration=None,
            invoiceDate="2025-02-02T00:00:00Z",
        ),
    ]
    items = [
        # job 1001 (invoice 2001, business unit 101)
        item(3001, 2001, "400.00", gl(GL_INCOME, "Income"), 101, soldHours=1.5),
        item(3002, 2001, "200.00", gl(GL_INCOME, " income "), 102, soldHours="0.75"),
        item(3003, 2001, "50.00", gl(GL_EXPENSE, "Expense"), 101),
        item(3004, 2001, "30.00", gl(GL_FALLBACK_INCOME, None), None),  # fallback: income
        item(3005, 2001, "20.00", None, 101),  # no GL account
        item(3006, 2001, "15.00", gl(GL_FALLBACK_EXPENSE, ""), 101),  # fallback: expense
        item(3007, 2001, "10.00", gl(GL_INCOME), 101, active=False),
        item(3008, 2001, "5.00", gl(GL_UNKNOWN, None), 101),  # fallback finds nothing
        item(3009, 2001, "7.00", gl(GL_INACTIVE_INCOME, None), 101),  # inactive lookup counts
        item(3010, 2001, "8.00", gl(GL_INCOME, "INCOME"), 101),
        # job 1003: 100.01 on a tie of splits
        item(3031, 2003, "100.01", gl(GL_INCOME), None),
        # job 1005
        item(3051, 2005, "0.01", gl(GL_INCOME), None, soldHours=0.5),
        # canceled, inactive and future jobs
        item(3061, 2006, "80.00", gl(GL_INCOME), 101),
        item(3071, 2007, "90.00", gl(GL_INCOME), 101),
        item(3091, 2009, "70.00", gl(GL_INCOME), 101),
        # job 1010: 300 + 250; the inactive invoice's item and the adjustment's
        item(3101, 2010, "300.00", gl(GL_INCOME), None, soldHours="1.33"),
        item(3102, 2011, 250, gl(GL_INCOME), 102, soldHours=1),
        item(3103, 2012, "1000.00", gl(GL_INCOME), 102),
        item(3104, 2013, "25.00", gl(GL_INCOME), None),
        # job 1011
        item(3111, 2014, "600.00", gl(GL_INCOME), None),
        # job 1014
        item(3141, 2016, "250.00", gl(GL_INCOME), None),
        # job in progress
        item(3121, 2015, "55.00", gl(GL_INCOME), 102),
        # non-job 2101: 120 under the invoice's unit, 30 under the item's
        item(3201, 2101, "120.00", gl(GL_INCOME), None),
        item(3202, 2101, "30.00", gl(GL_INCOME), 101),
        item(3203, 2101, "45.00", gl(GL_EXPENSE, "Expense"), 101),
        # AR import
        item(3211, 2102, "500.00", gl(GL_INCOME), None),
        # adjustments: -40 to 101; +10 and -10 to 102 (no row)
        item(3221, 2103, "-40.00", gl(GL_INCOME), None),
        item(3231, 2104, "10.00", gl(GL_INCOME), 102),
        item(3232, 2104, "-10.00", gl(GL_INCOME), 102),
        # pending non-job, future non-job, inactive invoice
        item(3241, 2105, "45.00", gl(GL_INCOME), None),
        item(3251, 2106, "65.00", gl(GL_INCOME), None),
        item(3261, 2107, "75.00", gl(GL_INCOME), None),
        # no business unit on the item or the invoice
        item(3271, 2108, "12.34", gl(GL_INCOME), None),
        # an item of an invoice nobody loaded
        item(3281, 9999, "99.00", gl(GL_INCOME), 101),
    ]
    estimates = [
        # sold before the job's completion, soldBy 301; no unit: the job's (101)
        estimate(4001, 1001, "Sold", "700.00", soldOn="2025-02-28T12:00:00Z", soldBy=301),
        estimate(
            4002,
            1010,
            "Sold",
            "200.00",
            soldOn="2025-03-10T15:00:00Z",
            soldBy=302,
            businessUnitId=103,
        ),
        # soldBy null; 04:00 UTC on March 11 is March 10 in Chicago; the job's unit (102)
        estimate(4003, 1010, "Sold", 200, soldOn="2025-03-11T04:00:00Z", soldBy=None),
        estimate(4004, 1010, "Open", "1000.00", soldOn=None, soldBy=302),
        estimate(4005, 1010, "Dismissed", "1000.00", soldOn="2025-03-10T15:00:00Z", soldBy=302),
        # a sale on a canceled job counts as a sale
        estimate(
            4006,
            1006,
            "Sold",
            "80.50",
            soldOn="2025-03-06T16:00:00Z",
            soldBy=303,
            businessUnitId=101,
        ),
        estimate(
            4007, 1010, "Sold", "5000.00", soldOn="2025-03-10T15:00:00Z", soldBy=302, active=False
        ),
        estimate(4008, 1011, "Sold", "600.00", soldOn="2025-03-11T15:00:00Z", soldBy=304),
        # no job, no unit: business unit null
        estimate(4009, None, "Sold", "33.33", soldOn="2025-03-09T15:00:00Z", soldBy=305),
        # Sold without soldOn: no date
        estimate(4010, 1004, "Sold", "44.00", soldOn=None, soldBy=305),
        # sold after the run's date
        estimate(4011, 1009, "Sold", "66.00", soldOn="2025-03-21T15:00:00Z", soldBy=305),
        # a Sold estimate below threshold 500 on a no-charge job that is no opportunity
        estimate(4012, 1002, "Sold", "900.00", soldOn="2025-03-05T15:00:00Z", soldBy=303),
    ]
    splits = [
        # job 1001: 2 : 1 (302 gets trunc(637 / 3, 2)); an inactive split
        split(5001, 1001, 301, 2),
        split(5002, 1001, 302, "1"),
        split(5003, 1001, 303, 5, active=False),
        # job 1003: 303 has 0.25 twice (summed: 0.5), 304 has 0.5: a tie, lowest id leads
        split(5031, 1003, 303, 0.25),
        split(5032, 1003, 303, 0.25),
        split(5033, 1003, 304, 0.5),
        # job 1005: splits summing to 0
        split(5051, 1005, 305, 0),
        split(5052, 1005, 306, 0),
        # job 1010: 60 / 40 on a 0-100 scale
        split(5101, 1010, 301, 60),
        split(5102, 1010, 302, 40),
        split(5103, 1010, 302, 100, active=False),
        # a canceled job's split
        split(5061, 1006, 301, 1),
    ]
    assignments = [
        assignment(6001, 1001, 301),
        assignment(6002, 1001, 302),
        assignment(6003, 1001, 303, active=False),
        assignment(6004, 1001, 301),  # a second appointment: counted once
        assignment(6021, 1002, 303),
        assignment(6031, 1003, 303),
        assignment(6032, 1003, 304),
        assignment(6051, 1005, 305),
        assignment(6061, 1006, 301),  # canceled job
        assignment(6101, 1010, 306),  # assigned but no split: counts, no revenue
        assignment(6111, 1011, 304),
        assignment(6091, 1009, 301),  # completed after the run's date
    ]
    timesheets = [
        # 01:00-03:30 UTC March 2 = March 1 evening in Chicago: 2.5 h
        timesheet(7001, 1001, 301, "2025-03-02T01:00:00Z", "2025-03-02T03:30:00Z"),
        # a canceled job's, 20 min twice on one day: 0.67 h (summed, then rounded)
        timesheet(7002, 1006, 301, "2025-03-05T14:00:00Z", "2025-03-05T14:20:00Z"),
        timesheet(7003, 1006, 301, "2025-03-05T15:00:00Z", "2025-03-05T15:20:00Z"),
        timesheet(7004, 1006, 302, "2025-03-05T14:00:00Z", None),  # not done
        timesheet(7005, 1006, 302, None, "2025-03-05T14:00:00Z"),  # never arrived
        timesheet(7006, 1003, 304, "2025-03-05T14:00:00Z", "2025-03-05T18:00:00Z", active=False),
        # 7 min 30 s: 0.125 h rounds to 0.13
        timesheet(7007, 1003, 306, "2025-03-05T16:00:00Z", "2025-03-05T16:07:30Z"),
        # after the run's date
        timesheet(7008, 1009, 301, "2025-03-25T14:00:00Z", "2025-03-25T15:00:00Z"),
    ]
    calls = [
        # 05:00 UTC March 1 = February 28 in Chicago
        call(8001, "2025-03-01T05:00:00Z", 201),
        call(8002, "2025-03-01T18:00:00Z", 201),
        call(8003, "2025-03-01T19:00:00Z", 201, type="Unbooked"),
        call(8004, "2025-03-01T19:00:00Z", 201, type="Excused"),
        call(8005, "2025-03-01T19:00:00Z", 201, type="NotLead"),
        call(8006, "2025-03-01T19:00:00Z", 201, type="Abandoned"),
        call(8007, "2025-03-01T19:00:00Z", 201, type=None),
        call(8008, "2025-03-01T19:00:00Z", 201, direction="Outbound"),
        call(8009, "2025-03-01T19:00:00Z", 201, direction="Outbound", type="Unbooked"),
        call(8010, "2025-03-01T19:00:00Z", 201, active=False),
        call(8011, "2025-03-03T19:00:00Z", None, type="Unbooked"),  # campaign null
        call(8012, "2025-03-05T19:00:00Z", 202),
        call(8013, "2025-03-05T19:00:00Z", 202, type="Unbooked"),
        call(8014, "2025-03-05T19:00:00Z", 202, type="Unbooked"),
        call(8015, "2025-03-21T19:00:00Z", 202),  # after the run's date
    ]
    costs = [
        # campaign 201: two February rows summed (15.50 a day), March up to the 20th
        cost(9001, 201, 2025, 2, "10.00"),
        cost(9002, 201, 2025, 2, 5.5),
        cost(9003, 201, 2025, 3, "20.00"),
        cost(9004, 202, 2025, 3, 0),  # zero: no rows
        cost(9005, 203, 2025, 4, "50.00"),  # a month after the run's
        cost(9006, 202, 2025, 1, "3.33"),
        # two rows cancelling out: no rows
        cost(9007, 204, 2025, 2, "7.00"),
        cost(9008, 204, 2025, 2, "-7.00"),
    ]
    memberships = [
        # created Active, no changes: active at every month end, never "activated"
        membership(10001, 401, 101, "2025-01-10T12:00:00Z"),
        # Active in January, canceled in February
        membership(10002, 401, 101, "2025-01-15T12:00:00Z", status="Canceled"),
        # Active, Suspended, Active, Expired; a change after the run's date
        membership(10003, 401, 101, "2025-02-01T12:00:00Z", status="Canceled"),
        # business unit null; 04:00 UTC February 27 is February 26 in Chicago
        membership(10004, 402, None, "2025-02-27T04:00:00Z"),
        # inactive: counts nowhere
        membership(10005, 401, 101, "2025-01-05T12:00:00Z", active=False),
        # December: the first membership's month; canceled on January 31 local time
        membership(10006, 402, 102, "2024-12-15T12:00:00Z", status="Canceled"),
        # created in the run's month
        membership(10007, 402, 102, "2025-03-19T12:00:00Z"),
        # created after the run's date
        membership(10008, 402, 102, "2025-03-25T12:00:00Z"),
        # changed to Suspended on the day it was created: no Active change
        membership(10009, 403, 103, "2025-02-10T12:00:00Z", status="Suspended"),
        # Active from its creation until its first change (Active -> Canceled) in March
        membership(10010, 403, 103, "2025-01-20T12:00:00Z", status="Canceled"),
    ]
    changes = [
        status_change(11001, 10002, "2025-01-15T12:00:00Z", "Active"),
        status_change(11002, 10002, "2025-02-10T12:00:00Z", "Canceled"),
        status_change(11003, 10003, "2025-02-01T12:00:00Z", "Active"),
        status_change(11004, 10003, "2025-02-20T12:00:00Z", "Suspended"),
        status_change(11005, 10003, "2025-03-05T12:00:00Z", "Active", old="Suspended"),
        status_change(11006, 10003, "2025-03-18T12:00:00Z", "Expired"),
        # after the run's date
        status_change(11007, 10003, "2025-03-22T12:00:00Z", "Canceled", old="Expired"),
        status_change(11008, 10005, "2025-01-05T12:00:00Z", "Active"),  # inactive membership
        status_change(11009, 10006, "2024-12-15T12:00:00Z", "Active"),
        # 05:30 UTC February 1 = January 31 in Chicago
        status_change(11010, 10006, "2025-02-01T05:30:00Z", "Canceled"),
        status_change(11011, 10009, "2025-02-10T12:00:00Z", "Suspended"),
        status_change(11013, 10010, "2025-03-02T12:00:00Z", "Canceled"),
        status_change(11012, 10999, "2025-02-10T12:00:00Z", "Active"),  # unknown membership
    ]
    aging = [
        aging_invoice(12001, "100.00", "2025-03-20T00:00:00Z"),  # due today: 0, current
        aging_invoice(12002, "1.00", "2025-03-19T00:00:00Z"),  # 1
        aging_invoice(12003, "30.00", "2025-02-18T00:00:00Z"),  # 30
        aging_invoice(12004, "31.00", "2025-02-17T00:00:00Z"),  # 31
        aging_invoice(12005, "60.00", "2025-01-19T00:00:00Z"),  # 60
        aging_invoice(12006, "61.00", "2025-01-18T00:00:00Z"),  # 61
        aging_invoice(12007, "90.00", "2024-12-20T00:00:00Z"),  # 90
        aging_invoice(12008, "91.00", "2024-12-19T00:00:00Z"),  # 91
        aging_invoice(12009, "120.00", "2024-11-20T00:00:00Z"),  # 120
        aging_invoice(12010, "121.00", "2024-11-19T00:00:00Z"),  # 121
        aging_invoice(12011, "11.00", None),  # no terms
        aging_invoice(12012, "0.00", "2025-01-01T00:00:00Z"),  # paid
        aging_invoice(12013, None, "2025-01-01T00:00:00Z"),  # no balance
        aging_invoice(12014, "14.00", "2025-01-01T00:00:00Z", syncStatus="Pending"),
        aging_invoice(12015, "-25.00", "2025-01-01T00:00:00Z", syncStatus=None),  # a credit
        aging_invoice(12016, "16.00", "2025-01-01T00:00:00Z", active=False),
        aging_invoice(
            12017,
            "17.17",
            "2025-01-01T00:00:00Z",
            syncStatus="Exported",
            customer=None,
            businessUnit=None,
        ),
        aging_invoice(12018, "18.00", "2025-04-01T00:00:00Z"),  # not due yet: -12
        # a job invoice and an adjustment owe money too
        aging_invoice(
            12019, "19.00", "2025-03-01T00:00:00Z", invoiceConfiguration="Default", job_id=1010
        ),
        aging_invoice(12020, "20.00", "2025-03-01T00:00:00Z", adjustmentToId=12019),
    ]
    payments = [
        # applied twice to one invoice: summed, the latest appliedOn
        kpi_record(
            "payments",
            13001,
            appliedTo=[
                applied(12001, 10.00, "2025-03-01T10:00:00Z"),
                applied(12001, 5.25, "2025-03-03T10:00:00Z"),
                applied(12002, 1.00, "2025-03-02T10:00:00Z"),
                applied(None, 3.00, "2025-03-02T10:00:00Z"),  # no invoice: skipped
            ],
        ),
        kpi_record(
            "payments", 13002, active=False, appliedTo=[applied(12003, 30.00, "2025-03-01")]
        ),
        kpi_record("payments", 13003, appliedTo=None),
        kpi_record("payments", 13004, appliedTo=[]),
        # an invoice nobody loaded
        kpi_record(
            "payments", 13005, appliedTo=[applied(999999, 9.99, "2025-03-04T10:00:00.123Z")]
        ),
    ]
    return {
        "customers": [kpi_record("customers", 1), kpi_record("customers", 7)],
        "invoices": invoices + aging,
        "invoice_items": items,
        "gl_accounts": gl_accounts,
        "jobs": jobs,
        "job_types": job_types,
        "estimates": estimates,
        "job_splits": splits,
        "appointment_assignments": assignments,
        "job_timesheets": timesheets,
        "calls": calls,
        "costs": costs,
        "memberships_export": memberships,
        "membership_status_changes": changes,
        "payments": payments,
    }


def touched(record: dict, **changes: Any) -> dict:
    """A changed copy of a record, modifiedOn moved on (as the API does)."""
    out = copy.deepcopy(record)
    out.update(changes)
    if "modifiedOn" in out:
        out["modifiedOn"] = "2025-03-20T12:00:00Z"
    return out


def by_id(records: list[dict], record_id: int) -> dict:
    (found,) = [r for r in records if r["id"] == record_id]
    return found


def changed_records(base: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The raw rows that change between two syncs (only those: load them on top of base).

    A job's completedOn moves to another day, an item's business unit
    changes, a split, an assignment, a payment, an invoice and a membership
    are deactivated, a membership is canceled (its first status change), a
    call moves to another day and campaign, an estimate is dismissed and
    another's soldOn moves, a timesheet moves, a job type's threshold and a GL
    account's type change (lookups many rows depend on), an item moves to
    another invoice and an invoice to another job, an invoice is paid, a cost
    changes and another is added.
    """

    def change(stream: str, record_id: int, **fields: Any) -> dict:
        return touched(by_id(base[stream], record_id), **fields)

    return {
        "jobs": [change("jobs", 1010, completedOn="2025-03-13T18:00:00Z")],
        "invoice_items": [
            change("invoice_items", 3001, businessUnit=unit(103)),
            change("invoice_items", 3241, invoiceId=2010),  # from a non-job invoice to a job's
        ],
        "job_splits": [change("job_splits", 5002, active=False)],
        "appointment_assignments": [change("appointment_assignments", 6002, active=False)],
        "payments": [change("payments", 13001, active=False)],
        # a membership without changes is canceled: Active until then (the change's oldStatus)
        "memberships_export": [
            change("memberships_export", 10001, status="Canceled"),
            change("memberships_export", 10002, active=False),
        ],
        "membership_status_changes": [
            status_change(11020, 10001, "2025-03-15T12:00:00Z", "Canceled"),
            # a first change arriving while its membership's row is unchanged
            status_change(11021, 10004, "2025-03-10T12:00:00Z", "Suspended"),
        ],
        "calls": [
            call(8020, "2025-03-19T19:00:00Z", 201, type="Unbooked"),
            change(
                "calls",
                8002,
                createdOn="2025-03-03T18:00:00Z",
                campaign={"id": 202, "name": "Campaign 202"},
            ),
        ],
        "estimates": [
            change("estimates", 4002, status={"value": 2, "name": "Dismissed"}),
            change("estimates", 4003, soldOn="2025-03-12T15:00:00Z"),
        ],
        "job_timesheets": [
            change(
                "job_timesheets",
                7001,
                arrivedOn="2025-03-03T14:00:00Z",
                doneOn="2025-03-03T15:00:00Z",
            )
        ],
        "job_types": [change("job_types", 3, soldThreshold=700)],
        "gl_accounts": [change("gl_accounts", GL_FALLBACK_INCOME, type="Expense")],
        "invoices": [
            change("invoices", 12002, balance="0.00"),
            change("invoices", 2101, active=False),
            # an invoice moves from job 1005 to job 1004
            change("invoices", 2005, job={"id": 1004, "number": "1004", "type": "Service"}),
        ],
        "costs": [cost(9020, 202, 2025, 2, "1.10"), change("costs", 9003, dailyCost="25.00")],
    }


def merged(base: dict[str, list[dict]], changes: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """The raw tables after loading ``changes`` on top of ``base`` (upserts by id)."""
    out = {stream: list(records) for stream, records in base.items()}
    for stream, records in changes.items():
        out[stream] = list({r["id"]: r for r in [*out.get(stream, []), *records]}.values())
    return out


def second_tenant_records() -> dict[str, list[dict]]:
    """Another tenant with the first one's ids: amounts doubled, a few records dropped."""
    base = edge_records()
    out = copy.deepcopy(base)
    for record in out["invoice_items"]:
        if record["total"] is not None:
            record["total"] = str(2 * Decimal(str(record["total"])))
    for record in out["invoices"]:
        if record["balance"] is not None:
            record["balance"] = str(3 * Decimal(str(record["balance"])))
    out["calls"] = out["calls"][:4]
    out["memberships_export"] = out["memberships_export"][:2]
    return out
