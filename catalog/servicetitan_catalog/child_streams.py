"""Child streams, one row per per-parent endpoint (docs/child-streams.md).

A row names the stream, its parent stream, the endpoint (the reference's path
under the module, with the parent-id placeholder), the scope, the name of the
parent's id in the records, the key, and whether the endpoint takes
``modifiedOnOrAfter`` and ``active``. The tap turns the rows whose parent is
one of its streams into child stream classes; adding an endpoint is adding a
row (and regenerating: ``servicetitan-generate``).

Names follow the MeltanoLabs tap where it has the endpoint as a child stream
(docs/child-streams.md), else ``<parent>_<children>``. Where the name belongs to
the export feed of the same records (``job_notes`` is ``export/job-notes``),
the child stream is ``<name>_by_<parent>``: the export feed is the cheaper
path, the child stream serves apps without the export's scope. Per-parent
endpoints that are not child streams, and why, are in
``servicetitan_devtools/child_table.py`` (the docs' table).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Where an answer holds its records (``records_in``): a page's ``data`` list,
#: the answer itself (one record), or the answer as a JSON array; the last two
#: are not paged.
PAGE = "data"
ONE_RECORD = ""
ARRAY = "[]"

#: Field the tap adds to records without an id: their position in their parent's answer.
LINE_NUMBER = "lineNumber"


@dataclass(frozen=True)
class ChildRow:
    """One per-parent endpoint as a stream."""

    name: str
    parent: str
    module: str
    path: str
    scope: str
    parent_key: str
    primary_keys: tuple[str, ...]
    replication_key: str | None = "modifiedOn"
    takes_modified_since: bool = False
    takes_active: bool = False
    #: The records have no id: the tap numbers them (``lineNumber``) within their parent.
    numbered: bool = False
    #: Where an answer holds the records: :data:`PAGE`, :data:`ONE_RECORD` or :data:`ARRAY`.
    records_in: str = PAGE
    #: Query parameters taken from the parent record's fields (the tap's ChildStream.parent_params).
    parent_params: tuple[str, ...] = ()


CHILD_ROWS: tuple[ChildRow, ...] = (
    ChildRow(
        "customer_notes", "customers", "crm", "customers/{id}/notes",
        "tn.crm.customers:r", "customerId", ("customerId", "id"), takes_modified_since=True,
    ),
    ChildRow(
        "location_notes", "locations", "crm", "locations/{id}/notes",
        "tn.crm.locations:r", "locationId", ("locationId", "id"), takes_modified_since=True,
    ),
    ChildRow(
        "lead_notes", "leads", "crm", "leads/{id}/notes",
        "tn.crm.leads:r", "leadId", ("leadId", "id"), takes_modified_since=True,
    ),
    ChildRow(
        "booking_contacts", "bookings", "crm", "bookings/{id}/contacts",
        "tn.crm.bookings:r", "bookingId", ("bookingId", "id"),
    ),
    ChildRow(
        "contact_relationships", "contacts", "crm", "contacts/{contactId}/relationships",
        "tn.crm.contacts:r", "contactId", ("contactId", "id"), replication_key=None,
    ),
    ChildRow(
        "job_canceled_log", "jobs", "jpm", "jobs/{id}/canceled-log",
        "tn.jpm.jobs:r", "jobId", ("jobId", "id"), replication_key=None,
    ),
    ChildRow(
        "job_booked_log", "jobs", "jpm", "jobs/{id}/booked-log",
        "tn.jpm.jobs:r", "jobId", ("jobId", "id"), replication_key=None, records_in=ONE_RECORD,
    ),
    ChildRow(
        "job_notes_by_job", "jobs", "jpm", "jobs/{id}/notes",
        "tn.jpm.jobs:r", "jobId", ("jobId", "createdOn", "createdById"),
    ),
    ChildRow(
        "project_notes_by_project", "projects", "jpm", "projects/{id}/notes",
        "tn.jpm.projects:r", "projectId", ("projectId", "createdOn", "createdById"),
    ),
    ChildRow(
        "wbs_project_budget_codes", "projects", "jpm",
        "work-breakdown-structure/projects/{projectId}/budget-codes",
        "tn.jpm.budgetcodes:r", "projectId", ("projectId", "id"), replication_key=None,
    ),
    ChildRow(
        "wbs_project_segments", "projects", "jpm",
        "work-breakdown-structure/projects/{projectId}/segments",
        "tn.jpm.segments:r", "projectId", ("projectId", "id"), replication_key=None,
    ),
    ChildRow(
        "wbs_segment_items", "wbs_segments", "jpm",
        "work-breakdown-structure/segments/{segmentId}/items",
        "tn.jpm.segments:r", "segmentId", ("segmentId", "id"), replication_key=None,
    ),
    ChildRow(
        "invoice_tasks", "invoices", "accounting", "invoices/{invoiceId}/tasks",
        "tn.acc.invoices:r", "invoiceId", ("invoiceId", "taskId"), replication_key=None,
    ),
    ChildRow(
        "bank_deposit_transactions", "bank_deposits", "accounting",
        "bank-deposits/{id}/transactions",
        "tn.acc.bankdeposits:r", "bankDepositId", ("bankDepositId", "id"),
    ),
    ChildRow(
        "journal_entry_details", "journal_entries", "accounting", "journal-entries/{id}/details",
        "tn.acc.journalentries:r", "journalEntryId", ("journalEntryId", LINE_NUMBER),
        replication_key=None, numbered=True,
    ),
    ChildRow(
        "journal_entry_summaries", "journal_entries", "accounting", "journal-entries/{id}/summary",
        "tn.acc.journalentries:r", "journalEntryId", ("journalEntryId", LINE_NUMBER),
        replication_key=None, numbered=True,
    ),
    ChildRow(
        "campaign_costs", "campaigns", "marketing", "campaigns/{id}/costs",
        "tn.mrk.campaigns:r", "campaignId", ("campaignId", "id"), replication_key=None,
    ),
    ChildRow(
        "membership_type_discounts", "membership_types", "memberships",
        "membership-types/{id}/discounts",
        "tn.mem.membershiptypes:r", "membershipTypeId", ("membershipTypeId", "id"),
        replication_key=None, records_in=ARRAY,
    ),
    ChildRow(
        "membership_type_duration_billing_items", "membership_types", "memberships",
        "membership-types/{id}/duration-billing-items",
        "tn.mem.membershiptypes:r", "membershipTypeId", ("membershipTypeId", "id"),
        replication_key=None, takes_active=True, records_in=ARRAY,
    ),
    ChildRow(
        "membership_type_recurring_service_items", "membership_types", "memberships",
        "membership-types/{id}/recurring-service-items",
        "tn.mem.membershiptypes:r", "membershipTypeId", ("membershipTypeId", "id"),
        replication_key=None, records_in=ARRAY,
    ),
    ChildRow(
        "technician_tracking", "appointment_assignments", "dispatch", "technician-tracking",
        "tn.dis.techniciantracking:r", "appointmentAssignmentId", ("appointmentAssignmentId",),
        replication_key=None, records_in=ONE_RECORD, parent_params=("technicianId", "appointmentId"),
    ),
    ChildRow(
        "employee_payrolls", "employees", "payroll", "employees/{employee}/payrolls",
        "tn.prl.employees:r", "employeeId", ("employeeId", "id"),
        takes_modified_since=True, takes_active=True,
    ),
    ChildRow(
        "technician_payrolls", "technicians", "payroll", "technicians/{technician}/payrolls",
        "tn.prl.technicians:r", "technicianId", ("technicianId", "id"),
        takes_modified_since=True, takes_active=True,
    ),
    ChildRow(
        "location_finding_attachments", "location_findings", "findings",
        "location-findings/{id}/attachments",
        "tn.fdgs.locationfindings:r", "locationFindingId", ("locationFindingId", "id"),
        replication_key=None,
    ),
    ChildRow(
        "report_category_reports", "report_categories", "reporting",
        "report-category/{report_category}/reports",
        "tn.rpr.reports:r", "reportCategoryId", ("reportCategoryId", "id"), replication_key=None,
    ),
    ChildRow(
        "scheduler_sessions", "schedulers", "schedulingpro", "schedulers/{id}/sessions",
        "tn.sp.schedulers:r", "schedulerId", ("schedulerId", "id"), takes_modified_since=True,
    ),
)  # fmt: skip
