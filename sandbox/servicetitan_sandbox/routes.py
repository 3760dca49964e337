"""The route table: which endpoint serves which stream, and with which scope."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .children import CHILD_SCOPES

if TYPE_CHECKING:
    from .faults import Response
    from .protocol import Request


@dataclass
class Route:
    module: str
    pattern: str  # resource, with {id} for a path id
    scope: str
    handler: Callable[[Request], Response]
    regex: re.Pattern | None = None
    key: str = ""
    method: str = "GET"
    wrapped: Callable[[Request], Response] | None = field(default=None, repr=False)


# which export feed serves which stream, and its scope
EXPORTS = {
    "customers": ("crm", "export/customers", "tn.crm.customers:r"),
    "customer_contacts": ("crm", "export/customers/contacts", "tn.crm.customers:r"),
    "locations": ("crm", "export/locations", "tn.crm.locations:r"),
    "location_contacts": ("crm", "export/locations/contacts", "tn.crm.locations:r"),
    "jobs": ("jpm", "export/jobs", "tn.jpm.jobs:r"),
    "appointments": ("jpm", "export/appointments", "tn.jpm.appointments:r"),
    "invoices": ("accounting", "export/invoices", "tn.acc.invoices:r"),
    "estimates": ("sales", "export/estimates", "tn.sal.estimates:r"),
    "technicians": ("settings", "export/technicians", "tn.stt.technicians:r"),
}

ALL_SCOPES = frozenset(v[2] for v in EXPORTS.values()) | CHILD_SCOPES

#: Endpoints the hand-written dataset serves (``module/resource``): the export
#: feeds above and the list endpoints of the same streams.
CORE_ENDPOINTS = frozenset(
    [f"{module}/{resource}" for module, resource, _ in EXPORTS.values()]
    + [
        "crm/customers",
        "crm/locations",
        "crm/customers/contacts",
        "crm/locations/contacts",
        "jpm/jobs",
        "jpm/appointments",
        "accounting/invoices",
        "sales/estimates",
        "settings/technicians",
    ]
)
