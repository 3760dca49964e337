"""The child stream: a per-parent endpoint (``customers/{id}/notes``) as a Singer stream.

A :class:`ChildStream` (one per row of ``servicetitan_catalog.child_streams``,
``parent_stream_type`` its parent) knows how to read the children of one
parent: :meth:`ChildStream.children_of`, with the SDK's own request, paging,
retry and ``validate_response`` hooks on the tap's one session, rate limiter
and token. Which parents, how many at a time, sweeps and the child's state
are the parent's :class:`~tap_servicetitan.child_reads.ChildReads`, which
syncs the child with a page of parents as its context.
"""

from __future__ import annotations

import typing as t
from http import HTTPStatus

from singer_sdk.exceptions import FatalAPIError
from typing_extensions import override

from servicetitan_catalog.child_streams import LINE_NUMBER
from tap_servicetitan.child_reads import CHILDREN
from tap_servicetitan.client import ListStream

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests
    from singer_sdk.helpers.types import Context

    from tap_servicetitan.child_reads import Parent

#: Context key of a request's ``modifiedOnOrAfter`` (children changed since the last sweep).
MODIFIED_SINCE = "modifiedOnOrAfter"


class ParentGoneError(FatalAPIError):
    """404 for one parent's children: the parent was deleted since it was listed."""


class ChildStream(ListStream):
    """A per-parent list endpoint, e.g. ``customers/{id}/notes``.

    ``path`` holds one placeholder, the parent's id. Records carry it as
    ``parent_key``.
    """

    #: Name of the parent's id in the records (and in the primary key).
    parent_key: t.ClassVar[str]
    #: The endpoint takes ``modifiedOnOrAfter``.
    takes_modified_since: t.ClassVar[bool] = False
    #: The records have no id: number them within their parent (``LINE_NUMBER``).
    numbered: t.ClassVar[bool] = False
    #: Query parameters taken from the parent record's fields of the same names, for an
    #: endpoint that asks for them rather than for a parent id in its path
    #: (``technician-tracking?technicianId=&appointmentId=``); the records carry them too.
    parent_params: t.ClassVar[tuple[str, ...]] = ()
    #: Opt-in: one request per parent is expensive.
    selected_by_default = False
    #: One state entry for the stream, never one per page of parents.
    state_partitioning_keys: t.ClassVar[list[str]] = []  # type: ignore[misc]

    @property
    def placeholder(self) -> str | None:
        """The path's parent-id placeholder name (``id`` in ``customers/{id}/notes``), if any."""
        if "{" not in self.path:
            return None
        return self.path.split("{", 1)[1].split("}", 1)[0]

    @property
    def parent_name(self) -> str:
        """The parent stream's name (for messages)."""
        return self.parent_stream_type.name if self.parent_stream_type else ""

    @override
    def get_records(self, context: Context | None) -> Iterable[dict]:
        """The children of the page of parents ``context`` holds (child_reads.py), in parent order."""
        if context:
            yield from context[CHILDREN]

    @override
    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict:
        """A page of one parent's children: the parent's fields it asks with added."""
        params = super().get_url_params(context, next_page_token)
        params.update({name: (context or {}).get(name) for name in self.parent_params})
        return params

    @override
    def modified_since(self, context: Context | None) -> str | None:
        """Children changed since the last sweep, where the endpoint takes it; never a bookmark."""
        return (context or {}).get(MODIFIED_SINCE) if self.takes_modified_since else None

    @override
    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == HTTPStatus.NOT_FOUND:
            raise ParentGoneError(self.response_error_message(response))
        super().validate_response(response)

    def children_of(self, parent: Parent, since: str | None) -> list[dict]:
        """Every child of one parent (all pages), each carrying the parent's id.

        ``since``: only the children changed since, where the endpoint takes
        ``modifiedOnOrAfter``. Numbered records are numbered in the API's
        order; such endpoints take no ``modifiedOnOrAfter``, so a parent's
        lines are always read whole.
        """
        values = {name: parent.fields.get(name) for name in self.parent_params}
        if any(value is None for value in values.values()):
            return []  # nothing to ask for (an assignment without a technician)
        context: dict = {self.placeholder: parent.id} if self.placeholder else {}
        context.update(values)
        if since:
            context[MODIFIED_SINCE] = since
        try:
            records = list(self.request_records(context))
        except ParentGoneError as gone:
            self.logger.warning("No %s of %s %s: %s", self.name, self.parent_name, parent.id, gone)
            return []
        for number, record in enumerate(records, start=1):
            record.update(values)
            record[self.parent_key] = parent.id
            if self.numbered:
                record[LINE_NUMBER] = number
        return records
