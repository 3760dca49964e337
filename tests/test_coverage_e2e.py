"""``meltano run tap-servicetitan target-postgres`` with meltano.yml's default selection:
a fresh database, then an incremental run after a day of changes; every raw
table equals the sandbox."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from servicetitan_catalog.streams import DEFAULT_SELECTION
from servicetitan_sandbox import SandboxServer
from tap_servicetitan.reconciliation import COUNT_ENDPOINTS
from tap_servicetitan.streams import ALL_STREAMS
from tests.support.meltano_project import MeltanoProject
from tests.support.oracle import timestamp

pytestmark = pytest.mark.e2e

SELECTED = [stream for stream in ALL_STREAMS if stream.name in DEFAULT_SELECTION]


def schema_properties(name: str) -> dict:
    schema = resources.files("tap_servicetitan") / "schemas" / f"{name}.json"
    return json.loads(schema.read_text())["properties"]


def sandbox_records(server: SandboxServer, stream) -> tuple[dict, tuple[str, ...]]:
    """The sandbox's current records of a stream by key, and the key's fields."""
    if stream.name in server.dataset.by_id:
        return {r["id"]: r for r in server.dataset.records(stream.name)}, ("id",)
    collection = server.generic.collections[f"{stream.module}/{stream.path}"]
    if collection.keys == ("id",):
        return {key[0]: r for key, r in collection.records.items()}, ("id",)
    return dict(collection.records), collection.keys


def assert_raw_tables_equal_the_sandbox(project: MeltanoProject) -> None:
    with project.connect() as conn:
        for stream in SELECTED:
            current, keys = sandbox_records(project.sandbox, stream)
            columns = ", ".join(f'"{k}"' for k in keys)
            dated = "modifiedOn" in schema_properties(stream.name)
            extra = ', "modifiedOn"' if dated else ""
            rows = conn.execute(
                f"select {columns}{extra} from tap_servicetitan.{stream.name}"
            ).fetchall()
            width = len(keys)
            loaded = {(row[0] if width == 1 else tuple(row[:width])): row[width:] for row in rows}
            assert set(loaded) == set(current), stream.name
            if dated:
                stale = [
                    key
                    for key, record in current.items()
                    if record["modifiedOn"]
                    and timestamp(record["modifiedOn"]).replace(tzinfo=None) != loaded[key][0]
                ]
                assert not stale, f"{stream.name}: stale rows {stale[:5]}"


def test_default_selection_loads_every_table_then_runs_incrementally(database, tmp_path) -> None:
    with SandboxServer(customers=60, seed=13, export_page_size=50) as sandbox:
        project = MeltanoProject(sandbox, database, tmp_path, select=None)
        first = project.meltano("run", "tap-servicetitan", "target-postgres")
        assert first.returncode == 0, first.stderr[-4000:]
        assert_raw_tables_equal_the_sandbox(project)
        first_requests = sandbox.counters["requests"]
        sandbox.mutate(fraction=0.05, seed=4)
        sandbox.reset_counters()
        second = project.meltano("run", "tap-servicetitan", "target-postgres")
        assert second.returncode == 0, second.stderr[-4000:]
        assert_raw_tables_equal_the_sandbox(project)
        # incremental: one or two pages per stream, not the first run's reads
        assert sandbox.counters["requests"] < first_requests
        # each stream's endpoint, and the list endpoints that counted its records (record_counts)
        counted = {
            f"{s.module}/{COUNT_ENDPOINTS[s.name][0]}"
            for s in SELECTED
            if s.name in COUNT_ENDPOINTS
        }
        assert (
            set(sandbox.counters["by_endpoint"])
            == {f"{s.module}/{s.path}" for s in SELECTED} | counted
        )
