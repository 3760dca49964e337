"""Streams side by side (``stream_concurrency``): the same output as one at a time,
STATE messages true at every moment, faults, a failing stream, kills and reruns."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import signal
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

from servicetitan_catalog.streams import CORE_STREAMS as CORE_STREAM_NAMES
from servicetitan_catalog.streams import DEFAULT_SELECTION
from servicetitan_devtools.tap_runner import TAP, catalog_selecting, run_tap
from servicetitan_sandbox import SandboxServer
from servicetitan_sandbox.protocol import decode_continue
from tap_servicetitan.streams import TAP_STREAMS
from tests.support import isolation
from tests.support.meltano_project import MeltanoProject

#: meltano.yml's default selection but the API's counts (their own test file).
STREAMS = sorted(set(DEFAULT_SELECTION) - {"record_counts"})


@pytest.fixture(scope="module")
def slow_sandbox():
    """A tenant answering every request after 20 ms: streams overlap when side by side."""
    with SandboxServer(customers=400, seed=11, export_page_size=50) as server:
        server.faults.configure(latency=0.02)
        yield server


def tap_messages(config: dict, streams: list[str]) -> list[dict]:
    """Every Singer message of a tap run over ``streams``, in the order written."""
    catalog = catalog_selecting(config, streams)
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, payload in (("config", config), ("catalog", catalog)):
            paths[name] = Path(tmp, f"{name}.json")
            paths[name].write_text(json.dumps(payload))
        env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_SERVICETITAN_")}
        done = subprocess.run(
            [TAP, "--config", str(paths["config"]), "--catalog", str(paths["catalog"])],
            capture_output=True,
            env=env,
            timeout=600,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


def sandbox_keys(server: SandboxServer, name: str) -> tuple[set, tuple[str, ...]]:
    """The keys of the records the sandbox holds for a stream, and their fields."""
    if name in CORE_STREAM_NAMES:
        return server.dataset.ids(name), ("id",)
    (stream,) = [stream for stream in TAP_STREAMS if stream.name == name]
    collection = server.generic.collections[f"{stream.module}/{stream.path}"]
    return collection.ids(), collection.keys


def covered_ids(sandbox: SandboxServer, stream: str, token: str) -> set:
    """Ids an export feed's resume point covers: every record served up to it."""
    version = decode_continue(token)
    return {
        rid
        for rid in sandbox.dataset.ids(stream)
        if sandbox.dataset.version_of(stream, rid) <= version
    }


@pytest.fixture(scope="module")
def side_by_side(slow_sandbox) -> list[dict]:
    return tap_messages(slow_sandbox.tap_config(stream_concurrency=4), STREAMS)


def records_by_stream(messages: list[dict]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for message in messages:
        if message["type"] == "RECORD":
            found.setdefault(message["stream"], []).append(message["record"])
    return found


def without_load_times(records: list[dict]) -> list[str]:
    return sorted(json.dumps(record, sort_keys=True) for record in records)


def test_streams_run_side_by_side(side_by_side) -> None:
    """Records of different streams alternate: several streams were in flight at once."""
    streams = [m["stream"] for m in side_by_side if m["type"] == "RECORD"]
    switches = sum(1 for a, b in itertools.pairwise(streams) if a != b)
    assert switches > 3 * len(set(streams))


def test_side_by_side_writes_what_one_at_a_time_writes(slow_sandbox, side_by_side) -> None:
    one_at_a_time = tap_messages(slow_sandbox.tap_config(stream_concurrency=1), STREAMS)
    expected, got = records_by_stream(one_at_a_time), records_by_stream(side_by_side)
    assert set(got) == set(expected)
    for stream, records in expected.items():
        assert without_load_times(got[stream]) == without_load_times(records), stream
    (*_, last_one) = (m for m in one_at_a_time if m["type"] == "STATE")
    (*_, last_many) = (m for m in side_by_side if m["type"] == "STATE")
    assert last_many["value"]["bookmarks"] == last_one["value"]["bookmarks"]


def test_every_stream_announces_its_schema_before_its_records(side_by_side) -> None:
    announced: set[str] = set()
    for message in side_by_side:
        if message["type"] == "SCHEMA":
            announced.add(message["stream"])
        elif message["type"] == "RECORD":
            assert message["stream"] in announced


def test_every_state_is_true_for_every_stream_when_written(slow_sandbox, side_by_side) -> None:
    """Message by message: a STATE never covers a record not yet written, whichever
    stream wrote it: the core feeds' resume points, and the list streams' bookmarks."""
    written: dict[str, set] = {}
    newest: dict[str, str] = {}
    checked = mid_stream = 0
    for message in side_by_side:
        if message["type"] == "RECORD":
            record = message["record"]
            written.setdefault(message["stream"], set()).add(record.get("id"))
            if record.get("modifiedOn"):
                newest[message["stream"]] = max(
                    newest.get(message["stream"], ""), record["modifiedOn"]
                )
            continue
        if message["type"] != "STATE":
            continue
        for stream, bookmark in message["value"].get("bookmarks", {}).items():
            token = bookmark.get("continue_from")
            if token and stream in CORE_STREAM_NAMES:  # the sandbox's versioned records
                covered = covered_ids(slow_sandbox, stream, token)
                assert covered <= written.get(stream, set()), stream
                mid_stream += covered != slow_sandbox.dataset.ids(stream)
                checked += 1
            elif bookmark.get("replication_key_value") and not token:
                assert bookmark["replication_key_value"][:19] <= newest[stream][:19], stream
                checked += 1
    assert checked > 50
    assert mid_stream > 10  # resume points inside streams, written while others ran


def test_faults_under_side_by_side_streams_lose_nothing() -> None:
    """429 storms (a server limit of 10/s against a client ceiling of 50), 5xx, dropped
    connections and tokens expiring every 2 s, four streams at a time."""
    with SandboxServer(customers=800, seed=21, export_page_size=50) as server:
        server.faults.configure(
            rate_limit=10, error_rate=0.1, drop_rate=0.05, token_lifetime=2, latency=0.01, seed=5
        )
        config = server.tap_config(stream_concurrency=4, max_retries=10)
        run = run_tap(config, catalog=catalog_selecting(config, CORE_STREAM_NAMES))
        counters = server.counters
        assert run.returncode == 0, run.stderr[-3000:]
        assert counters["429"] > 0 and counters["5xx"] > 0 and counters["token"] > 1
        for stream in CORE_STREAM_NAMES:
            assert run.ids(stream) == server.dataset.ids(stream), stream


def test_side_by_side_streams_stay_under_the_api_limit() -> None:
    """The one limiter bounds every request, child streams' own included (one per
    customer, eight at a time, beside eight streams): no 429 at ServiceTitan's 60/s."""
    with SandboxServer(customers=300, seed=22, export_page_size=50) as server:
        server.faults.configure(rate_limit=60)
        config = server.tap_config(
            stream_concurrency=8, child_concurrency=8, requests_per_second=50
        )
        run = run_tap(config, catalog=catalog_selecting(config, [*STREAMS, "customer_notes"]))
        assert run.returncode == 0, run.stderr[-3000:]
        assert run.ids("customer_notes")
        assert server.counters["by_endpoint"].get("crm/customers/{id}/notes", 0) >= 300
        assert server.counters["429"] == 0


def test_a_failing_stream_stops_the_others_in_one_line() -> None:
    """A stream denied access (403) ends the run: one line naming the scope, and the
    streams in flight send no more requests."""
    scopes = {"tn.crm.customers:r", "tn.crm.locations:r", "tn.jpm.jobs:r", "tn.jpm.appointments:r"}
    with SandboxServer(customers=2000, seed=23, export_page_size=50, scopes=scopes) as server:
        server.faults.configure(latency=0.02)
        config = server.tap_config(stream_concurrency=4)
        streams = ["customers", "locations", "jobs", "appointments", "invoices"]
        run = run_tap(config, catalog=catalog_selecting(config, streams))
        requests = server.counters["requests"]
    assert run.returncode != 0
    assert "tn.acc.invoices:r" in run.stderr and "Traceback" not in run.stderr
    assert run.stderr.count("tap-servicetitan: error:") == 1
    # 2,000 customers are 40 pages each of customers and locations: the run stopped early
    assert requests < 60


@pytest.mark.parametrize("batch", [True, False], ids=["batch", "records"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_stopped_at_a_random_moment_the_rerun_equals_the_sandbox(
    database, tmp_path, sig, batch
) -> None:
    """``meltano run`` with four streams at a time, stopped after a random number of
    requests (seeded by the test's id): SIGTERM to the tap (its supervisor stopping
    it; Meltano and the target finish), SIGKILL to every process of the run. The
    next run gives raw tables equal to the sandbox."""
    moment = random.Random(f"{sig.name}-{batch}").randint(5, 60)
    with SandboxServer(customers=1000, seed=24, export_page_size=50) as sandbox:
        project = MeltanoProject(sandbox, database, tmp_path, select=tuple(STREAMS))
        project.pipeline = ("run", "tap-servicetitan", "target-postgres")
        project.env["TAP_SERVICETITAN_STREAM_CONCURRENCY"] = "4"
        project.env["TARGET_POSTGRES_BATCH_SIZE_ROWS"] = "100"
        if batch:
            project.set_batch_config(batch_size=100)
        else:
            project.env["TAP_SERVICETITAN_BATCH_CONFIG"] = "{}"
        sandbox.faults.configure(latency=0.02)
        sandbox.reset_counters()
        reached = lambda: sandbox.counters["requests"] >= moment  # noqa: E731
        if sig == signal.SIGTERM:
            project.run_killing_tap(reached, sig)
        else:
            project.run_killed_when(reached, sig=sig)
        assert sandbox.counters["requests"] < 150, "the run was not stopped early"
        sandbox.faults.reset()
        project.run("--force")
        with project.connect() as conn:
            for stream in STREAMS:
                expected, fields = sandbox_keys(sandbox, stream)
                columns = ", ".join(f'"{field}"' for field in fields)
                rows = conn.execute(f"select {columns} from tap_servicetitan.{stream}").fetchall()
                loaded = {row[0] if len(fields) == 1 else tuple(row) for row in rows}
                assert loaded == expected, (stream, moment)


def test_the_tap_alone_with_stream_maps_pipes_into_a_singer_target(database, tmp_path) -> None:
    """``tap-servicetitan | target-postgres`` by hand (MeltanoLabs' own target, no
    Meltano), streams side by side and interleaved, with stream maps that hash
    e-mail addresses and drop a stream: every table equals the sandbox, and the
    target's last STATE is the tap's."""
    loader = isolation.ROOT / ".meltano" / "loaders" / "target-postgres" / "venv" / "bin"
    with SandboxServer(customers=300, seed=25, export_page_size=50) as sandbox:
        sandbox.faults.configure(latency=0.01)
        maps = {
            "customer_contacts": {"value": "md5(value) if type == 'Email' else value"},
            "technicians": None,
        }
        config = sandbox.tap_config(stream_concurrency=4, stream_maps=maps)
        files = {
            "config": config,
            "catalog": catalog_selecting(config, CORE_STREAM_NAMES),
            "target": {
                "host": database["host"],
                "port": database["port"],
                "user": database["user"],
                "password": "",
                "database": database["dbname"],
                "default_target_schema": "raw",
            },
        }
        for name, payload in files.items():
            (tmp_path / f"{name}.json").write_text(json.dumps(payload))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_"))}
        tap = subprocess.Popen(
            [
                TAP,
                "--config",
                str(tmp_path / "config.json"),
                "--catalog",
                str(tmp_path / "catalog.json"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        target = subprocess.run(
            [str(loader / "target-postgres"), "--config", str(tmp_path / "target.json")],
            stdin=tap.stdout,
            capture_output=True,
            env=env,
            timeout=600,
            check=False,
        )
        assert tap.wait(timeout=60) == 0
        assert target.returncode == 0, target.stderr[-3000:]
        contacts = {c["id"]: c for c in sandbox.dataset.records("customer_contacts")}
        with psycopg.connect(**database) as conn:
            tables = {
                r[0]
                for r in conn.execute(
                    "select table_name from information_schema.tables where table_schema = 'raw'"
                )
            }
            assert tables == set(CORE_STREAM_NAMES) - {"technicians"}
            for stream in tables:
                loaded = {r[0] for r in conn.execute(f"select id from raw.{stream}")}
                assert loaded == sandbox.dataset.ids(stream), stream
            rows = conn.execute("select id, type, value from raw.customer_contacts").fetchall()
    emails = 0
    for rid, kind, value in rows:
        original = contacts[rid]["value"]
        if kind == "Email":
            emails += 1
            assert value == hashlib.md5(original.encode()).hexdigest()  # noqa: S324
        else:
            assert value == original
    assert emails
    (*_, last) = target.stdout.decode().splitlines()
    bookmarks = json.loads(last)["bookmarks"]
    assert set(CORE_STREAM_NAMES) - {"technicians"} <= set(bookmarks)
