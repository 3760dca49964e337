"""The stream factory: a stream is one declarative row of its API module's table.

Each ``streams/<module>.py`` builds its :class:`Module` and declares its
streams with :meth:`Module.export` (an export feed, incremental by its
``continueFrom`` resume point) or :meth:`Module.listing` (a list endpoint,
incremental by ``modifiedOnOrAfter`` or read whole). The row names the
stream, the endpoint's resource path, its OAuth scope, and where they differ
from the usual the key, the replication key and the ``active`` filter; the
schema is ``schemas/<name>.json``, generated from the API reference.
"""

from __future__ import annotations

import typing as t

from tap_servicetitan.client import ExportStream, ListStream, ServiceTitanStream

#: The key of almost every ServiceTitan record.
ID = ("id",)

S = t.TypeVar("S", bound=ServiceTitanStream)


class Module:
    """One API module (``{api_url}/{path}/v2/tenant/{tenant}/``): the factory of its streams."""

    def __init__(self, path: str) -> None:
        self.path = path

    def export(
        self,
        name: str,
        resource: str,
        *,
        scope: str,
        keys: tuple[str, ...] = ID,
        replication_key: str | None = "modifiedOn",
        active: bool = False,
    ) -> type[ExportStream]:
        """An export feed: every record, deletions included, resumed by ``continueFrom``.

        ``replication_key`` is the bookmark users see (``createdOn`` for logs
        whose entries never change, None where records carry no date).
        """
        return self._stream(
            ExportStream, name, resource, scope, keys, replication_key, active=active
        )

    def listing(
        self,
        name: str,
        resource: str,
        *,
        scope: str,
        keys: tuple[str, ...] = ID,
        incremental: bool = False,
        active: bool = False,
        surrogate_basis: tuple[str, ...] = (),
    ) -> type[ListStream]:
        """A list endpoint: ``incremental`` by ``modifiedOnOrAfter``, else read whole each run.

        ``active``: the endpoint takes an ``active`` filter, so the stream asks for ``Any``.
        ``surrogate_basis``: what identifies a record whose key field is null (client.py).
        """
        replication_key = "modifiedOn" if incremental else None
        stream = self._stream(
            ListStream, name, resource, scope, keys, replication_key, active=active
        )
        stream.surrogate_basis = surrogate_basis
        return stream

    def _stream(
        self,
        base: type[S],
        name: str,
        resource: str,
        scope: str,
        keys: tuple[str, ...],
        replication_key: str | None,
        *,
        active: bool,
    ) -> type[S]:
        class_name = "".join(word.title() for word in name.split("_")) + "Stream"
        attributes = {
            "__doc__": f"``{self.path}/{resource}`` ({scope}).",
            "module": self.path,
            "name": name,
            "path": resource,
            "scope": scope,
            "primary_keys": keys,
            "replication_key": replication_key,
            "filters_active": active,
        }
        return t.cast("type[S]", type(class_name, (base,), attributes))
