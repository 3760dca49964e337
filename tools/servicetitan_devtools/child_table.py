"""The docs' table of child streams, and of the per-parent endpoints left out (docs/child-streams.md).

Each child stream's row comes from its row in the catalog
(``servicetitan_catalog.child_streams``): endpoint, parent, key, replication
key, cost (one request per parent, and what a first run over 10,000 parents
takes at the rate limit), OAuth scope. The per-parent endpoints of the API
reference that are not child streams are listed with the reason
(:data:`EXCLUDED`); ``tests/test_child_table.py`` fails when a per-parent
endpoint is neither. Written by ``servicetitan-generate``.
"""

from __future__ import annotations

from servicetitan_catalog.child_streams import CHILD_ROWS, ChildRow
from servicetitan_catalog.reference import endpoints, url_parts
from servicetitan_devtools.doc_sections import markdown_section
from servicetitan_devtools.openapi import endpoint_scope

SECTION = markdown_section("docs/child-streams.md", "child-table")

#: Parents per figure of the cost column, and the request rates it is given at.
PARENTS = 10_000
RATES = (60, 50)

SAME_AS = "the {} `{}` serves the same records under the same scope, one request per page"
GRANDCHILD = "its parent is itself a child ({}), not a stream"

#: Per-parent endpoints (``module/resource``) that are not child streams, and why.
EXCLUDED = {
    "accounting/credit-memos/{id}/items": SAME_AS.format("list", "credit-memos/credit-memo-items"),
    "crm/booking-provider/{booking_provider}/bookings": (
        "no endpoint lists booking providers; the export feed `export/bookings` serves the bookings"
    ),
    "crm/booking-provider/{booking_provider}/bookings/{id}/contacts": (
        "two parent ids; `booking_contacts` reads the same contacts by booking"
    ),
    "crm/contacts/relationships/{relationshipId}": GRANDCHILD.format("a relationship of a contact")
    + "; it lists contacts, which the `contacts` stream serves",
    "crm/contacts/{contactId}/contact-methods": SAME_AS.format("list", "contacts/contact-methods"),
    "crm/customers/{id}/contacts": SAME_AS.format("export feed", "export/customers/contacts")
    + " (deleted contacts included)",
    "crm/locations/{id}/contacts": SAME_AS.format("export feed", "export/locations/contacts")
    + " (deleted contacts included)",
    "jpm/work-breakdown-structure/projects/{projectId}/segments/{segmentId}/items": (
        "two parent ids (a project's segment); `wbs_segment_items` reads segment items by segment"
    ),
    "jpm/work-breakdown-structure/projects/{projectId}/segments/{segmentId}/items/"
    "{segmentItemId}/children": GRANDCHILD.format("a segment item"),
    "jpm/work-breakdown-structure/segments/{segmentId}/items/{segmentItemId}/children": (
        GRANDCHILD.format("a segment item")
    ),
    "payroll/jobs/{job}/splits": SAME_AS.format("export feed", "export/jobs/splits")
    + " (deletions included)",
    "payroll/jobs/{job}/timesheets": SAME_AS.format("export feed", "export/jobs/timesheets")
    + " (deletions included)",
    "pricebook/materialsmarkup/{id}": (
        "one markup by its id, not a collection; the `materials_markup` stream reads them all"
    ),
    "reporting/dynamic-value-sets/{dynamicSetId}": (
        "no endpoint lists dynamic value sets (their ids come from report parameters)"
    ),
    "schedulingpro/routers/{id}/sessions": "no endpoint lists routers",
}


def per_parent_endpoints() -> dict[str, str]:
    """``module/resource`` of every per-parent endpoint of the reference -> its scope, and of
    the child streams' endpoints that answer other than with a page (found in the OpenAPI
    specs: ``jobs/{id}/booked-log``, one record; ``membership-types/{id}/discounts``, an array)."""
    found = {}
    for url, endpoint in endpoints().items():
        if endpoint["kind"] == "per-parent":
            module, _, resource = url_parts(url)
            found[f"{module}/{resource}"] = endpoint["scopes"][0]
    for row in CHILD_ROWS:
        scope = endpoint_scope(row.module, row.path)
        if f"{row.module}/{row.path}" not in found and scope is not None:
            found[f"{row.module}/{row.path}"] = scope
    return found


def duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def first_run_cost() -> str:
    return ", ".join(f"{duration(PARENTS / rate)} at {rate}/s" for rate in RATES)


def replication(row: ChildRow) -> str:
    if row.replication_key is None:
        return "none"
    since = " (`modifiedOnOrAfter`)" if row.takes_modified_since else ""
    return f"`{row.replication_key}`{since}"


def child_rows() -> list[str]:
    rows = []
    for row in sorted(CHILD_ROWS, key=lambda r: r.name):
        keys = ", ".join(f"`{k}`" for k in row.primary_keys)
        active = " (`active=Any`)" if row.takes_active else ""
        rows.append(
            f"| `{row.name}` | `{row.module}/v2/tenant/{{t}}/{row.path}`{active} | "
            f"{row.parent} (`{row.parent_key}`) | {keys} | {replication(row)} | "
            f"`{row.scope}` |"
        )
    return rows


def excluded_rows() -> list[str]:
    scopes = per_parent_endpoints()
    return [
        f"| `{endpoint}` | `{scopes[endpoint]}` | {reason} |"
        for endpoint, reason in sorted(EXCLUDED.items())
    ]


def rendered() -> str:
    lines = [
        "",
        f"{len(CHILD_ROWS)} child streams. Each costs one request per parent visited (one per "
        f"5,000 children of a parent): a first run over {PARENTS:,} parents takes "
        f"{first_run_cost()}. Where the endpoint takes no `modifiedOnOrAfter`, a visit reads "
        "the parent's children whole.",
        "",
        "| stream | endpoint | parent (id in records) | key | replication key | scope |",
        "|---|---|---|---|---|---|",
        *child_rows(),
        "",
        f"Per-parent endpoints that are not child streams ({len(EXCLUDED)}):",
        "",
        "| endpoint | scope | why not |",
        "|---|---|---|",
        *excluded_rows(),
        "",
    ]
    return "\n".join(lines) + "\n"
