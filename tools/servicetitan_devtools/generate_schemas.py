"""Generate the tap's JSON schemas from ServiceTitan's published OpenAPI specs.

The specs are copied into the catalog (``servicetitan_catalog.reference``), read
through :mod:`servicetitan_devtools.openapi`. This module turns the record of
every tap stream's endpoint into
``tap-servicetitan/tap_servicetitan/schemas/<stream>.json``: nested objects and
arrays typed (to a depth limit), money the API sends as decimal strings
declared a number at any depth (the tap converts it exactly), objects open to
properties the spec does not list.

``servicetitan-generate`` writes the schemas (with the rest of what is made
from the catalog). ``servicetitan-schema-drift NEWER`` compares the copy with a
newer spec file or folder of specs (for example a fresh download from
ServiceTitan's developer portal) and lists, per stream, the fields added,
removed or retyped (nested ones as ``items[].total``); exit 1 if any. To take
them: copy the newer specs over ``catalog/servicetitan_catalog/api_reference/openapi/``,
run ``servicetitan-generate``, then refresh the catalog snapshot (``UPDATE_SNAPSHOTS=1``).
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import cache
from pathlib import Path

from servicetitan_catalog.child_streams import CHILD_ROWS, LINE_NUMBER, ChildRow
from servicetitan_catalog.reference import url
from servicetitan_devtools.openapi import Spec, field_types, load_specs, nullable, repository_specs
from tap_servicetitan.streams import TAP_STREAMS

#: The tap's schemas, in the project.
SCHEMAS = "tap-servicetitan/tap_servicetitan/schemas"


@cache
def stream_urls() -> dict[str, str]:
    """Stream name -> the reference URL of its endpoint."""
    return {stream.name: url(stream.module, stream.path) for stream in TAP_STREAMS}


#: Child streams: the endpoint's record plus the parent's id (and a line number).
CHILD_ROWS_BY_NAME = {row.name: row for row in CHILD_ROWS}


def stream_path(stream: str) -> tuple[str, str]:
    """``(module URL path, OpenAPI path)`` of a stream's endpoint."""
    tap_stream = TAP_STREAMS_BY_NAME[stream]
    return tap_stream.module, f"/tenant/{{tenant}}/{tap_stream.path}"


TAP_STREAMS_BY_NAME = {stream.name: stream for stream in TAP_STREAMS}


def record_fields(stream: str, specs: dict[str, Spec] | None = None) -> dict[str, dict] | None:
    """``{field: {"schema", "required"}}`` of a stream's record in ``specs`` (the copy
    by default); None when the specs do not hold its endpoint."""
    specs = repository_specs() if specs is None else specs
    module, path = stream_path(stream)
    spec = specs.get(module)
    tap_stream = TAP_STREAMS_BY_NAME[stream]
    method = tap_stream.request_method.lower()
    fields = spec.record(path, method, tap_stream.records_in) if spec is not None else None
    if fields is None:
        return None
    row = CHILD_ROWS_BY_NAME.get(stream)
    if row is not None:
        fields.update(child_fields(row, specs))
    for name, schema in tap_stream.added_properties.items():
        fields[name] = {"schema": schema, "required": True}
    return fields


def stream_schema(stream: str, specs: dict[str, Spec] | None = None) -> dict:
    """The generated schema of one stream."""
    fields = record_fields(stream, specs)
    if fields is None:
        msg = f"the OpenAPI specs have no GET collection for stream {stream}"
        raise LookupError(msg)
    properties = {}
    required = []
    for name, field in fields.items():
        if field["required"]:
            required.append(name)
            properties[name] = field["schema"]
        else:
            properties[name] = nullable(field["schema"])
    schema: dict = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    # a top-level property the schema does not declare is dropped by the tap with a
    # warning (record_messages.py); nested objects are open
    return schema


def child_fields(row: ChildRow, specs: dict[str, Spec]) -> dict[str, dict]:
    """What a child stream adds to its endpoint's record: the parent's id, typed as the
    parent's ``id``, the parent's fields the request asks with, and for records without
    an id their line number."""
    module, path = stream_path(row.parent)
    parent = repository_specs()[module].record(path)
    added = {row.parent_key: {"schema": parent["id"]["schema"], "required": True}}
    for name in row.parent_params:  # asked with, so never null
        added[name] = {"schema": parent[name]["schema"], "required": True}
    if row.numbered:
        added[LINE_NUMBER] = {"schema": {"type": "integer"}, "required": True}
    return added


def changes(newer: dict[str, Spec]) -> dict[str, list[str]]:
    """Per stream whose module ``newer`` holds: the fields added, removed or retyped."""
    found: dict[str, list[str]] = {}
    for stream in stream_urls():
        module, _ = stream_path(stream)
        if module not in newer:
            continue
        before = field_types(stream_schema(stream))
        fields = record_fields(stream, newer)
        if fields is None:
            found[stream] = ["endpoint removed"]
            continue
        after = field_types(stream_schema(stream, newer))
        lines = [f"added {name}: {after[name]}" for name in after if name not in before]
        lines += [f"removed {name}: {before[name]}" for name in before if name not in after]
        lines += [
            f"retyped {name}: {before[name]} -> {after[name]}"
            for name in before
            if name in after and before[name] != after[name]
        ]
        if lines:
            found[stream] = lines
    return found


def rendered(stream: str) -> str:
    return json.dumps(stream_schema(stream), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="List, per stream, the fields a newer OpenAPI spec adds, removes or retypes."
    )
    parser.add_argument("newer", type=Path, help="a spec file, or a folder of them")
    args = parser.parse_args(argv)
    found = changes(load_specs(args.newer))
    for stream, lines in found.items():
        print(f"{stream}:")
        for line in lines:
            print(f"  {line}")
    if not found:
        print("no stream's fields differ")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
