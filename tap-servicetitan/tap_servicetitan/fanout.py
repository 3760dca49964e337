"""Fan-out for child streams: parent ids in groups, requests in a bounded window.

- :class:`ParentGroups`, on the parent side: the parent's records are
  grouped, ``GROUP_SIZE`` ids per child context, so each child sync fetches
  a whole group concurrently. A partial group is flushed at the end of every
  parent page, before the page's checkpoint, so a resume point never covers
  a parent whose children were not emitted. After the parent's last record
  it starts the sweeps that are due (see ``children.py``). Within a page a
  group's last requests stay in flight while the next group is submitted
  (no stall between groups); the page's end waits for every one of them.
- :class:`OrderedWindow` (and :func:`ordered_results` over it): a bounded
  window of concurrent requests whose answers come back in submission order
  (parent order), so memory stays bounded and output is deterministic.
"""

from __future__ import annotations

import typing as t
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from singer_sdk import Stream
    from singer_sdk.helpers.types import Context


class Child(t.Protocol):
    """What the parent side needs of a child stream (``children.ChildStream``)."""

    selected: bool
    sweep_due: bool
    parent: Stream
    parent_params: tuple[str, ...]

    def sync(self, context: Context | None = None) -> None: ...


T = t.TypeVar("T")
R = t.TypeVar("R")

#: Parents per child context on the ordinary path (bounded memory per group).
GROUP_SIZE = 200
#: Context key of a sweep (the child reads every parent itself).
SWEEP = "sweep"
#: Context key of a group of parent ids.
PARENT_IDS = "parent_ids"
#: Context key set on the last group of a parent page: every child is emitted before the sync ends.
PAGE_END = "page_end"
#: Context key of the parents' fields some child asks with (parent id -> field -> value).
PARENT_VALUES = "parent_values"


@dataclass(frozen=True)
class PageEnd:
    """A marker between parents: every parent of a parent page is before it."""

    resume_point: str | None


class OrderedWindow(t.Generic[T, R]):
    """``fetch`` on ``workers`` threads, results in submission order, across calls.

    At most ``size`` (``2 * workers``) items are in flight or waiting to be
    yielded, so memory is bounded whatever the number of items.
    :class:`PageEnd` markers pass through in order once every item before
    them has been yielded. A call of :meth:`run` may leave items in flight
    for the next call to yield first, so the workers never wait for a caller
    between two batches of items.
    """

    def __init__(self, fetch: Callable[[T], R], workers: int) -> None:
        self.fetch = fetch
        self.workers = workers
        self.size = 2 * workers
        self._pending: deque = deque()
        self._pool: ThreadPoolExecutor | None = None

    def run(self, items: Iterable[T | PageEnd], keep: int = 0) -> Iterator[tuple[T, R] | PageEnd]:
        """Submit ``items``; yield results in order, all but the last ``keep``.

        An exception of ``fetch`` is raised here, when its item's turn comes.
        """
        for item in items:
            self._pending.append(item if isinstance(item, PageEnd) else (item, self._submit(item)))
            while len(self._pending) > self.size or self._marker_first():
                yield self._next()
        while len(self._pending) > keep or self._marker_first():
            yield self._next()
        if not self._pending:
            self.close()

    def close(self) -> None:
        """Cancel the items not started; the threads end after their current item."""
        for entry in self._pending:
            if not isinstance(entry, PageEnd):
                entry[1].cancel()
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _submit(self, item: T) -> Future[R]:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="child")
        return self._pool.submit(self.fetch, item)

    def _marker_first(self) -> bool:
        return bool(self._pending) and isinstance(self._pending[0], PageEnd)

    def _next(self) -> tuple[T, R] | PageEnd:
        entry = self._pending.popleft()
        if isinstance(entry, PageEnd):
            return entry
        item, future = entry
        return item, future.result()


def ordered_results(
    items: Iterable[T | PageEnd],
    fetch: Callable[[T], R],
    workers: int,
) -> Iterator[tuple[T, R] | PageEnd]:
    """``fetch`` each item on ``workers`` threads; results in the order of ``items``.

    One :class:`OrderedWindow` for the whole of ``items``; items not started
    when the caller stops (or a fetch fails) are cancelled.
    """
    window = OrderedWindow(fetch, workers)
    try:
        yield from window.run(items)
    finally:
        window.close()


class ParentGroups:
    """The parent side: its records' ids in groups, one child context per group."""

    def __init__(self, parent: Stream, group_size: int = GROUP_SIZE) -> None:
        self.parent = parent
        self.group_size = group_size
        self._ids: list[int] = []
        #: id -> the parent's fields a child asks with (``parent_params``), for the group
        self._values: dict[int, dict] = {}
        #: A group was handed over since the last flush (its children may be in flight).
        self._in_flight = False

    @cached_property
    def children(self) -> list[Child]:
        """The selected child streams (evaluated once the catalog is applied)."""
        selected: list[Child] = [
            t.cast("Child", child) for child in self.parent.child_streams if child.selected
        ]
        for child in selected:
            child.parent = self.parent
        return selected

    @cached_property
    def grouping(self) -> bool:
        """Whether a selected child reads the parents of this run (no sweep due)."""
        return any(not child.sweep_due for child in self.children)

    @cached_property
    def parent_params(self) -> tuple[str, ...]:
        """The parent fields the selected children ask with (``technicianId`` ...)."""
        return tuple(sorted({name for child in self.children for name in child.parent_params}))

    def add(self, record: dict) -> Iterator[Context]:
        """Take one parent record; a context when its group is full."""
        if not self.grouping:
            return
        self._ids.append(record["id"])
        if self.parent_params:
            self._values[record["id"]] = {name: record.get(name) for name in self.parent_params}
        if len(self._ids) >= self.group_size:
            self._in_flight = True
            yield self._take()

    def flush(self) -> None:
        """Sync the children of the page's last group now (at the end of a parent page).

        Also when that group is empty: the page's earlier groups may have
        requests in flight, whose children must be emitted before the page's
        checkpoint.
        """
        if self._ids or self._in_flight:
            context = {**self._take(), PAGE_END: True}
            self._in_flight = False
            for child in self.children:
                child.sync(context=context)

    def finish(self) -> None:
        """After the parent's last record: the last group, then the sweeps that are due."""
        self.flush()
        for child in self.children:
            if child.sweep_due:
                child.sync(context={SWEEP: True})

    def _take(self) -> Context:
        ids, self._ids = self._ids, []
        values, self._values = self._values, {}
        return {PARENT_IDS: ids, PARENT_VALUES: values} if values else {PARENT_IDS: ids}
