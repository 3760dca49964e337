"""Streams grouped by ServiceTitan API module, then the child streams of their records.

``ALL_STREAMS``: every tenant-wide stream, one declarative table per module (a
child stream's parent is one of them); ``CHILD_STREAMS``: the per-parent ones
(``children.py``); ``TAP_STREAMS``: what the tap discovers, both.
"""

from __future__ import annotations

from tap_servicetitan.streams import (
    accounting,
    children,
    crm,
    customer_interactions,
    dispatch,
    equipment_systems,
    findings,
    forms,
    inventory,
    jbce,
    jpm,
    marketing,
    marketing_ads,
    marketing_reputation,
    memberships,
    payroll,
    pricebook,
    reporting,
    sales,
    scheduling_pro,
    service_agreements,
    settings,
    task_management,
    telecom,
    timesheets,
)

#: The core: the streams the st_* tables are built from.
CORE_STREAM_NAMES = (
    "customers",
    "customer_contacts",
    "locations",
    "location_contacts",
    "jobs",
    "appointments",
    "invoices",
    "estimates",
    "technicians",
)

ALL_STREAMS = (
    crm.STREAMS
    + jpm.STREAMS
    + accounting.STREAMS
    + sales.STREAMS
    + settings.STREAMS
    + customer_interactions.STREAMS
    + dispatch.STREAMS
    + equipment_systems.STREAMS
    + findings.STREAMS
    + forms.STREAMS
    + inventory.STREAMS
    + jbce.STREAMS
    + marketing.STREAMS
    + marketing_ads.STREAMS
    + marketing_reputation.STREAMS
    + memberships.STREAMS
    + payroll.STREAMS
    + pricebook.STREAMS
    + reporting.STREAMS
    + scheduling_pro.STREAMS
    + service_agreements.STREAMS
    + task_management.STREAMS
    + telecom.STREAMS
    + timesheets.STREAMS
)

CHILD_STREAMS = children.child_streams(ALL_STREAMS)
TAP_STREAMS = ALL_STREAMS + CHILD_STREAMS

CORE_STREAMS = tuple(stream for stream in ALL_STREAMS if stream.name in CORE_STREAM_NAMES)

#: What meltano.yml selects: the core, the tables of the common reports, and every
#: stream the KPI tables read (docs/kpi-tables.md).
DEFAULT_SELECTION = (
    *CORE_STREAM_NAMES,
    "payments",
    "invoice_items",
    "gl_accounts",
    "business_units",
    "job_types",
    "job_splits",
    "employees",
    "campaigns",
    "costs",
    "calls",
    "memberships_export",
    "membership_types",
    "membership_status_changes",
    "projects",
    "leads",
    "bookings",
    "appointment_assignments",
    "job_timesheets",
    "non_job_timesheets",
    # the API's own counts of the streams above, for st_reconciliation (reconciliation.py)
    "record_counts",
)
