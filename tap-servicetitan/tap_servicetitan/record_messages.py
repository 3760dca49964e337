"""RECORD messages without walking every record against the catalog: the second
use of singer-sdk internals.

For each record singer-sdk's ``Stream._generate_record_messages`` removes the
deselected properties by walking the record, nested objects included, against
the selection mask, then conforms its values to the schema. Profiled on the
sandbox, those two steps took 58% of the tap's CPU, for records that arrive
as JSON already typed as the schemas say and, usually, with every property
selected.

:class:`RecordShaper` does the same work once per stream instead of once per
record: it computes which top-level properties a record may keep (in the
schema and selected) and drops any other with one set operation per record,
warning once per stream and field about properties the schema does not know
(schema drift), naming the command that regenerates the schemas. Only when
the catalog deselects a nested property does it
hand the record to singer-sdk's own step. Before either, it stamps the record
with the tenant it was read from (``tenant_id``, tenant.py). Type conformance stays off
(``TYPE_CONFORMANCE_LEVEL = NONE``): JSON values need none.

The stream's override of ``_generate_record_messages`` (private) calls
:meth:`RecordShaper.messages`, which reads ``Stream._stream_version``
(private) as singer-sdk does. ``tests/test_sdk_surface.py`` fails if a
singer-sdk upgrade changes either.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from singer_sdk.singerlib import RecordMessage

from tap_servicetitan.tenant import TENANT_FIELD, tenant_of

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from singer_sdk import Stream

TOP_LEVEL = 2  # a top-level property's breadcrumb: ("properties", name)


class RecordShaper:
    """What a stream's records keep, computed once from its schema and selection."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        mask = stream.mask
        deselected = [crumb for crumb, selected in mask.items() if crumb and not selected]
        #: Nested deselections need singer-sdk's walk of every record.
        self.walk = any(len(crumb) > TOP_LEVEL for crumb in deselected)
        self.known = frozenset(stream.effective_schema.get("properties", {}))
        self.kept = self.known - {crumb[1] for crumb in deselected if len(crumb) == TOP_LEVEL}
        self.tenant_id = tenant_of(stream.config)
        self._warned: set[str] = set()

    def messages(
        self,
        record: dict[str, t.Any],
        sdk_messages: Callable[[dict[str, t.Any]], Iterable[RecordMessage]],
    ) -> Iterable[RecordMessage]:
        """The RECORD messages of one record: one per stream map that keeps it.

        ``sdk_messages`` is singer-sdk's own step, used when the catalog
        deselects nested properties.
        """
        record[TENANT_FIELD] = self.tenant_id
        if not self.kept.issuperset(record):
            self._drop_others(record)
        if self.walk:
            return sdk_messages(record)
        return self._messages(record)

    def _messages(self, record: dict[str, t.Any]) -> Iterator[RecordMessage]:
        stream = self.stream
        extracted_at = dt.datetime.now(dt.timezone.utc)
        for stream_map in stream.stream_maps:
            mapped = stream_map.transform(record)
            if mapped is not None:
                yield RecordMessage(
                    stream=stream_map.stream_alias,
                    record=mapped,
                    version=stream._stream_version,  # private: see the module docstring
                    time_extracted=extracted_at,
                )

    def _drop_others(self, record: dict[str, t.Any]) -> None:
        others = [name for name in record if name not in self.kept]
        for name in others:
            del record[name]
        unknown = set(others) - self.known - self._warned
        for name in sorted(unknown):
            self._warned.add(name)
            self.stream.logger.warning(
                "Schema drift: ServiceTitan sent the field '%s' in the '%s' stream, which its "
                "schema does not declare; it is not loaded. Run servicetitan-generate "
                "after updating the API reference to add it.",
                name,
                self.stream.name,
            )
