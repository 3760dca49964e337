"""Generate the preflight check's table of one cheap endpoint per OAuth scope.

The preflight proves a scope is granted with one request to a list endpoint
that needs that scope, asking for one record (``pageSize=1``). This module picks,
from the API reference (``servicetitan_catalog.reference``), the simplest such
endpoint for every scope: a list endpoint (never an export feed) with a
``pageSize`` parameter, no path parameter other than the tenant and no query
parameter the OpenAPI specs say is required (a report's ``fromUtc``/``toUtc``,
which a probe of one record does not send), fewest path segments first. Scopes
without one are left out; the preflight then relies on the scopes the token names.

Written by ``servicetitan-generate``.
"""

from __future__ import annotations

import json
import re

from servicetitan_catalog.reference import endpoints
from servicetitan_devtools.openapi import repository_specs

#: The preflight's table, in the project.
PATH = "preflight/servicetitan_preflight/probe_endpoints.json"


#: ``/<module>/<version>/tenant/{tenant}/<resource>``
ENDPOINT_URL = re.compile(r"^/[^/]+/v\d+/tenant/\{tenant\}/(?P<resource>.+)$")


def cheap_resource(endpoint: dict) -> str | None:
    """The endpoint's resource path if one page of one record is all it costs."""
    match = ENDPOINT_URL.match(endpoint["url"])
    if not match or endpoint["kind"] != "list" or "pageSize" not in endpoint["query"]:
        return None
    resource = match["resource"]
    if "{" in resource or required_query(endpoint["url"]):
        return None
    return resource


def required_query(url: str) -> list[str]:
    """The query parameters the OpenAPI specs say the GET at ``url`` requires."""
    module, _, rest = url.lstrip("/").partition("/")
    spec = repository_specs().get(module)
    path = "/tenant/{tenant}/" + rest.split("/tenant/{tenant}/", 1)[1]
    for prefix in ("", "/v2"):
        operation = spec.document["paths"].get(prefix + path, {}).get("get") if spec else None
        if operation is not None:
            parameters = operation.get("parameters", ())
            return [p["name"] for p in parameters if p.get("in") == "query" and p.get("required")]
    return []


def probe_endpoints() -> dict[str, str]:
    """Scope -> URL template (``/crm/v2/tenant/{tenant}/customers``) of its cheapest endpoint."""
    best: dict[str, tuple[tuple[int, int, str], str]] = {}
    for url, endpoint in endpoints().items():
        resource = cheap_resource(endpoint)
        if resource is None:
            continue
        rank = (resource.count("/"), len(resource), resource)
        for scope in endpoint["scopes"]:
            if scope not in best or rank < best[scope][0]:
                best[scope] = (rank, url)
    return {scope: best[scope][1] for scope in sorted(best)}


def rendered() -> str:
    return json.dumps(probe_endpoints(), indent=2) + "\n"
