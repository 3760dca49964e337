"""``--discover`` equals the stored catalog, so every schema change shows in review.

After an intended change: ``UPDATE_SNAPSHOTS=1 pytest tests/test_catalog_snapshot.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from servicetitan_catalog.child_streams import CHILD_ROWS
from servicetitan_catalog.streams import CORE_STREAMS
from servicetitan_devtools.tap_runner import discover

CHILD_STREAMS = {row.name: row for row in CHILD_ROWS}

SNAPSHOT = Path(__file__).parent / "snapshots" / "catalog.json"
CONFIG = {"client_id": "x", "client_secret": "x", "st_app_key": "x", "tenant_id": "1"}


def test_discovered_catalog_matches_the_snapshot() -> None:
    catalog = discover(CONFIG)
    rendered = json.dumps(catalog, indent=2, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(rendered)
    assert rendered == SNAPSHOT.read_text(), (
        "the discovered catalog changed; review it and rerun with UPDATE_SNAPSHOTS=1"
    )


def test_every_core_stream_is_incremental_on_modified_on_with_key_id() -> None:
    for entry in discover(CONFIG)["streams"]:
        if entry["tap_stream_id"] not in CORE_STREAMS:
            continue
        assert entry["replication_method"] == "INCREMENTAL"
        assert entry["replication_key"] == "modifiedOn"
        assert entry["key_properties"] == ["id"]


def test_child_streams_are_opt_in_and_keyed_by_their_parent() -> None:
    children = [e for e in discover(CONFIG)["streams"] if e["tap_stream_id"] in CHILD_STREAMS]
    assert {e["tap_stream_id"] for e in children} == set(CHILD_STREAMS)
    for entry in children:
        row = CHILD_STREAMS[entry["tap_stream_id"]]
        (stream_metadata,) = [m for m in entry["metadata"] if m["breadcrumb"] == []]
        assert stream_metadata["metadata"]["selected-by-default"] is False
        assert entry["key_properties"][0] == row.parent_key
        assert row.parent_key in entry["schema"]["required"]


def test_every_stream_declares_a_primary_key_in_its_schema() -> None:
    for entry in discover(CONFIG)["streams"]:
        assert entry["key_properties"], entry["tap_stream_id"]
        properties = entry["schema"]["properties"]
        assert set(entry["key_properties"]) <= set(properties), entry["tap_stream_id"]
