"""The stream factory: a class per row of the catalog (servicetitan_catalog).

An export feed's row becomes an :class:`ExportStream`, a list endpoint's a
:class:`ListStream`; a ``custom`` row's class is made from the class of this
package that says how its endpoint is read (``dispatch.py``, ``marketing.py``,
``marketing_ads.py``). The row gives every class its name, endpoint, scope,
key and bookmark; the schema is ``schemas/<name>.json``. A child stream's row
(``servicetitan_catalog.child_streams``) becomes a :class:`ChildStream` of its
parent's class; adding an endpoint is adding a row in the catalog, then
``servicetitan-generate``.
"""

from __future__ import annotations

import typing as t

from servicetitan_catalog.child_streams import CHILD_ROWS, PAGE, ChildRow
from servicetitan_catalog.streams import CUSTOM, EXPORT, Stream
from tap_servicetitan.child_stream import ChildStream
from tap_servicetitan.client import ExportStream, ListStream, ServiceTitanStream


def stream_class(
    row: Stream, custom: dict[str, type[ServiceTitanStream]]
) -> type[ServiceTitanStream]:
    """The class of the stream of ``row``; ``custom``: the classes of the custom rows, by name."""
    if row.kind == CUSTOM:
        base = custom[row.name]
    else:
        base = ExportStream if row.kind == EXPORT else ListStream
    class_name = "".join(word.title() for word in row.name.split("_")) + "Stream"
    attributes = {
        "__doc__": base.__doc__ if row.kind == CUSTOM else f"``{row.endpoint}`` ({row.scope}).",
        "__module__": base.__module__ if row.kind == CUSTOM else __name__,
        "module": row.module,
        "name": row.name,
        "path": row.path,
        "scope": row.scope,
        "primary_keys": row.keys,
        "filters_active": row.active,
        "request_method": row.method,
        "surrogate_basis": row.surrogate_basis,
    }
    if row.kind != CUSTOM:  # a custom class keeps its own (none: its windows say what to read)
        attributes["replication_key"] = row.replication_key
    return type(class_name, (base,), attributes)


def child_streams(parents: t.Iterable[type[ServiceTitanStream]]) -> tuple[type[ChildStream], ...]:
    """A class per row whose parent is among ``parents``."""
    by_name = {parent.name: parent for parent in parents}
    return tuple(
        _child_class(row, by_name[row.parent]) for row in CHILD_ROWS if row.parent in by_name
    )


def _child_class(row: ChildRow, parent: type[ServiceTitanStream]) -> type[ChildStream]:
    class_name = "".join(part.title() for part in row.name.split("_")) + "Stream"
    return type(
        class_name,
        (ChildStream,),
        {
            "__doc__": f"``{row.path}``: children of {row.parent}, one request per parent.",
            "__module__": __name__,
            "name": row.name,
            "parent_stream_type": parent,
            "module": row.module,
            "path": row.path,
            "scope": row.scope,
            "parent_key": row.parent_key,
            "primary_keys": row.primary_keys,
            "replication_key": row.replication_key,
            "takes_modified_since": row.takes_modified_since,
            "filters_active": row.takes_active,
            "numbered": row.numbered,
            "records_in": row.records_in,
            "parent_params": row.parent_params,
            "paged": row.records_in == PAGE,
        },
    )
