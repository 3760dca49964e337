"""ServiceTitan's API reference: a copy of its published OpenAPI specs, and their digest.

``api_reference/openapi/<module>-v2.json`` are ServiceTitan's own specs, one
per API module (third-party text, copied as data). ``api_reference/endpoints.json``
is their digest, machine-readable: per collection endpoint its module, URL,
kind (export, list, per-parent), scopes, query parameters and every field of
its records, with their types. The repository's tools generate the tap's
schemas and the preflight's probe table from them; the sandbox serves records
shaped by them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path

#: ``/<module path>/<version>/tenant/{tenant}/<resource>``
ENDPOINT_URL = re.compile(
    r"^/(?P<module>[^/]+)/(?P<version>v\d+)/tenant/\{tenant\}/(?P<resource>.+)$"
)

#: Reference types that are JSON numbers.
NUMBER_TYPES = frozenset({"decimal", "double"})


#: The folder of the reference's files, in this package.
FOLDER = resources.files(__package__).joinpath("api_reference")


@cache
def endpoints() -> dict[str, dict]:
    """Every endpoint of the reference, keyed by URL (``/crm/v2/tenant/{tenant}/customers``)."""
    text = FOLDER.joinpath("endpoints.json").read_text(encoding="utf-8")
    return {endpoint["url"]: endpoint for endpoint in json.loads(text)}


def openapi_dir() -> Path:
    """The folder of ServiceTitan's OpenAPI specs, one file per API module."""
    return Path(str(FOLDER.joinpath("openapi")))


def url(module: str, resource: str) -> str:
    """The reference's URL of a v2 endpoint: ``url("crm", "customers")`` is
    ``/crm/v2/tenant/{tenant}/customers``."""
    return f"/{module}/v2/tenant/{{tenant}}/{resource}"


def url_parts(url: str) -> tuple[str, str, str]:
    """``(module path, version, resource)`` of a reference URL."""
    match = ENDPOINT_URL.match(url)
    if match is None:
        msg = f"not a tenant endpoint URL: {url}"
        raise ValueError(msg)
    return match["module"], match["version"], match["resource"]


def _last_word(name: str) -> str:
    words = re.findall(r"[A-Z]?[a-z0-9]+", name)
    return words[-1].lower() if words else name.lower()


@cache
def _module_number_names() -> dict[str, frozenset[str]]:
    """Per API module, the (lower-cased) names of fields the reference types as numbers."""
    names: dict[str, set[str]] = {}
    for endpoint in endpoints().values():
        module = names.setdefault(endpoint["module"], set())
        for fields in (endpoint["fields"], *(endpoint.get("objects") or {}).values()):
            module.update(n.lower() for n, spec in fields.items() if spec["type"] in NUMBER_TYPES)
    return {module: frozenset(found) for module, found in names.items()}


def decimal_string_fields(url: str) -> frozenset[str]:
    """Top-level fields of an endpoint's records that carry money as decimal strings.

    The reference types them ``string``; what gives them away is the rest of
    the same API module, where the same quantity is a number: a ``string``
    field is a decimal string when its name, or its name's last word
    (``discountTotal`` -> ``total``, ``billAmount`` -> ``amount``), is a
    ``decimal`` or ``double`` field elsewhere in its module.
    """
    endpoint = endpoints()[url]
    numbers = _module_number_names()[endpoint["module"]]
    return frozenset(
        name
        for name, spec in endpoint["fields"].items()
        if spec["type"] == "string" and (name.lower() in numbers or _last_word(name) in numbers)
    )
