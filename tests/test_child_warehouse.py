"""Child streams through Meltano into PostgreSQL: every child exactly once.

``meltano run tap-servicetitan target-postgres`` (BATCH on, as in
meltano.yml) with two child streams and their parents selected, into a fresh
database. A first run is a sweep (every parent); the runs after a change
read the children of the changed parents only (the ordinary path). Parent
pages hold ``PAGE_SIZE`` parents, so the changed parents span pages and each
page's children must be written before the page's resume point is saved.
Each check compares the raw child tables with the sandbox's children: the
same keys, each once, each at its current ``modifiedOn``.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from servicetitan_sandbox import SandboxServer
from servicetitan_sandbox.child_records import KINDS, ChildKind
from servicetitan_sandbox.formats import parse_iso_ms
from tests.support.meltano_project import MeltanoProject

pytestmark = pytest.mark.e2e

EXTRACT_LOAD = ("run", "tap-servicetitan", "target-postgres")
#: Child stream -> (its sandbox kind, its parent's id in the records).
CHILDREN: dict[str, tuple[ChildKind, str]] = {
    "customer_notes": (next(k for k in KINDS if k.name == "customer_notes"), "customerId"),
    "location_notes": (next(k for k in KINDS if k.name == "location_notes"), "locationId"),
}
SELECT = ("customers", "customer_notes", "locations", "location_notes")
NOTES_ENDPOINTS = tuple(f"{kind.module}/{kind.pattern}" for kind, _ in CHILDREN.values())
#: Parents per page of the sandbox's export feeds.
PAGE_SIZE = 200
#: A notes request in the sandbox's request log: (parent collection, parent id).
NOTES_PATH = re.compile(r"^/crm/v2/tenant/\d+/(customers|locations)/(\d+)/notes")


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(customers=400, seed=1111, export_page_size=PAGE_SIZE) as srv:
        yield srv


@pytest.fixture
def project(server: SandboxServer, database: dict, tmp_path) -> MeltanoProject:
    """The project extracting and loading only (no preflight, no dbt), fast requests."""
    server.faults.reset()
    server.reset_counters()
    project = MeltanoProject(server, database, tmp_path, select=SELECT)
    project.pipeline = EXTRACT_LOAD
    project.env["TAP_SERVICETITAN_REQUESTS_PER_SECOND"] = "400"
    return project


def child_requests(server: SandboxServer) -> int:
    by_endpoint = server.counters["by_endpoint"]
    return sum(by_endpoint.get(endpoint, 0) for endpoint in NOTES_ENDPOINTS)


def parents_visited(server: SandboxServer) -> set[tuple[str, int]]:
    """(parent stream, id) of every notes request answered since the counters were reset."""
    return {
        (match[1], int(match[2]))
        for _, path, status in server.request_log
        if status == 200 and (match := NOTES_PATH.match(path))
    }


def assert_children_loaded_once(project: MeltanoProject) -> None:
    """Each raw child table holds the sandbox's children, each once, each current."""
    children = project.sandbox.children
    with project.connect() as conn:
        for stream, (kind, parent_key) in CHILDREN.items():
            rows = conn.execute(
                f'select "{parent_key}", id, "modifiedOn" from tap_servicetitan.{stream}'
            ).fetchall()
            keys = [(parent, cid) for parent, cid, _ in rows]
            assert len(keys) == len(set(keys)), f"{stream}: a child loaded twice"
            loaded = {(parent, cid): modified for parent, cid, modified in rows}
            expected = {
                (pid, child["id"]): parse_iso_ms(child["modifiedOn"])
                for pid in children.parent_ids(kind)
                for child in children.of(kind, pid)
            }
            assert set(loaded) == set(expected), f"{stream}: children lost or extra"
            stale = [
                key
                for key, modified in loaded.items()
                if int(modified.timestamp() * 1000) != expected[key]
            ]
            assert not stale, f"{stream}: stale children {stale[:5]}"


def change_children_and_touch_parents(server: SandboxServer, seed: int) -> set[tuple[str, int]]:
    """Change and add children of many parents, then change those parents.

    Every changed child then sits under a changed parent, so the ordinary
    path (no sweep) must read it. Returns the parents touched, (stream, id).
    """
    before = {
        stream: {pid: server.children.of(kind, pid) for pid in server.children.parent_ids(kind)}
        for stream, (kind, _) in CHILDREN.items()
    }
    server.children.mutate(fraction=0.8, seed=seed)
    touched = set()
    for stream, (kind, _) in CHILDREN.items():
        for pid, old in before[stream].items():
            if server.children.of(kind, pid) != old:
                server.dataset.update(kind.parent, pid)
                touched.add((kind.parent, pid))
    return touched


class DuringChildRead:
    """Runs ``action`` once the tap has sent ``after`` child requests."""

    def __init__(self, server: SandboxServer, after: int, action: Callable[[], None]) -> None:
        self.server = server
        self.after = after
        self.action = action
        self.done = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch)

    def _watch(self) -> None:
        while not self._stop.is_set():
            if child_requests(self.server) > self.after:
                self.action()
                self.done = True
                return
            time.sleep(0.002)

    def __enter__(self) -> DuringChildRead:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def faulty_run(project: MeltanoProject, after: int) -> None:
    """A run through a 429 storm, with 5xx, dropped connections and an expired token.

    The tap may send 400 requests a second; the sandbox allows 60.
    """
    server = project.sandbox

    def fail() -> None:
        server.faults.fail_next(4, status=503)
        server.faults.fail_next(2, status=502, drop=True)
        server.expire_tokens()

    server.reset_counters()
    server.faults.configure(rate_limit=60, latency=0.01)
    with DuringChildRead(server, after, fail) as faults:
        project.run()
    server.faults.reset()
    assert faults.done, "the run ended before the faults"
    counters = server.counters
    assert counters["429"] > 0
    assert counters["5xx"] == 4
    assert counters["dropped"] == 2
    assert counters["401"] > 0


def test_faults_during_the_child_read_lose_no_child(project: MeltanoProject) -> None:
    faulty_run(project, after=60)  # the first run: a sweep
    assert_children_loaded_once(project)

    touched = change_children_and_touch_parents(project.sandbox, seed=21)
    assert len({pid for stream, pid in touched if stream == "customers"}) > PAGE_SIZE
    faulty_run(project, after=10)  # the changed parents' children
    assert parents_visited(project.sandbox) == touched  # no sweep: only the changed parents
    assert_children_loaded_once(project)


def test_killed_runs_then_reruns_lose_no_child(project: MeltanoProject) -> None:
    """Small BATCH files so rows land during the run; requests slowed to be caught mid-read."""
    server = project.sandbox
    project.env["TARGET_POSTGRES_BATCH_SIZE_ROWS"] = "50"
    project.set_batch_config(batch_size=50)
    project.env["TAP_SERVICETITAN_REQUESTS_PER_SECOND"] = "120"
    server.faults.configure(latency=0.02)

    # the first run (a sweep), Meltano, tap and target terminated mid child-read
    project.run_killed(after_rows=60, table="customer_notes", sig=signal.SIGTERM)
    kind = CHILDREN["customer_notes"][0]
    every_note = sum(len(server.children.of(kind, pid)) for pid in server.children.parent_ids(kind))
    assert project.count_rows("tap_servicetitan.customer_notes") < every_note, "killed too late"
    # a killed job still looks "running" to Meltano until it goes stale: --force
    project.run("--force")
    assert_children_loaded_once(project)

    # a run of changed parents, the tap alone killed mid child-read
    touched = change_children_and_touch_parents(server, seed=22)
    server.reset_counters()
    killed = project.run_killing_tap(lambda: child_requests(server) >= len(touched) // 2)
    assert killed.returncode != 0
    project.run()
    assert_children_loaded_once(project)
