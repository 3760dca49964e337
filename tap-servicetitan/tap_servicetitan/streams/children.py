"""Child streams, one row per per-parent endpoint (docs/child-streams.md).

A row names the stream, its parent stream, the endpoint (the reference's path
under the module, with the parent-id placeholder), the scope, the name of the
parent's id in the records, the key, and whether the endpoint takes
``modifiedOnOrAfter`` and ``active``. :func:`child_streams` turns the rows
whose parent is a stream of the tap into :class:`ChildStream` classes; adding
an endpoint is adding a row (and regenerating the schemas).

Names follow the MeltanoLabs tap where it has the endpoint as a child stream
(docs/child-streams.md), else ``<parent>_<children>``. Where the name belongs to
the export feed of the same records (``job_notes`` is ``export/job-notes``),
the child stream is ``<name>_by_<parent>``: the export feed is the cheaper
path, the child stream serves apps without the export's scope. Per-parent
endpoints that are not child streams, and why, are in
``servicetitan_devtools/child_table.py`` (the docs' table).
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from tap_servicetitan.children import LINE_NUMBER, ChildStream
from tap_servicetitan.pagination import ARRAY, ONE_RECORD, PAGE

if t.TYPE_CHECKING:
    from tap_servicetitan.client import ServiceTitanStream


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
    #: Where an answer holds the records: a page (``PAGE``), the answer itself
    #: (``ONE_RECORD``) or a JSON array of them (``ARRAY``); the last two are not paged.
    records_in: str = PAGE
    #: Query parameters taken from the parent record's fields (see ChildStream.parent_params).
    parent_params: tuple[str, ...] = ()

    @property
    def reference_url(self) -> str:
        """The endpoint's URL in the API reference (``endpoints.json``)."""
        return f"/{self.module}/v2/tenant/{{tenant}}/{self.path}"


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


def child_streams(parents: t.Iterable[type[ServiceTitanStream]]) -> tuple[type[ChildStream], ...]:
    """A class per row whose parent is among ``parents``."""
    by_name = {parent.name: parent for parent in parents}
    return tuple(
        _child_class(row, by_name[row.parent]) for row in CHILD_ROWS if row.parent in by_name
    )


def _child_class(row: ChildRow, parent: type[ServiceTitanStream]) -> type[ChildStream]:
    class_name = "".join(part.title() for part in row.name.split("_")) + "Stream"
    return type(
        class_name,
        (ChildStream,),
        {
            "__doc__": f"``{row.path}``: children of {row.parent}, one request per parent.",
            "__module__": __name__,
            "name": row.name,
            "parent_stream_type": parent,
            "module": row.module,
            "path": row.path,
            "scope": row.scope,
            "parent_key": row.parent_key,
            "primary_keys": row.primary_keys,
            "replication_key": row.replication_key,
            "takes_modified_since": row.takes_modified_since,
            "filters_active": row.takes_active,
            "numbered": row.numbered,
            "records_in": row.records_in,
            "parent_params": row.parent_params,
            "paged": row.records_in == PAGE,
        },
    )
