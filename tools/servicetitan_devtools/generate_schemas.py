"""Generate the tap's JSON schemas from the API reference.

The reference (``servicetitan_sandbox/endpoints.json``, read through
:mod:`servicetitan_sandbox.reference`) is ServiceTitan's endpoint reference,
machine-readable: per endpoint its module, URL, kind, scopes, query parameters
and every field of its records. This module turns the record of every tap
stream's endpoint into ``tap-servicetitan/tap_servicetitan/schemas/<stream>.json``,
with the reference's types; money the API sends as decimal strings is declared
a number (the tap converts it exactly).

Usage: ``servicetitan-generate-schemas [--check]``
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import cache
from pathlib import Path

from servicetitan_sandbox.reference import decimal_string_fields, endpoints
from tap_servicetitan.children import LINE_NUMBER
from tap_servicetitan.streams import TAP_STREAMS
from tap_servicetitan.streams.children import CHILD_ROWS, ChildRow

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS_DIR = ROOT / "tap-servicetitan" / "tap_servicetitan" / "schemas"


@cache
def stream_urls() -> dict[str, str]:
    """Stream name -> the reference URL of its endpoint."""
    return {
        stream.name: f"/{stream.module}/v2/tenant/{{tenant}}/{stream.path}"
        for stream in TAP_STREAMS
    }


#: Child streams: the endpoint's record plus the parent's id (and a line number).
CHILD_ROWS_BY_NAME = {row.name: row for row in CHILD_ROWS}


def reference() -> dict[str, dict]:
    """The endpoint reference, keyed by URL."""
    return endpoints()


SCALARS = {
    "int64": {"type": "integer"},
    "int32": {"type": "integer"},
    "bool": {"type": "boolean"},
    "decimal": {"type": "number"},
    "double": {"type": "number"},
    "string(date-time)": {"type": "string", "format": "date-time"},
}


def type_schema(typ: str, objects: dict) -> dict:
    """JSON schema (without nullability) of one reference type."""
    if typ.startswith("[") and typ.endswith("]"):
        return {"type": "array", "items": type_schema(typ[1:-1], objects)}
    if typ in SCALARS:
        return dict(SCALARS[typ])
    if typ.startswith("object "):
        name = typ.split(" ", 1)[1]
        if name in objects:
            return object_schema(objects[name], objects)
        # shape not documented: kept whole as JSON
        return {"type": "object", "properties": {}, "additionalProperties": True}
    # string, string(html|email|phone|duration|multiline|guid), enum(...)
    return {"type": "string"}


def object_schema(fields: dict, objects: dict, decimal_strings: frozenset = frozenset()) -> dict:
    """JSON schema of a record or nested object; optional or nullable fields admit null."""
    properties = {}
    required = []
    for name, spec in fields.items():
        schema = (
            {"type": "number"} if name in decimal_strings else type_schema(spec["type"], objects)
        )
        if spec["nullable"] or not spec["required"]:
            schema["type"] = [schema["type"], "null"]
        if spec["required"] and not spec["nullable"]:
            required.append(name)
        properties[name] = schema
    schema: dict = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def stream_schema(stream: str) -> dict:
    """The generated schema of one stream."""
    url = stream_urls()[stream]
    endpoint = reference()[url]
    fields = dict(endpoint["fields"])
    row = CHILD_ROWS_BY_NAME.get(stream)
    if row is not None:
        fields.update(child_fields(row))
    return object_schema(fields, endpoint.get("objects") or {}, decimal_string_fields(url))


def child_fields(row: ChildRow) -> dict[str, dict]:
    """What a child stream adds to its endpoint's record: the parent's id, typed as the
    parent's ``id``, and for records without an id their line number."""
    parent_id = reference()[stream_urls()[row.parent]]["fields"]["id"]
    added = {row.parent_key: {"type": parent_id["type"], "nullable": False, "required": True}}
    if row.numbered:
        added[LINE_NUMBER] = {"type": "int32", "nullable": False, "required": True}
    return added


def rendered(stream: str) -> str:
    return json.dumps(stream_schema(stream), indent=2) + "\n"


def stale_schemas() -> list[str]:
    """Streams whose committed schema differs from a fresh generation."""
    return [
        stream
        for stream in stream_urls()
        if not (SCHEMAS_DIR / f"{stream}.json").is_file()
        or (SCHEMAS_DIR / f"{stream}.json").read_text() != rendered(stream)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a committed schema is stale"
    )
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_schemas()
        for stream in stale:
            print(f"stale schema: {stream} (run servicetitan-generate-schemas)")
        return 1 if stale else 0
    SCHEMAS_DIR.mkdir(parents=True, exist_ok=True)
    for stream, url in stream_urls().items():
        path = SCHEMAS_DIR / f"{stream}.json"
        path.write_text(rendered(stream))
        print(f"{path.relative_to(ROOT)}: {len(reference()[url]['fields'])} fields")
    return 0


if __name__ == "__main__":
    sys.exit(main())
