"""The raw tables the dbt project reads: its source ``servicetitan`` (transforms/).

One row per table: the stream it is loaded from (a row of :mod:`streams`) and
what it holds. ``fresh``: checked by ``dbt source freshness``; the tables only
the KPI models read are not, since a tenant may leave their streams unselected.
``transforms/models/staging/_servicetitan__sources.yml`` is generated from these
rows; the dbt run hooks and Dagster's raw assets read that source.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RawTable:
    """A raw table (named as its stream) and its description in the dbt docs."""

    name: str
    description: str
    fresh: bool = False


RAW_TABLES: tuple[RawTable, ...] = (
    RawTable("customers", "Customers (export feed crm/export/customers), active or not.", fresh=True),
    RawTable("customer_contacts", "Customers' contacts (e-mail, phones, fax) from crm/export/customers/contacts.", fresh=True),
    RawTable("locations", "Service locations from crm/export/locations; each belongs to one customer.", fresh=True),
    RawTable("jobs", "Jobs from jpm/export/jobs.", fresh=True),
    RawTable("invoices", "Invoices from accounting/export/invoices; money arrives as decimal strings and is loaded as numeric.", fresh=True),
    RawTable("appointments", "Job appointments from jpm/export/appointments.", fresh=True),
    RawTable("estimates", "Estimates from sales/export/estimates.", fresh=True),
    RawTable("technicians", "Technicians from settings/export/technicians.", fresh=True),
    RawTable("invoice_items", "Invoice items from accounting/export/invoice-items (the items of every invoice, with their general-ledger account and business unit)."),
    RawTable("gl_accounts", "General-ledger accounts from accounting/gl-accounts."),
    RawTable("job_types", "Job types from jpm/job-types (sold thresholds)."),
    RawTable("job_splits", "Technicians' job splits from payroll/export/jobs/splits."),
    RawTable("appointment_assignments", "Technicians assigned to appointments, from dispatch/export/appointment-assignments."),
    RawTable("job_timesheets", "Technicians' job timesheets from payroll/export/jobs/timesheets."),
    RawTable("calls", "Calls from telecom/export/calls."),
    RawTable("costs", "Campaigns' daily costs per month from marketing/costs."),
    RawTable("memberships_export", "Memberships from memberships/export/memberships."),
    RawTable("membership_status_changes", "Membership status changes from memberships/export/membership-status-changes."),
    RawTable("payments", "Payments from accounting/export/payments, with the invoices they are applied to."),
)  # fmt: skip
