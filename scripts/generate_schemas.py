"""Generate the tap's JSON schemas from the API field reference.

The reference (``../shared/servicetitan-api/*.md``) lists, per export endpoint,
every field of its record with type, nullability and requiredness. This script
turns each export record into a JSON schema file under
``tap-servicetitan/tap_servicetitan/schemas/<stream>.json``.

Usage: ``python scripts/generate_schemas.py [API_DOCS_DIR]``
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DOCS = ROOT.parent / "shared" / "servicetitan-api"
OUT_DIR = ROOT / "tap-servicetitan" / "tap_servicetitan" / "schemas"

# stream name -> (reference file, export resource)
STREAMS = {
    "customers": ("crm-v2.md", "export/customers"),
    "customer_contacts": ("crm-v2.md", "export/customers/contacts"),
    "locations": ("crm-v2.md", "export/locations"),
    "location_contacts": ("crm-v2.md", "export/locations/contacts"),
    "jobs": ("jpm-v2.md", "export/jobs"),
    "appointments": ("jpm-v2.md", "export/appointments"),
    "invoices": ("accounting-v2.md", "export/invoices"),
    "estimates": ("salestech-v2.md", "export/estimates"),
    "technicians": ("settings-v2.md", "export/technicians"),
}

# Money the API sends as decimal strings; the tap emits them as exact JSON numbers.
DECIMAL_STRINGS = {
    "invoices": {"subTotal", "salesTax", "total", "balance", "discountTotal"},
}

SCALARS = {
    "int64": {"type": "integer"},
    "int32": {"type": "integer"},
    "bool": {"type": "boolean"},
    "decimal": {"type": "number"},
    "double": {"type": "number"},
    "string(date-time)": {"type": "string", "format": "date-time"},
}

ROW = re.compile(r"^\| (\w+) \| (.+?) \| (yes)? *\| (yes)? *\|$")


def endpoint_section(text: str, resource: str) -> str:
    """Return the markdown section of ``GET /tenant/{tenant}/<resource>``."""
    marker = f"## GET /tenant/{{tenant}}/{resource}\n"
    start = text.index(marker)
    end = text.find("\n## ", start + len(marker))
    return text[start : end if end != -1 else None]


def tables(section: str) -> dict[str, list[tuple[str, str, bool, bool]]]:
    """Map each ``#### record/object NAME`` of a section to its rows."""
    found: dict[str, list[tuple[str, str, bool, bool]]] = {}
    current: list[tuple[str, str, bool, bool]] | None = None
    for line in section.splitlines():
        if line.startswith("#### "):
            kind, name = line[5:].split(" ", 1)
            current = found.setdefault("__record__" if kind == "record" else name, [])
            continue
        match = ROW.match(line)
        if current is not None and match and match.group(1) != "field":
            field, typ, nullable, required = match.groups()
            current.append((field, typ.strip(), bool(nullable), bool(required)))
    return found


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


def nullable(schema: dict) -> dict:
    schema = dict(schema)
    schema["type"] = [schema["type"], "null"]
    return schema


def object_schema(rows: list, objects: dict, decimal_strings: frozenset = frozenset()) -> dict:
    properties = {}
    required = []
    for field, typ, is_nullable, is_required in rows:
        schema = {"type": "number"} if field in decimal_strings else type_schema(typ, objects)
        if is_nullable or not is_required:
            schema = nullable(schema)
        if is_required and not is_nullable:
            required.append(field)
        properties[field] = schema
    schema: dict = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def main() -> None:
    docs = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DOCS
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for stream, (filename, resource) in STREAMS.items():
        section = endpoint_section((docs / filename).read_text(), resource)
        found = tables(section)
        rows = found.pop("__record__")
        schema = object_schema(rows, found, frozenset(DECIMAL_STRINGS.get(stream, ())))
        path = OUT_DIR / f"{stream}.json"
        path.write_text(json.dumps(schema, indent=2) + "\n")
        print(f"{path.relative_to(ROOT)}: {len(rows)} fields")


if __name__ == "__main__":
    main()
