"""The docs' child-stream table (docs/child-streams.md) is the code's, and every
per-parent endpoint of the API reference is a child stream or excluded with a reason."""

from __future__ import annotations

from servicetitan_catalog.child_streams import CHILD_ROWS
from servicetitan_devtools.child_table import (
    EXCLUDED,
    SECTION,
    per_parent_endpoints,
    rendered,
)
from tap_servicetitan.streams import ALL_STREAMS, CHILD_STREAMS

CHILD_ENDPOINTS = {f"{row.module}/{row.path}" for row in CHILD_ROWS}


def test_docs_child_table_is_generated_from_the_rows() -> None:
    assert SECTION.current() == rendered(), (
        "docs/child-streams.md's child-stream table is stale: run servicetitan-child-table --write"
    )


def test_every_per_parent_endpoint_is_a_child_stream_or_excluded_with_a_reason() -> None:
    assert not CHILD_ENDPOINTS & set(EXCLUDED)
    assert set(per_parent_endpoints()) == CHILD_ENDPOINTS | set(EXCLUDED)
    assert all(reason.strip() for reason in EXCLUDED.values())


def test_every_row_is_a_child_stream_of_a_tenant_wide_stream() -> None:
    parents = {stream.name for stream in ALL_STREAMS}
    assert {row.parent for row in CHILD_ROWS} <= parents
    assert [stream.name for stream in CHILD_STREAMS] == [row.name for row in CHILD_ROWS]
    assert not {row.name for row in CHILD_ROWS} & parents


def test_each_row_names_the_scope_of_its_endpoint() -> None:
    scopes = per_parent_endpoints()
    for row in CHILD_ROWS:
        assert scopes[f"{row.module}/{row.path}"] == row.scope, row.name
