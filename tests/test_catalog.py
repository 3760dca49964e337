"""The catalog's rows agree with the API reference and with each other.

Every tenant-wide endpoint of the reference is a stream or left out with a
reason (servicetitan_devtools.stream_table.EXCLUDED); every per-parent endpoint
is a child stream or left out with a reason (child_table.EXCLUDED); each row
names its endpoint's scope; names are unique; a child's parent is a stream;
the default selection is made of streams.
"""

from __future__ import annotations

from servicetitan_catalog.child_streams import CHILD_ROWS
from servicetitan_catalog.raw_tables import RAW_TABLES
from servicetitan_catalog.streams import DEFAULT_SELECTION, RECORD_COUNTS, STREAMS
from servicetitan_devtools import child_table, stream_table
from tap_servicetitan.streams import CHILD_STREAMS

STREAM_ENDPOINTS = {stream.endpoint for stream in STREAMS}
CHILD_ENDPOINTS = {f"{row.module}/{row.path}" for row in CHILD_ROWS}
STREAM_NAMES = {stream.name for stream in STREAMS}


def test_every_tenant_wide_endpoint_is_a_stream_or_excluded_with_a_reason() -> None:
    assert not STREAM_ENDPOINTS & set(stream_table.EXCLUDED)
    assert stream_table.tenant_wide_endpoints() == STREAM_ENDPOINTS | set(stream_table.EXCLUDED)
    assert all(reason.strip() for reason in stream_table.EXCLUDED.values())


def test_every_per_parent_endpoint_is_a_child_stream_or_excluded_with_a_reason() -> None:
    assert not CHILD_ENDPOINTS & set(child_table.EXCLUDED)
    assert set(child_table.per_parent_endpoints()) == CHILD_ENDPOINTS | set(child_table.EXCLUDED)
    assert all(reason.strip() for reason in child_table.EXCLUDED.values())


def test_each_child_row_names_the_scope_of_its_endpoint() -> None:
    scopes = child_table.per_parent_endpoints()
    for row in CHILD_ROWS:
        assert scopes[f"{row.module}/{row.path}"] == row.scope, row.name


def test_names_are_unique_and_every_child_has_a_stream_for_parent() -> None:
    names = [stream.name for stream in STREAMS] + [row.name for row in CHILD_ROWS]
    assert len(names) == len(set(names))
    assert {row.parent for row in CHILD_ROWS} <= STREAM_NAMES
    assert [stream.name for stream in CHILD_STREAMS] == [row.name for row in CHILD_ROWS]


def test_the_default_selection_is_made_of_streams_and_holds_every_raw_table() -> None:
    # record_counts: the API's counts (tap_servicetitan/reconciliation.py), no endpoint's stream
    assert set(DEFAULT_SELECTION) <= STREAM_NAMES | {RECORD_COUNTS}
    assert {table.name for table in RAW_TABLES} <= set(DEFAULT_SELECTION)
    assert all(stream.selected for stream in STREAMS if stream.core)
