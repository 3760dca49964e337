"""ServiceTitan's published OpenAPI specs, as the tap's schemas read them.

``servicetitan_catalog/api_reference/openapi/<module>.json`` (the catalog) is a copy of the
24 OpenAPI 3 specs ServiceTitan publishes, one per API module. This module
finds the record schema of a tap stream's endpoint in them (the items of the
answer's ``data`` array) and turns it into the JSON schema the tap declares:

- nested objects and arrays of objects carry their properties, down to
  :data:`MAX_DEPTH` levels of nesting (a shape nested deeper, or one that
  contains itself, is declared an object with no properties);
- every nested object admits properties it does not declare (``additionalProperties``
  is left open), so a field ServiceTitan adds never fails a Singer target;
- money, which the specs declare as strings (the API sends decimal strings),
  is declared a number, nested or not, the way the tap emits it: a ``string``
  field is money when its name, or its name's last word (``discountTotal`` ->
  ``total``), is a number field elsewhere in the same API module;
- a top-level property admits null unless the spec says it is required and
  not nullable; nested properties always admit null (the specs' ``required``
  lists below the top level are not what the API sends).

``servicetitan-schema-drift NEWER`` compares the copy with a newer
spec file (or folder of them) through :func:`field_types`.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from servicetitan_catalog.reference import openapi_dir

#: Levels of nested objects below a record that keep their properties.
MAX_DEPTH = 4

OPEN_OBJECT = {"type": "object", "properties": {}, "additionalProperties": True}


class Spec:
    """One API module's OpenAPI spec."""

    def __init__(self, document: dict) -> None:
        self.document = document
        self.components = document.get("components", {}).get("schemas", {})
        self.numbers = self._number_names()

    @property
    def module(self) -> str:
        """The module's URL path (``accounting``, ``equipmentsystems``), from its server URL."""
        url = self.document["servers"][0]["url"].rstrip("/")
        parts = url.split("/")
        return parts[-2] if re.fullmatch(r"v\d+", parts[-1]) else parts[-1]

    def _number_names(self) -> frozenset[str]:
        names = set()
        for schema in self.components.values():
            for name, prop in (schema.get("properties") or {}).items():
                if "number" in _types(prop):
                    names.add(name.lower())
        return frozenset(names)

    def is_money(self, name: str, prop: dict) -> bool:
        words = re.findall(r"[A-Z]?[a-z0-9]+", name)
        last = words[-1].lower() if words else name.lower()
        resolved = self.resolve(prop)
        return (
            _types(resolved) - {"null"} == {"string"}
            and not resolved.get("enum")
            and (name.lower() in self.numbers or last in self.numbers)
        )

    def resolve(self, prop: dict) -> dict:
        """A property schema without its ``$ref`` or ``oneOf [X, null]`` wrapping."""
        if "$ref" in prop:
            return self.components.get(prop["$ref"].rsplit("/", 1)[-1], {})
        variants = prop.get("oneOf") or prop.get("anyOf") or prop.get("allOf")
        if variants:
            real = [v for v in variants if v.get("type") != "null"]
            if len(real) == 1:
                return self.resolve(real[0])
        return prop

    def ref_name(self, prop: dict) -> str | None:
        if "$ref" in prop:
            return prop["$ref"].rsplit("/", 1)[-1]
        variants = prop.get("oneOf") or prop.get("anyOf") or prop.get("allOf") or []
        real = [v for v in variants if v.get("type") != "null"]
        return self.ref_name(real[0]) if len(real) == 1 else None

    def record_schema(
        self, path: str, method: str = "get", records_in: str = "data"
    ) -> dict | None:
        """The schema (unresolved) of a record of the endpoint at ``path``.

        ``records_in`` says where its answer holds the records (the tap's
        ``pagination.py``): a property's list (``data`` of a page), ``""`` for an
        answer that is one record, ``"[]"`` for a JSON array of records.
        """
        for prefix in ("", "/v2"):
            operation = self.document["paths"].get(f"{prefix}{path}", {}).get(method)
            if operation is None:
                continue
            answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
            if records_in == "":
                return answer
            if records_in == "[]":
                return self.resolve(answer).get("items")
            data = self.resolve(answer).get("properties", {}).get(records_in)
            if data is not None:
                return self.resolve(data).get("items", data)
        return None

    def scope(self, path: str, method: str = "get") -> str | None:
        """The OAuth scope of the endpoint at ``path``."""
        for prefix in ("", "/v2"):
            operation = self.document["paths"].get(f"{prefix}{path}", {}).get(method)
            if operation is None:
                continue
            for requirement in operation.get("security", ()):
                if requirement.get("oauth"):
                    return requirement["oauth"][0]
        return None

    # JSON schema of the tap

    def schema(self, prop: dict, depth: int, seen: tuple[str, ...]) -> dict:
        """The tap's JSON schema (without nullability) of one property."""
        ref = self.ref_name(prop)
        resolved = self.resolve(prop)
        kinds = _types(resolved) - {"null"}
        if "array" in kinds:
            return {"type": "array", "items": self.schema(resolved.get("items", {}), depth, seen)}
        if "object" in kinds or resolved.get("properties"):
            if ref in seen or depth >= MAX_DEPTH or not resolved.get("properties"):
                return dict(OPEN_OBJECT)
            return self.object_schema(resolved, depth + 1, (*seen, ref) if ref else seen)
        if kinds == {"integer"}:
            return {"type": "integer"}
        if kinds == {"number"}:
            return {"type": "number"}
        if kinds == {"boolean"}:
            return {"type": "boolean"}
        if kinds == {"string"} and resolved.get("format") == "date-time":
            return {"type": "string", "format": "date-time"}
        if not kinds and not resolved.get("enum"):
            return {}  # any JSON value
        return {"type": "string"}

    def object_schema(self, resolved: dict, depth: int, seen: tuple[str, ...]) -> dict:
        """A nested object: every property admits null, others are admitted too."""
        properties = {}
        for name, prop in resolved["properties"].items():
            schema = (
                {"type": "number"} if self.is_money(name, prop) else self.schema(prop, depth, seen)
            )
            properties[name] = _nullable(schema)
        return {"type": "object", "properties": properties, "additionalProperties": True}

    def record(
        self, path: str, method: str = "get", records_in: str = "data"
    ) -> dict[str, dict] | None:
        """``{field: (schema, required)}`` of a record at ``path``'s top level."""
        record = self.record_schema(path, method, records_in)
        if record is None:
            return None
        ref = self.ref_name(record)
        resolved = self.resolve(record)
        required = set(resolved.get("required", ()))
        fields = {}
        for name, prop in (resolved.get("properties") or {}).items():
            schema = (
                {"type": "number"}
                if self.is_money(name, prop)
                else self.schema(prop, 0, (ref,) if ref else ())
            )
            nullable = "null" in _types(prop) or _is_nullable_variant(prop)
            fields[name] = {"schema": schema, "required": name in required and not nullable}
        return fields


def _types(prop: dict) -> frozenset[str]:
    kind = prop.get("type", ())
    return frozenset((kind,) if isinstance(kind, str) else kind)


def _is_nullable_variant(prop: dict) -> bool:
    variants = prop.get("oneOf") or prop.get("anyOf") or []
    return any(v.get("type") == "null" for v in variants)


def _nullable(schema: dict) -> dict:
    if "type" not in schema:
        return schema
    return {**schema, "type": [schema["type"], "null"]}


def nullable(schema: dict) -> dict:
    """``schema`` admitting null as well."""
    return _nullable(schema)


def load_specs(where: Path) -> dict[str, Spec]:
    """The specs in a file or folder, by module URL path."""
    files = sorted(where.glob("*.json")) if where.is_dir() else [where]
    specs = {}
    for path in files:
        spec = Spec(json.loads(path.read_text(encoding="utf-8")))
        specs[spec.module] = spec
    return specs


@cache
def repository_specs() -> dict[str, Spec]:
    """The copy in the catalog (servicetitan_catalog.reference), by module URL path."""
    return load_specs(openapi_dir())


def endpoint_scope(module: str, resource: str, method: str = "GET") -> str | None:
    """The OAuth scope of ``module/resource`` in the copy of the specs; None if it has none."""
    spec = repository_specs().get(module)
    return spec.scope(f"/tenant/{{tenant}}/{resource}", method.lower()) if spec else None


def field_types(schema: dict, prefix: str = "") -> dict[str, str]:
    """Every field of a schema, nested ones as dotted paths (``items[].total``), with its type."""
    found = {}
    for name, prop in (schema.get("properties") or {}).items():
        path = f"{prefix}{name}"
        kinds = sorted(_types(prop) - {"null"})
        kind = "/".join(kinds) or "any"
        if prop.get("format"):
            kind += f"({prop['format']})"
        found[path] = kind
        if "array" in kinds:
            found.update(field_types(prop.get("items", {}), f"{path}[]."))
        elif "object" in kinds:
            found.update(field_types(prop, f"{path}."))
    return found
