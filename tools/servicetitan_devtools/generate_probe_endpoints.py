"""Generate the preflight check's table of one cheap endpoint per OAuth scope.

The preflight proves a scope is granted with one request to a list endpoint
that needs that scope, asking for one record (``pageSize=1``). This module picks,
from the API reference beside it (``reference/endpoints.json``), the simplest such
endpoint for every scope: a list endpoint (never an export feed) with a
``pageSize`` parameter, no path parameter other than the tenant and no query
parameter the OpenAPI specs say is required (a report's ``fromUtc``/``toUtc``,
which a probe of one record does not send), fewest path segments first. Scopes
without one are left out; the preflight then relies on the scopes the token names.

Usage: ``servicetitan-generate-probe-endpoints [--check]``
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from servicetitan_devtools.generate_schemas import reference
from servicetitan_devtools.openapi import repository_specs
from servicetitan_orchestration.project import one_line_outside_a_project, project_dir


def table_path() -> Path:
    """The preflight's table in the project (SERVICETITAN_PROJECT_DIR, else the current directory)."""
    return project_dir() / "preflight" / "servicetitan_preflight" / "probe_endpoints.json"


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
    for url, endpoint in reference().items():
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


def is_stale() -> bool:
    table = table_path()
    return not table.exists() or table.read_text(encoding="utf-8") != rendered()


@one_line_outside_a_project
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the committed table differs"
    )
    args = parser.parse_args(argv)
    if args.check:
        if is_stale():
            sys.stderr.write(
                f"{table_path()} is stale: run servicetitan-generate-probe-endpoints\n"
            )
            sys.exit(1)
        return
    table = table_path()
    table.write_text(rendered(), encoding="utf-8")
    sys.stdout.write(f"wrote {len(probe_endpoints())} scopes to {table}\n")


if __name__ == "__main__":
    main()
