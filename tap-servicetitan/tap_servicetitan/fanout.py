"""Fan-out for child streams: parent ids in groups, requests in a bounded window.

- :class:`ParentGroups`, on the parent side: the parent's records are
  grouped, ``GROUP_SIZE`` ids per child context, so each child sync fetches
  a whole group concurrently. A partial group is flushed at the end of every
  parent page, before the page's checkpoint, so a resume point never covers
  a parent whose children were not emitted. After the parent's last record
  it starts the sweeps that are due (see ``children.py``).
- :func:`ordered_results`: a bounded window of concurrent requests whose
  answers come back in submission order (parent order), so memory stays
  bounded and output is deterministic.
"""

from __future__ import annotations

import typing as t
from collections import deque
from concurrent.futures import ThreadPoolExecutor
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

    def sync(self, context: Context | None = None) -> None: ...


T = t.TypeVar("T")
R = t.TypeVar("R")

#: Parents per child context on the ordinary path (bounded memory per group).
GROUP_SIZE = 200
#: Context key of a sweep (the child reads every parent itself).
SWEEP = "sweep"
#: Context key of a group of parent ids.
PARENT_IDS = "parent_ids"


@dataclass(frozen=True)
class PageEnd:
    """A marker between parents: every parent of a parent page is before it."""

    resume_point: str | None


def ordered_results(
    items: Iterable[T | PageEnd],
    fetch: Callable[[T], R],
    workers: int,
) -> Iterator[tuple[T, R] | PageEnd]:
    """``fetch`` each item on ``workers`` threads; results in the order of ``items``.

    At most ``2 * workers`` items are in flight or waiting to be yielded, so
    memory is bounded whatever the number of items. :class:`PageEnd` markers
    pass through in order once every item before them has been yielded. An
    exception of ``fetch`` is raised here, when its item's turn comes; items
    not started yet are cancelled.
    """
    window = 2 * workers
    pending: deque = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="child") as pool:
        try:
            for item in items:
                pending.append(
                    item if isinstance(item, PageEnd) else (item, pool.submit(fetch, item))
                )
                while len(pending) > window or (pending and isinstance(pending[0], PageEnd)):
                    yield _next_result(pending)
            while pending:
                yield _next_result(pending)
        finally:
            for entry in pending:
                if not isinstance(entry, PageEnd):
                    entry[1].cancel()


def _next_result(pending: deque) -> tuple | PageEnd:
    entry = pending.popleft()
    if isinstance(entry, PageEnd):
        return entry
    item, future = entry
    return item, future.result()


class ParentGroups:
    """The parent side: its records' ids in groups, one child context per group."""

    def __init__(self, parent: Stream, group_size: int = GROUP_SIZE) -> None:
        self.parent = parent
        self.group_size = group_size
        self._ids: list[int] = []

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

    def add(self, record: dict) -> Iterator[Context]:
        """Take one parent record; a context when its group is full."""
        if not self.grouping:
            return
        self._ids.append(record["id"])
        if len(self._ids) >= self.group_size:
            yield self._take()

    def flush(self) -> None:
        """Sync the children of a partial group now (at the end of a parent page)."""
        if self._ids:
            context = self._take()
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
        return {PARENT_IDS: ids}
