"""Child reads: what a parent stream does for its child streams, behind one interface.

A parent stream holds one :class:`ChildReads` (``ServiceTitanStream.child_reads``)
and makes two calls to it:

- :meth:`ChildReads.page` around every page of its records: the records pass
  through unchanged, and once the last one is written the children of the
  page's parents are emitted, each selected child stream in turn, before the
  parent's checkpoint of that page (so a resume point never covers a parent
  whose children were not emitted);
- :meth:`ChildReads.finish` after its last page: the sweeps that are due.

Which parents are visited:

- an ordinary run: the parents the parent stream emits, i.e. those changed
  since its last run, a page at a time;
- a :class:`Sweep`: every parent, read from the parent's own endpoint with the
  parent's own paginator and request hooks (:func:`parent_pages`; the
  parent's records and state are untouched). A sweep is due on the first
  run, after ``child_sweep_days`` days, and while an interrupted sweep is
  unfinished; it catches children changed under parents whose own
  ``modifiedOn`` did not move. While a child's sweep is due, the ordinary
  path reads nothing for it (the sweep covers it).

Either way a page's parents are visited :func:`child_workers` requests at a
time (:func:`in_order`), answers in parent order, each request made by the
child stream's own hooks (``child_stream.py``) on the tap's one session, rate
limiter and token. Nothing here is shared between parent streams: each has
its own :class:`ChildReads`, and the threads of a window live only while it
is read.

A child stream's state holds a handful of keys, never one entry per parent:
``changed_since`` (server time at the start of the last complete sweep, less
a margin: every child changed before it has been read, so endpoints taking
``modifiedOnOrAfter`` are asked only for what changed since), ``swept_at``
(this machine's clock, for the sweep schedule) and, during a sweep,
``sweep_from`` (the parent feed's resume point after the last fully visited
page) and ``sweep_started``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import typing as t
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

from tap_servicetitan.checkpoint import write_checkpoint
from tap_servicetitan.config import DEFAULT_CHILD_CONCURRENCY
from tap_servicetitan.pagination import EVERY_RECORD_FROM, answer_records

if t.TYPE_CHECKING:
    import logging
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    import requests
    from singer_sdk import RESTStream
    from singer_sdk.helpers.types import Context

T = t.TypeVar("T")
R = t.TypeVar("R")

#: The context key of a child stream's sync: the :class:`PageChildren` it emits.
CHILDREN = "children"

#: Server time is read from the ``Date`` header; this margin absorbs clock skew
#: between ServiceTitan's web and database servers.
CHANGED_SINCE_MARGIN = dt.timedelta(hours=1)


def child_workers(config: Mapping[str, t.Any]) -> int:
    """How many requests one parent's child reads keep in flight (``child_concurrency``).

    The one place the number is decided. With streams side by side each parent
    stream keeps its own window; every request, the children's included, still
    takes a slot of the run's one rate limiter, and the session keeps a
    connection for each (``ServiceTitanApi.connections``).
    """
    return int(config.get("child_concurrency", DEFAULT_CHILD_CONCURRENCY))


class Parent(t.NamedTuple):
    """A parent as its children are asked for: its id and the fields some child asks with."""

    id: int | str
    fields: dict[str, t.Any]


class ChildStream(t.Protocol):
    """What child reads use of a child stream (``child_stream.ChildStream``; a protocol,
    so that this module, which the base streams import, imports no stream module)."""

    name: str
    selected: bool
    parent_params: tuple[str, ...]
    parent_name: str
    config: Mapping[str, t.Any]
    logger: logging.Logger

    @property
    def stream_state(self) -> dict: ...

    def sync(self, context: Context | None = None) -> None: ...

    def children_of(self, parent: Parent, since: str | None) -> list[dict]: ...


class ParentStream(t.Protocol):
    """What a sweep uses of its parent beyond singer-sdk's request hooks (``client.py``)."""

    records_in: str

    def resume_point(self, response: requests.Response) -> str | None: ...


class ChildReads:
    """The child streams of one parent stream instance: read a page of parents at a time."""

    def __init__(self, parent: RESTStream) -> None:
        self.parent = parent

    @cached_property
    def children(self) -> list[ChildStream]:
        """The selected child streams (asked once the catalog is applied)."""
        return [
            t.cast("ChildStream", child) for child in self.parent.child_streams if child.selected
        ]

    @cached_property
    def _plan(self) -> tuple[list[ChildStream], list[ChildStream]]:
        """The children that read the parents of this run, and those due a sweep (decided once)."""
        due = {child.name: Sweep.due(child) for child in self.children}
        following = [child for child in self.children if not due[child.name]]
        return following, [child for child in self.children if due[child.name]]

    @cached_property
    def _fields(self) -> tuple[str, ...]:
        """The parent fields the selected children ask with (``technicianId`` ...)."""
        return tuple(sorted({name for child in self.children for name in child.parent_params}))

    @cached_property
    def workers(self) -> int:
        return child_workers(self.parent.config)

    def page(self, records: Sequence[dict]) -> Iterator[dict]:
        """Yield a page of parent records, then, once the last is written, emit their children.

        What the children ask with is taken before the records are written
        (writing drops the fields the catalog deselects).
        """
        following = self._plan[0]
        if not following:
            yield from records
            return
        parents = self.parents(records)
        yield from records
        for child in following:
            self.emit(child, parents, since=child.stream_state.get("changed_since"))

    def finish(self) -> None:
        """After the parent's last page: the sweeps that are due, one child at a time."""
        due = self._plan[1]
        while due:  # popped: each sweep runs once, however often the parent finishes
            Sweep(due.pop(0), self).run()

    def parents(self, records: Iterable[dict]) -> list[Parent]:
        fields = self._fields
        return [Parent(r["id"], {name: r.get(name) for name in fields}) for r in records]

    def emit(self, child: ChildStream, parents: Sequence[Parent], since: str | None) -> None:
        """Sync ``child`` over the children of ``parents`` (singer-sdk writes them)."""
        child.sync(context={CHILDREN: PageChildren(child, parents, since, self.workers)})


class PageChildren:
    """The children of a page of parents for one child stream (its sync context's value).

    Iterating fetches them ``workers`` requests at a time, in parent order;
    ``str()`` is what singer-sdk's logs and metrics show of the context.
    """

    def __init__(
        self, child: ChildStream, parents: Sequence[Parent], since: str | None, workers: int
    ) -> None:
        self.child = child
        self.parents = parents
        self.since = since
        self.workers = workers

    def __iter__(self) -> Iterator[dict]:
        for children in in_order(self.parents, self._fetch, self.workers):
            yield from children

    def _fetch(self, parent: Parent) -> list[dict]:
        return self.child.children_of(parent, self.since)

    def __str__(self) -> str:
        return f"{len(self.parents)} {self.child.parent_name}"


def in_order(items: Iterable[T], fetch: Callable[[T], R], workers: int) -> Iterator[R]:
    """``fetch`` each item on ``workers`` threads; the results in the order of ``items``.

    At most ``2 * workers`` items are in flight or waiting to be yielded, so
    memory is bounded whatever the number of items. An exception of ``fetch``
    is raised when its item's turn comes; items not started when that happens
    (or when the caller stops) are cancelled.
    """
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="child")
    pending: deque = deque()
    try:
        for item in items:
            pending.append(pool.submit(fetch, item))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


class Sweep:
    """One child stream's visit of every parent, resumable at its last parent page."""

    def __init__(self, child: ChildStream, reads: ChildReads) -> None:
        self.child = child
        self.reads = reads
        self.state = child.stream_state

    @staticmethod
    def due(child: ChildStream) -> bool:
        """Whether ``child`` visits every parent this run."""
        state = child.stream_state
        if "sweep_from" in state or "swept_at" not in state:
            return True
        days = float(child.config.get("child_sweep_days", 7))
        swept_at = dt.datetime.fromisoformat(state["swept_at"])
        return _utc_now() - swept_at >= dt.timedelta(days=days)

    def run(self) -> None:
        parent, state = self.reads.parent, self.state
        since = state.get("changed_since")
        self.child.logger.info(
            "Sweeping every parent of '%s'%s",
            self.child.name,
            " (resumed)" if "sweep_from" in state else "",
        )
        for response in parent_pages(parent, state.get("sweep_from")):
            records = answer_records(response, t.cast("ParentStream", parent).records_in)
            self.reads.emit(self.child, self.reads.parents(records), since)
            self._checkpoint(response)
        self._done()

    def _checkpoint(self, response: requests.Response) -> None:
        """After every child of a parent page is emitted: remember where the sweep is.

        The sweep started at the server time of its first answer.
        """
        if "sweep_started" not in self.state:
            started = _server_time(response)
            self.state["sweep_started"] = started.isoformat() if started else None
        resume_point = t.cast("ParentStream", self.reads.parent).resume_point(response)
        if resume_point is not None:
            self.state["sweep_from"] = resume_point
            write_checkpoint(self.child)

    def _done(self) -> None:
        state = self.state
        started = state.pop("sweep_started", None)
        state.pop("sweep_from", None)
        if started:
            since = dt.datetime.fromisoformat(started) - CHANGED_SINCE_MARGIN
            state["changed_since"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            state.pop("changed_since", None)
        state["swept_at"] = _utc_now().isoformat()
        write_checkpoint(self.child)


def parent_pages(parent: RESTStream, resume_point: str | None) -> Iterator[requests.Response]:
    """Every page of ``parent``'s endpoint from ``resume_point`` (None: the first).

    The parent's own paginator and request hooks (``get_url_params`` with
    :data:`~tap_servicetitan.pagination.EVERY_RECORD_FROM`: no bookmark, its
    state neither read nor written) and its retries, on the tap's session.
    """
    context = {EVERY_RECORD_FROM: resume_point}
    paginator = parent.get_new_paginator()
    send = parent.request_decorator(lambda request: _send(parent, request))
    while not paginator.finished:
        response = send(parent.prepare_request(context, paginator.current_value))
        yield response
        paginator.advance(response)


def _send(stream: RESTStream, request: requests.PreparedRequest) -> requests.Response:
    """One request as singer-sdk sends it (authenticated, on the stream's session, validated)."""
    response = stream.requests_session.send(stream.authenticator(request), timeout=stream.timeout)
    stream.validate_response(response)
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
