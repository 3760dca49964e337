"""What record reconciliation needs of the sandbox: list endpoints that count an export's records.

In ServiceTitan an export feed and the list endpoint of the same resource
(``crm/export/bookings`` and ``crm/bookings``) serve the same records; a list
endpoint's ``includeTotal`` is how a client learns how many records its
export feed should deliver. The generated collections (generic_records.py)
are built one per endpoint, so :func:`paired_list_routes` makes each such list
endpoint serve its export feed's collection instead (paging, ``active``,
``ids`` and the date bounds as for any list endpoint). No stream of the tap
reads these list endpoints: they only count.

:meth:`~.server.SandboxServer.hide_from_export` is the fault the reconciliation
check exists for: an export feed that silently skips records its list endpoint
still counts.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable

from .generic_records import Collection, is_export
from .generic_routes import handler

if t.TYPE_CHECKING:
    from .faults import Response
    from .generic_routes import SandboxServer
    from .protocol import Request

EXPORT = "/export/"


class ListView:
    """A list endpoint over another collection's records (the export feed's)."""

    def __init__(self, records: Collection, endpoint: dict) -> None:
        self._records = records
        self.endpoint = endpoint
        self.name = records.name
        self.keys = records.keys

    def in_key_order(self) -> list[dict]:
        return self._records.in_key_order()


def paired_list_routes(
    server: SandboxServer,
) -> list[tuple[str, str, str, Callable[[Request], Response]]]:
    """``(module, resource, scope, handler)`` of every list endpoint paired with an export feed."""
    collections = server.generic.collections
    routes = []
    for name, export in collections.items():
        if EXPORT not in name or not is_export(export.endpoint):
            continue
        module, resource = name.split(EXPORT, 1)
        listing = collections.get(f"{module}/{resource}")
        if listing is None or is_export(listing.endpoint):
            continue
        view = ListView(export, listing.endpoint)
        scope = listing.endpoint["scopes"][0]
        routes.append((module, resource, scope, handler(server, view)))  # type: ignore[arg-type]
    return routes
