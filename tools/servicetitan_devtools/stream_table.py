"""The docs' table of every stream, and of the endpoints left out (docs/streams.md).

Each stream's row comes from its row in the catalog (``servicetitan_catalog.streams``)
through the tap's class of it: endpoint, key, how it is incremental, whether
``meltano.yml`` selects it by default, its OAuth scope. The tenant-wide
endpoints of the API reference that are not streams are listed with the reason
(:data:`EXCLUDED`); ``tests/test_stream_table.py`` fails when an endpoint is
neither. Written by ``servicetitan-generate``.
"""

from __future__ import annotations

from servicetitan_catalog.reference import endpoints, url_parts
from servicetitan_catalog.streams import DEFAULT_SELECTION
from servicetitan_devtools.doc_sections import markdown_section
from servicetitan_devtools.openapi import endpoint_scope
from tap_servicetitan.client import ExportStream
from tap_servicetitan.streams import ALL_STREAMS, CORE_STREAMS
from tap_servicetitan.windows import WindowStream

SECTION = markdown_section("docs/streams.md", "stream-table")
CORE_SECTION = markdown_section("docs/streams.md", "core-table")
SCOPES_SECTION = markdown_section("README.md", "core-scopes")

#: The records a core stream's records point at, and by which field (docs/streams.md).
CORE_PARENTS = {
    "customer_contacts": "customers (`customerId`)",
    "locations": "customers (`customerId`)",
    "location_contacts": "locations (`locationId`)",
    "jobs": "customers (`customerId`), locations (`locationId`)",
    "appointments": "jobs (`jobId`)",
    "invoices": "customers (`customer.id`), jobs (`job.id`)",
    "estimates": "jobs (`jobId`)",
}

SAME_AS_EXPORT = "the export feed `{}` serves the same records (and reports deletions)"
NO_KEY = "its rows have no identifier, so no primary key to upsert on"

#: Tenant-wide endpoints (``module/resource``) that are not streams, and why.
EXCLUDED = {
    "accounting/inventory-bills/paginated": SAME_AS_EXPORT.format("export/inventory-bills"),
    "accounting/invoices": SAME_AS_EXPORT.format("export/invoices"),
    "accounting/payments": SAME_AS_EXPORT.format("export/payments"),
    "crm/bookings": SAME_AS_EXPORT.format("export/bookings"),
    "crm/customers": SAME_AS_EXPORT.format("export/customers"),
    "crm/customers/contacts": SAME_AS_EXPORT.format("export/customers/contacts"),
    "crm/leads": SAME_AS_EXPORT.format("export/leads"),
    "crm/locations": SAME_AS_EXPORT.format("export/locations"),
    "crm/locations/contacts": SAME_AS_EXPORT.format("export/locations/contacts"),
    "customer-interactions/technician-ratings": SAME_AS_EXPORT.format("export/technician-ratings"),
    "dispatch/appointment-assignments": SAME_AS_EXPORT.format("export/appointment-assignments"),
    "equipmentsystems/installed-equipment": SAME_AS_EXPORT.format("export/installed-equipment"),
    "inventory/adjustments": SAME_AS_EXPORT.format("export/adjustments"),
    "inventory/purchase-orders": SAME_AS_EXPORT.format("export/purchase-orders"),
    "inventory/returns": SAME_AS_EXPORT.format("export/returns"),
    "inventory/transfers": SAME_AS_EXPORT.format("export/transfers"),
    "jpm/appointments": SAME_AS_EXPORT.format("export/appointments"),
    "jpm/jobs": SAME_AS_EXPORT.format("export/jobs"),
    "jpm/jobs/cancel-reasons": "needs job ids (`ids`): a per-job lookup, not a tenant-wide read",
    "jpm/jobs/hold-reasons": "needs job ids (`ids`): a per-job lookup, not a tenant-wide read",
    "jpm/projects": SAME_AS_EXPORT.format("export/projects"),
    "memberships/invoice-templates": SAME_AS_EXPORT.format("export/invoice-templates"),
    "memberships/membership-types": SAME_AS_EXPORT.format("export/membership-types"),
    "memberships/memberships": SAME_AS_EXPORT.format("export/memberships"),
    "memberships/recurring-service-events": SAME_AS_EXPORT.format(
        "export/recurring-service-events"
    ),
    "memberships/recurring-service-types": SAME_AS_EXPORT.format("export/recurring-service-types"),
    "memberships/recurring-services": SAME_AS_EXPORT.format("export/recurring-services"),
    "payroll/activity-codes": SAME_AS_EXPORT.format("export/activity-codes"),
    "payroll/gross-pay-items": SAME_AS_EXPORT.format("export/gross-pay-items"),
    "payroll/jobs/splits": SAME_AS_EXPORT.format("export/jobs/splits"),
    "payroll/jobs/timesheets": SAME_AS_EXPORT.format("export/jobs/timesheets"),
    "payroll/payroll-adjustments": SAME_AS_EXPORT.format("export/payroll-adjustments"),
    "payroll/payroll-settings": SAME_AS_EXPORT.format("export/payroll-settings"),
    "payroll/timesheet-codes": SAME_AS_EXPORT.format("export/timesheet-codes"),
    "pricebook/categories": SAME_AS_EXPORT.format("export/categories"),
    "pricebook/equipment": SAME_AS_EXPORT.format("export/equipment"),
    "pricebook/materials": SAME_AS_EXPORT.format("export/materials"),
    "pricebook/services": SAME_AS_EXPORT.format("export/services"),
    "sales/estimates": SAME_AS_EXPORT.format("export/estimates"),
    "sales/estimates/export": SAME_AS_EXPORT.format("export/estimates"),
    "service-agreements/service-agreements": SAME_AS_EXPORT.format("export/service-agreements"),
    "settings/business-units": SAME_AS_EXPORT.format("export/business-units"),
    "settings/employees": SAME_AS_EXPORT.format("export/employees"),
    "settings/tag-types": SAME_AS_EXPORT.format("export/tag-types"),
    "settings/technicians": SAME_AS_EXPORT.format("export/technicians"),
    "telecom/calls": SAME_AS_EXPORT.format("export/calls") + " (v2 and v3 list endpoints)",
    "timesheets/activities": SAME_AS_EXPORT.format("export/activities"),
    "timesheets/activity-categories": SAME_AS_EXPORT.format("export/activity-categories"),
    "timesheets/activity-types": SAME_AS_EXPORT.format("export/activity-types"),
}


def tenant_wide_endpoints() -> set[str]:
    """``module/resource`` of every export feed and list endpoint of the reference, and of
    the other endpoints of the OpenAPI specs that streams read (``dispatch/capacity``)."""
    found = set()
    for url, endpoint in endpoints().items():
        if endpoint["kind"] != "per-parent":
            module, _, resource = url_parts(url)
            found.add(f"{module}/{resource}")
    for stream in ALL_STREAMS:
        if endpoint_scope(stream.module, stream.path, stream.request_method) is not None:
            found.add(f"{stream.module}/{stream.path}")
    return found


def method(stream: type) -> str:
    if issubclass(stream, WindowStream):
        return f"a moving window: {stream.windows_text}"
    if issubclass(stream, ExportStream):
        bookmark = f", `{stream.replication_key}`" if stream.replication_key else ""
        return f"`continueFrom`{bookmark}"
    if stream.replication_key:
        return "`modifiedOnOrAfter` (inclusive)"
    return "full table (read whole each run)"


def stream_rows() -> list[str]:
    rows = []
    for stream in sorted(ALL_STREAMS, key=lambda s: s.name):
        keys = ", ".join(f"`{k}`" for k in stream.primary_keys)
        default = "yes" if stream.name in DEFAULT_SELECTION else ""
        active = " (`active=Any`)" if stream.filters_active else ""
        if stream.request_method != "GET":
            active += f" (`{stream.request_method}`)"
        rows.append(
            f"| `{stream.name}` | `{stream.module}/{stream.path}`{active} | {keys} | "
            f"{method(stream)} | {default} | `{stream.scope}` |"
        )
    return rows


def excluded_rows() -> list[str]:
    scopes = {}
    for url, endpoint in endpoints().items():
        module, _, resource = url_parts(url)
        scopes[f"{module}/{resource}"] = endpoint["scopes"][0]
    return [
        f"| `{endpoint}` | `{scopes[endpoint]}` | {reason} |"
        for endpoint, reason in sorted(EXCLUDED.items())
    ]


def core_rendered() -> str:
    """The table of the core streams: the export feeds the st_* tables are built from."""
    lines = [
        "",
        "| stream | endpoint | key | incremental method | parent (foreign key) | scope |",
        "|---|---|---|---|---|---|",
        *(
            f"| `{stream.name}` | `{stream.module}/v2/tenant/{{t}}/{stream.path}` | "
            f"{', '.join(f'`{key}`' for key in stream.primary_keys)} | "
            f"`continueFrom` (state `continue_from`), `{stream.replication_key}` | "
            f"{CORE_PARENTS.get(stream.name, '')} | `{stream.scope}` |"
            for stream in CORE_STREAMS
        ),
        "",
    ]
    return "\n".join(lines) + "\n"


def core_scopes() -> str:
    """The README's list of the scopes the core streams need, one each, in their order."""
    scopes = dict.fromkeys(stream.scope for stream in CORE_STREAMS)
    return ", ".join(f"`{scope}`" for scope in scopes) + "\n"


def rendered() -> str:
    lines = [
        "",
        f"{len(ALL_STREAMS)} streams; **default** = selected in `meltano.yml`.",
        "",
        "| stream | endpoint | key | incremental method | default | scope |",
        "|---|---|---|---|---|---|",
        *stream_rows(),
        "",
        f"Tenant-wide endpoints that are not streams ({len(EXCLUDED)}):",
        "",
        "| endpoint | scope | why not |",
        "|---|---|---|",
        *excluded_rows(),
        "",
    ]
    return "\n".join(lines) + "\n"
