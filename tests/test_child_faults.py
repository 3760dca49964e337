"""Faults during a concurrent child read: no child lost, none emitted twice.

Each test reads ``customer_notes`` (and its parent) with several requests in
flight while the sandbox misbehaves, and compares the notes with the
sandbox's.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import orjson
import pytest

from servicetitan_devtools.tap_runner import TAP, catalog_selecting, run_tap
from servicetitan_sandbox import SandboxServer
from servicetitan_sandbox.child_records import KINDS

STREAMS = {"customers", "customer_notes"}
NOTES = next(kind for kind in KINDS if kind.name == "customer_notes")
ENDPOINT = f"{NOTES.module}/{NOTES.pattern}"


@pytest.fixture
def server(fresh_sandbox: SandboxServer) -> SandboxServer:
    return fresh_sandbox


def _config(server: SandboxServer, **overrides) -> dict:
    return server.tap_config(**({"requests_per_second": 500, "child_concurrency": 8} | overrides))


def _expected(server: SandboxServer) -> set[tuple[int, int]]:
    return {
        (pid, note["id"])
        for pid in server.dataset.ids("customers")
        for note in server.children.of(NOTES, pid)
    }


def _keys(records: list[dict]) -> list[tuple[int, int]]:
    return [(r["customerId"], r["id"]) for r in records]


def _assert_complete(run, server: SandboxServer) -> None:
    assert run.returncode == 0, run.stderr[-3000:]
    keys = _keys(run.records.get("customer_notes", []))
    assert len(keys) == len(set(keys)), "a note was emitted twice"
    assert set(keys) == _expected(server)


def _run(server: SandboxServer, **overrides):
    config = _config(server, **overrides)
    return run_tap(config, catalog=catalog_selecting(config, STREAMS))


def test_429_storm_loses_nothing(server) -> None:
    server.faults.configure(rate_limit=40)
    run = _run(server, requests_per_second=200)
    _assert_complete(run, server)
    assert server.counters["429"] > 0


def test_no_self_inflicted_429_at_the_api_limit(server) -> None:
    server.faults.configure(rate_limit=60, latency=0.02)
    run = _run(server, requests_per_second=60, child_concurrency=16)
    _assert_complete(run, server)
    assert server.counters["429"] == 0
    assert server.counters["by_endpoint"][ENDPOINT] == server.dataset.count("customers")


class DuringChildRead:
    """Runs ``action`` once the tap has read the notes of 60 customers."""

    def __init__(self, server: SandboxServer, action) -> None:
        self.server = server
        self.action = action
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch)

    def _watch(self) -> None:
        while not self._stop.is_set():
            if self.server.counters["by_endpoint"].get(ENDPOINT, 0) > 60:
                self.action()
                return
            time.sleep(0.002)

    def __enter__(self) -> DuringChildRead:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def test_5xx_and_dropped_connections_are_retried(server) -> None:
    def fail() -> None:
        server.faults.fail_next(6, status=503)
        server.faults.fail_next(3, status=502, drop=True)

    with DuringChildRead(server, fail):
        run = _run(server)
    _assert_complete(run, server)
    assert server.counters["5xx"] == 6
    assert server.counters["dropped"] == 3


def test_expired_token_mid_read_is_refreshed_once_for_all_threads(server) -> None:
    server.faults.configure(latency=0.01)
    with DuringChildRead(server, server.expire_tokens):
        run = _run(server)
    _assert_complete(run, server)
    assert server.counters["401"] > 0
    assert server.counters["token"] == 2


def _killed_run(
    config: dict, after_notes: int, state: dict | None = None
) -> tuple[list[dict], dict]:
    """Run the tap, kill it after ``after_notes`` notes; (notes before the last STATE, that state)."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, payload in (
            ("config", config),
            ("catalog", catalog_selecting(config, STREAMS)),
            ("state", state or {}),
        ):
            paths[name] = Path(tmp) / f"{name}.json"
            paths[name].write_text(json.dumps(payload))
        command = [TAP, *(f"--{name}={path}" for name, path in paths.items())]
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdout is not None
        notes: list[dict] = []
        committed: list[dict] = []
        state: dict = {}
        for line in proc.stdout:
            message = orjson.loads(line)
            if message["type"] == "RECORD" and message["stream"] == "customer_notes":
                notes.append(message["record"])
                if len(notes) >= after_notes:
                    proc.kill()
                    break
            elif message["type"] == "STATE":
                # What a target commits: the records before this STATE, and the state.
                state, committed = message["value"], list(notes)
        proc.wait()
    return committed, state


def test_killed_run_resumes_without_rereading_done_parents(server) -> None:
    config = _config(server, child_concurrency=4)
    committed, state = _killed_run(config, after_notes=250)
    assert state["bookmarks"]["customer_notes"].get("sweep_from"), "killed before a checkpoint"
    server.reset_counters()
    rerun = run_tap(config, catalog=catalog_selecting(config, STREAMS), state=state)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    loaded = set(_keys(committed)) | set(_keys(rerun.records["customer_notes"]))
    assert loaded == _expected(server)
    rereads = server.counters["by_endpoint"][ENDPOINT]
    assert rereads < server.dataset.count("customers")
    assert "sweep_from" not in rerun.final_state["bookmarks"]["customer_notes"]


def test_killed_run_of_changed_parents_resumes_at_the_parent_checkpoint(server) -> None:
    """Ordinary path (no sweep due): a parent page's resume point follows its children."""
    config = _config(server, child_concurrency=4)
    swept = {"bookmarks": {"customer_notes": {"swept_at": datetime.now(timezone.utc).isoformat()}}}
    committed, state = _killed_run(config, after_notes=250, state=swept)
    assert state["bookmarks"]["customers"].get("continue_from"), "killed before a checkpoint"
    assert "sweep_from" not in state["bookmarks"]["customer_notes"]
    server.reset_counters()
    rerun = run_tap(config, catalog=catalog_selecting(config, STREAMS), state=state)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    loaded = set(_keys(committed)) | set(_keys(rerun.records["customer_notes"]))
    assert loaded == _expected(server)
    assert server.counters["by_endpoint"][ENDPOINT] < server.dataset.count("customers")
