"""The tenant travels with every record: ``tenant_id`` in every stream's schema and record.

Raw tables then say which tenant each row came from, and the st_* models take
the tenant from the rows rather than from a setting of their own. Both halves
live in the base stream (``client.py``) and the per-record step
(``record_messages.py``), so every stream gets them without declaring anything.
"""

from __future__ import annotations

import typing as t

from singer_sdk.schema.source import StreamSchema
from typing_extensions import override

if t.TYPE_CHECKING:
    from singer_sdk import Stream

#: The property every record carries: the ServiceTitan tenant it was read from.
TENANT_FIELD = "tenant_id"
TENANT_PROPERTY = {
    "type": ["integer"],
    "description": "The ServiceTitan tenant the record was read from (added by the tap).",
}


def with_tenant(schema: dict[str, t.Any]) -> dict[str, t.Any]:
    """A copy of a stream schema with the ``tenant_id`` property added."""
    return {**schema, "properties": {**schema.get("properties", {}), TENANT_FIELD: TENANT_PROPERTY}}


class TenantStreamSchema(StreamSchema):
    """singer-sdk's schema descriptor, adding ``tenant_id`` to the schema it loads.

    The loaded schema is cached by the schema source; the copy with the tenant
    is cached here, one per stream name.
    """

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._with_tenant: dict[str, dict[str, t.Any]] = {}

    @override
    def get_stream_schema(self, stream: Stream, stream_class: type[Stream]) -> dict[str, t.Any]:
        name = self.key or stream.name
        if name not in self._with_tenant:
            self._with_tenant[name] = with_tenant(super().get_stream_schema(stream, stream_class))
        return self._with_tenant[name]


def tenant_of(config: t.Mapping[str, t.Any]) -> int | None:
    """The tenant id of the tap's settings as an integer; None when not a number.

    The settings checks (config.py) reject a non-numeric tenant id before any
    record is read; discovery alone does not need one.
    """
    value = str(config.get("tenant_id") or "").strip()
    return int(value) if value.isdigit() else None
