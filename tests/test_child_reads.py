"""A parent's child reads (child_reads.py): the request window, the page handover.

The window and a parent's pages with a stand-in child, then a tap run
against the sandbox whose parent pages each hold a few hundred parents.
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
from servicetitan_sandbox.child_records import KINDS
from servicetitan_sandbox.protocol import decode_continue
from tap_servicetitan.child_reads import CHILDREN, ChildReads, Parent, in_order

NOTES = next(kind for kind in KINDS if kind.name == "customer_notes")
#: Parents per page of the sandbox's export feeds.
PAGE_SIZE = 200


class Started:
    """A fetch that records which items started and returns their square."""

    def __init__(self) -> None:
        self.items: list[int] = []
        self._lock = threading.Lock()

    def __call__(self, item: int) -> int:
        with self._lock:
            self.items.append(item)
        return item * item


def test_the_window_answers_in_order_and_draws_at_most_twice_its_workers_ahead() -> None:
    drawn: list[int] = []

    def items():
        for item in range(100):
            drawn.append(item)
            yield item

    results = in_order(items(), Started(), workers=4)
    assert next(results) == 0
    assert len(drawn) == 2 * 4 + 1  # the caller is away: nothing more is drawn
    assert list(results) == [i * i for i in range(1, 100)]


def test_a_failed_fetch_is_raised_in_its_turn() -> None:
    def fetch(item: int) -> int:
        if item == 3:
            raise ValueError(item)
        return item

    seen = []
    with pytest.raises(ValueError, match="3"):
        seen.extend(in_order(range(10), fetch, workers=2))
    assert seen == [0, 1, 2]


class FakeChild:
    """A selected child stream, swept just now, that records what it is synced with."""

    name = "technician_tracking"
    selected = True
    parent_params: tuple[str, ...] = ("technicianId",)
    parent_name = "appointment_assignments"
    config: dict = {}

    def __init__(self, events: list) -> None:
        self.events = events
        self.stream_state = {"swept_at": dt.datetime.now(dt.timezone.utc).isoformat()}

    def children_of(self, parent: Parent, since: str | None) -> list[dict]:
        return [{"parent": parent.id, "technicianId": parent.fields["technicianId"]}]

    def sync(self, context: dict) -> None:
        self.events.append(("context", str(context[CHILDREN])))
        self.events.extend(("child", child) for child in context[CHILDREN])


class FakeParent:
    config = {"child_concurrency": 2}

    def __init__(self, child: FakeChild) -> None:
        self.child_streams = [child]


def test_a_page_passes_through_then_its_parents_children_follow_its_last_record() -> None:
    events: list = []
    reads = ChildReads(FakeParent(FakeChild(events)))  # type: ignore[arg-type]
    page = [{"id": n, "technicianId": 10 * n} for n in (1, 2, 3)]
    for record in reads.page(page):
        events.append(("parent", record["id"]))
        record.pop("technicianId")  # writing a record may drop fields the catalog deselects
    assert events == [
        ("parent", 1),
        ("parent", 2),
        ("parent", 3),
        ("context", "3 appointment_assignments"),
        ("child", {"parent": 1, "technicianId": 10}),
        ("child", {"parent": 2, "technicianId": 20}),
        ("child", {"parent": 3, "technicianId": 30}),
    ]


def test_every_parent_page_checkpoint_follows_the_children_of_its_parents() -> None:
    """Ordinary path: a parent page's STATE comes after the children of its parents."""
    with SandboxServer(customers=2 * PAGE_SIZE, seed=5, export_page_size=PAGE_SIZE) as server:
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
