"""The route table: which endpoint serves which stream, and with which scope."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from servicetitan_catalog.streams import STREAMS

from .child_records import CHILD_SCOPES

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


#: The core streams' export feeds (servicetitan_catalog.streams): stream -> (module, resource, scope).
EXPORTS = {
    stream.name: (stream.module, stream.path, stream.scope) for stream in STREAMS if stream.core
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
