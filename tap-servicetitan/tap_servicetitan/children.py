"""Child streams: what ServiceTitan serves only one request per parent record.

A child stream (``parent_stream_type``) reads ``<parents>/{id}/<children>``
for the parents that matter in this run, many requests at a time, up to the
tap's shared rate limit: the parent groups its records' ids into child
contexts and the child fetches a group concurrently (``fanout.py``), with the
SDK's own request, paging, retry and ``validate_response`` hooks on the tap's
one session, rate limiter and token.

Which parents are visited:

- an ordinary run: the parents the parent stream emits, i.e. those changed
  since its last run;
- a sweep: every parent, read by the child itself from the parent's feed
  (ids only; the parent's records and state are untouched). A sweep is due
  on the first run, after ``child_sweep_days`` days, and while an interrupted
  sweep is unfinished. It catches children changed under parents whose own
  ``modifiedOn`` did not move. While a sweep is due, the ordinary path
  fetches nothing (the sweep covers it).

A child stream's state holds a handful of keys, never one entry per parent
(``state_partitioning_keys = []``): ``changed_since`` (server time at the
start of the last complete sweep, less a margin: every child changed before
it has been read, so endpoints taking ``modifiedOnOrAfter`` are asked only for
what changed since), ``swept_at`` (this machine's clock, for the sweep
schedule) and, during a sweep, ``sweep_from`` (the parent feed's resume
point after the last fully visited page) and ``sweep_started``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import typing as t
from functools import cached_property
from http import HTTPStatus

from singer_sdk.exceptions import FatalAPIError
from typing_extensions import override

from tap_servicetitan.checkpoint import write_checkpoint
from tap_servicetitan.client import ExportStream, ListStream
from tap_servicetitan.fanout import (
    PAGE_END,
    PARENT_IDS,
    PARENT_VALUES,
    SWEEP,
    OrderedWindow,
    PageEnd,
    ordered_results,
)
from tap_servicetitan.pagination import page_body

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    import requests
    from singer_sdk.helpers.types import Context

    from tap_servicetitan.client import ServiceTitanStream


class ParentGoneError(FatalAPIError):
    """404 for one parent's children: the parent was deleted since it was listed."""


#: Field the tap adds to records without an id: their position in their parent's answer.
LINE_NUMBER = "lineNumber"

#: Server time is read from the ``Date`` header; this margin absorbs clock skew
#: between ServiceTitan's web and database servers.
CHANGED_SINCE_MARGIN = dt.timedelta(hours=1)


class ChildStream(ListStream):
    """A per-parent list endpoint, e.g. ``customers/{id}/notes``.

    ``path`` holds one placeholder, the parent's id. Records carry it as
    ``parent_key``. Subclasses come from servicetitan_catalog.child_streams (streams/declare.py).
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
    #: One state entry for the stream, never one per group of parents.
    state_partitioning_keys: t.ClassVar[list[str]] = []  # type: ignore[misc]
    #: The parent stream instance of this run (set by its ParentGroups).
    parent: ServiceTitanStream

    @property
    def placeholder(self) -> str | None:
        """The path's parent-id placeholder name (``id`` in ``customers/{id}/notes``), if any."""
        if "{" not in self.path:
            return None
        return self.path.split("{", 1)[1].split("}", 1)[0]

    @cached_property
    def _parent_values(self) -> dict[int | str, dict]:
        """Parent id -> its ``parent_params`` values, for the requests not yet made."""
        return {}

    @cached_property
    def sweep_due(self) -> bool:
        """Whether this run visits every parent (decided once, at the first question)."""
        state = self.stream_state
        if "sweep_from" in state or "swept_at" not in state:
            return True
        days = float(self.config.get("child_sweep_days", 7))
        swept_at = dt.datetime.fromisoformat(state["swept_at"])
        return _utc_now() - swept_at >= dt.timedelta(days=days)

    @property
    def workers(self) -> int:
        return int(self.config.get("child_concurrency", 8))

    # What the SDK calls

    @override
    def get_records(self, context: Context | None) -> Iterable[dict]:
        if context and context.get(SWEEP):
            yield from self._sweep()
        elif context and not self.sweep_due:
            self._parent_values.update(context.get(PARENT_VALUES) or {})
            yield from self._children_of(context[PARENT_IDS], last=bool(context.get(PAGE_END)))

    @override
    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict:
        """A page of one parent's children; never the list streams' bookmark filter."""
        params = {"page": next_page_token or 1, "pageSize": self.page_size} if self.paged else {}
        params.update(self.active_param())
        params.update({name: (context or {}).get(name) for name in self.parent_params})
        since = (context or {}).get("modifiedOnOrAfter")
        if since and self.takes_modified_since:
            params["modifiedOnOrAfter"] = since
        return params

    @override
    def validate_response(self, response: requests.Response) -> None:
        if response.status_code == HTTPStatus.NOT_FOUND:
            raise ParentGoneError(self.response_error_message(response))
        super().validate_response(response)

    # Fetching

    @cached_property
    def _changed_parents(self) -> OrderedWindow:
        """The ordinary path's requests, kept flowing from one group of parents to the next.

        ``changed_since`` moves only at the end of a sweep, and no sweep runs
        in a run that takes this path.
        """
        since = self.stream_state.get("changed_since")
        return OrderedWindow(lambda pid: self._fetch(pid, since), self.workers)

    def _children_of(self, parent_ids: Iterable[int | str], *, last: bool) -> Iterator[dict]:
        """The children of a group of parents, in parent order.

        Unless the group is the last of its parent page, its last parents'
        requests stay in flight, to be emitted first with the next group.
        """
        window = self._changed_parents
        try:
            for entry in window.run(parent_ids, keep=0 if last else window.size):
                assert not isinstance(entry, PageEnd)
                yield from entry[1]
        except BaseException:
            window.close()
            raise

    def _fetch(self, parent_id: int | str, since: str | None) -> list[dict]:
        """Every child of one parent (all pages), each carrying the parent's id.

        Numbered records are numbered in the API's order; such endpoints take
        no ``modifiedOnOrAfter``, so a parent's lines are always read whole.
        """
        context: dict = {self.placeholder: parent_id} if self.placeholder else {}
        values = self._parent_values.pop(parent_id, {}) if self.parent_params else {}
        if self.parent_params and any(values.get(name) is None for name in self.parent_params):
            return []  # nothing to ask for (an assignment without a technician)
        context.update(values)
        if since:
            context["modifiedOnOrAfter"] = since
        try:
            records = list(self.request_records(context))
        except ParentGoneError as gone:
            self.logger.warning("No %s of %s %s: %s", self.name, self.parent.name, parent_id, gone)
            return []
        for number, record in enumerate(records, start=1):
            record.update(values)
            record[self.parent_key] = parent_id
            if self.numbered:
                record[LINE_NUMBER] = number
        return records

    # Sweeps

    def _sweep(self) -> Iterator[dict]:
        """Visit every parent, resuming an interrupted sweep at its last parent page."""
        state = self.stream_state
        feed = ParentFeed(self.parent, state.get("sweep_from"), self.parent_params)
        self._parent_values = feed.values
        since = state.get("changed_since")
        self.logger.info(
            "Sweeping every parent of '%s'%s",
            self.name,
            " (resumed)" if "sweep_from" in state else "",
        )
        items = ordered_results(feed.items(), lambda pid: self._fetch(pid, since), self.workers)
        for entry in items:
            if isinstance(entry, PageEnd):
                self._sweep_checkpoint(entry.resume_point, feed.server_time)
            else:
                yield from entry[1]
        self._sweep_done()

    def _sweep_checkpoint(self, resume_point: str | None, server_time: dt.datetime | None) -> None:
        """After every child of a parent page is emitted: remember where the sweep is."""
        state = self.stream_state
        if "sweep_started" not in state:
            state["sweep_started"] = server_time.isoformat() if server_time else None
        if resume_point is not None:
            state["sweep_from"] = resume_point
            write_checkpoint(self)

    def _sweep_done(self) -> None:
        state = self.stream_state
        started = state.pop("sweep_started", None)
        state.pop("sweep_from", None)
        if started:
            since = dt.datetime.fromisoformat(started) - CHANGED_SINCE_MARGIN
            state["changed_since"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            state.pop("changed_since", None)
        state["swept_at"] = _utc_now().isoformat()
        self.sweep_due = False
        write_checkpoint(self)


class ParentFeed:
    """Every parent id, read from the parent's own endpoint with the parent's request hooks.

    Export feeds follow ``continueFrom`` from the start (or from a sweep's
    resume point); list endpoints page through every record. Both ask for
    ``active=Any`` where the endpoint filters on ``active``. Nothing of the
    parent's state is read or written.
    """

    def __init__(
        self, parent: ServiceTitanStream, resume_point: str | None, fields: tuple[str, ...] = ()
    ) -> None:
        self.parent = parent
        self.resume_point = resume_point
        self.fields = fields
        #: Parent id -> its ``fields``, for each id yielded (the child pops them).
        self.values: dict[int | str, dict] = {}
        #: Server time (``Date`` header) of the first answer.
        self.server_time: dt.datetime | None = None

    def items(self) -> Iterator[int | str | PageEnd]:
        """Parent ids, a :class:`PageEnd` after each page."""
        send = self.parent.request_decorator(self._send)
        token = self.resume_point
        page = 1
        while True:
            response = send(self._params(token, page))
            body = page_body(response)
            for record in body.get("data") or ():
                if self.fields:
                    self.values[record["id"]] = {name: record.get(name) for name in self.fields}
                yield record["id"]
            if isinstance(self.parent, ExportStream):
                token = body.get("continueFrom") or token
                yield PageEnd(token)
            else:
                yield PageEnd(None)
            if not body.get("hasMore"):
                return
            page += 1

    def _params(self, token: str | None, page: int) -> dict:
        params = self.parent.active_param()
        if isinstance(self.parent, ExportStream):
            return params | ({"from": token} if token else {})
        return params | {"page": page, "pageSize": self.parent.page_size}

    def _send(self, params: dict) -> requests.Response:
        parent = self.parent
        request = parent.build_prepared_request(
            method="GET", url=parent.get_url(None), params=params, headers=parent.http_headers
        )
        response = parent.requests_session.send(
            parent.authenticator(request), timeout=parent.timeout
        )
        parent.validate_response(response)
        if self.server_time is None:
            self.server_time = _server_time(response)
        return response


def _server_time(response: requests.Response) -> dt.datetime | None:
    value = response.headers.get("Date")
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).astimezone(dt.timezone.utc)
    except (TypeError, ValueError):
        return None


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
