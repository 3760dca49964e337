"""The child streams' request window and parent groups (fanout.py), without HTTP."""

from __future__ import annotations

import threading

import pytest

from tap_servicetitan.fanout import PAGE_END, PARENT_IDS, OrderedWindow, PageEnd, ParentGroups


class Started:
    """A fetch that records which items started and returns their square."""

    def __init__(self) -> None:
        self.items: list[int] = []
        self._changed = threading.Condition()

    def __call__(self, item: int) -> int:
        with self._changed:
            self.items.append(item)
            self._changed.notify_all()
        return item * item

    def wait_for(self, count: int) -> bool:
        """Whether ``count`` items start (without anyone asking for results)."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.items) >= count, timeout=30)


def test_a_window_keeps_a_groups_last_items_in_flight_for_the_next_call() -> None:
    fetch = Started()
    window = OrderedWindow(fetch, workers=4)
    first = list(window.run(range(20), keep=window.size))
    assert [item for item, _ in first] == list(range(20 - window.size))
    # the caller is away, yet every item of the group gets fetched
    assert fetch.wait_for(20)
    second = list(window.run(range(20, 30)))
    assert second == [(i, i * i) for i in range(20 - window.size, 30)]


def test_markers_pass_in_order_and_never_wait_for_later_items() -> None:
    window = OrderedWindow(Started(), workers=2)
    out = list(window.run([1, 2, PageEnd("a"), 3, PageEnd("b")]))
    assert out == [(1, 1), (2, 4), PageEnd("a"), (3, 9), PageEnd("b")]


def test_a_failed_fetch_is_raised_in_its_turn() -> None:
    def fetch(item: int) -> int:
        if item == 3:
            raise ValueError(item)
        return item

    window = OrderedWindow(fetch, workers=2)
    seen = []
    with pytest.raises(ValueError, match="3"):
        seen.extend(window.run(range(10)))
    assert seen == [(0, 0), (1, 1), (2, 2)]
    window.close()


class FakeChild:
    """A selected child stream that records the contexts it is synced with."""

    selected = True
    sweep_due = False

    def __init__(self) -> None:
        self.contexts: list[dict] = []

    def sync(self, context: dict | None = None) -> None:
        self.contexts.append(dict(context or {}))


class FakeParent:
    def __init__(self, child: FakeChild) -> None:
        self.child_streams = [child]


def test_a_page_end_drains_the_groups_in_flight_even_when_its_last_group_is_empty() -> None:
    child = FakeChild()
    groups = ParentGroups(FakeParent(child), group_size=2)  # type: ignore[arg-type]
    full = [context for record_id in (1, 2) for context in groups.add({"id": record_id})]
    assert full == [{PARENT_IDS: [1, 2]}]
    groups.flush()  # the page ended right after a full group
    assert child.contexts == [{PARENT_IDS: [], PAGE_END: True}]
    groups.flush()  # nothing handed over since: nothing to sync
    assert len(child.contexts) == 1
