"""The child streams' request window and parent groups (fanout.py).

The window and the groups alone, then a tap run against the sandbox whose
parent pages each end with a full group.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import tempfile
import threading
from pathlib import Path

import orjson
import pytest

from servicetitan_devtools.tap_runner import TAP, catalog_selecting
from servicetitan_sandbox import SandboxServer
from servicetitan_sandbox.children import KINDS
from servicetitan_sandbox.protocol import decode_continue
from tap_servicetitan.fanout import (
    GROUP_SIZE,
    PAGE_END,
    PARENT_IDS,
    OrderedWindow,
    PageEnd,
    ParentGroups,
)

NOTES = next(kind for kind in KINDS if kind.name == "customer_notes")


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
    parent_params: tuple[str, ...] = ()

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


def test_every_parent_page_checkpoint_follows_the_children_of_its_parents() -> None:
    """Ordinary path, pages of exactly one group: a group's last requests are in
    flight when its page ends, and the page's STATE must wait for their children."""
    with SandboxServer(customers=2 * GROUP_SIZE, seed=5, export_page_size=GROUP_SIZE) as server:
        config = server.tap_config(requests_per_second=1000, child_concurrency=8)
        swept = dt.datetime.now(dt.timezone.utc).isoformat()
        state = {"bookmarks": {"customer_notes": {"swept_at": swept}}}
        checkpoints = _notes_before_each_checkpoint(config, state)
        with_notes = {
            pid for pid in server.dataset.ids("customers") if server.children.of(NOTES, pid)
        }
        covered = []
        for token, parents_with_notes in checkpoints:
            done = {
                pid
                for pid in with_notes
                if server.dataset.version_of("customers", pid) <= decode_continue(token)
            }
            assert done <= parents_with_notes, f"{len(done - parents_with_notes)} parents early"
            covered.append(len(done))
    # a checkpoint per page: the first covers a page of parents, the last all of them
    assert 0 < covered[0] < covered[-1] == len(with_notes)


def _notes_before_each_checkpoint(config: dict, state: dict) -> list[tuple[str, set[int]]]:
    """Run the tap; per STATE with a new parent resume point, the parents whose notes came before."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, payload in (
            ("config", config),
            ("catalog", catalog_selecting(config, {"customers", "customer_notes"})),
            ("state", state),
        ):
            paths[name] = Path(tmp) / f"{name}.json"
            paths[name].write_text(json.dumps(payload))
        command = [TAP, *(f"--{name}={path}" for name, path in paths.items())]
        proc = subprocess.run(command, capture_output=True, check=True)
    parents: set[int] = set()
    checkpoints: list[tuple[str, set[int]]] = []
    for line in proc.stdout.splitlines():
        message = orjson.loads(line)
        if message["type"] == "RECORD" and message["stream"] == "customer_notes":
            parents.add(message["record"]["customerId"])
        elif message["type"] == "STATE":
            token = message["value"]["bookmarks"].get("customers", {}).get("continue_from")
            if token and (not checkpoints or checkpoints[-1][0] != token):
                checkpoints.append((token, set(parents)))
    return checkpoints
