"""Memberships module (``memberships/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

memberships = Module("memberships")

STREAMS = (
    memberships.export(
        "invoice_templates", "export/invoice-templates", scope="tn.mem.invoicetemplates:r"
    ),
    memberships.export(
        "membership_status_changes",
        "export/membership-status-changes",
        scope="tn.mem.memberships:r",
        replication_key="createdOn",
    ),
    memberships.export(
        "membership_types", "export/membership-types", scope="tn.mem.membershiptypes:r"
    ),
    memberships.export("memberships_export", "export/memberships", scope="tn.mem.memberships:r"),
    memberships.export(
        "recurring_service_events",
        "export/recurring-service-events",
        scope="tn.mem.recurringserviceevents:r",
    ),
    memberships.export(
        "recurring_service_types",
        "export/recurring-service-types",
        scope="tn.mem.recurringservicetypes:r",
    ),
    memberships.export(
        "recurring_services", "export/recurring-services", scope="tn.mem.recurringservices:r"
    ),
    memberships.listing(
        "membership_custom_fields",
        "memberships/custom-fields",
        scope="tn.mem.memberships:r",
        incremental=True,
    ),
)
