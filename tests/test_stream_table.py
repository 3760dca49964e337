"""The docs' stream table (docs/streams.md) is the code's, every tenant-wide endpoint is
a stream or excluded with a reason, and meltano.yml selects the default set."""

from __future__ import annotations

import yaml

from servicetitan_catalog.streams import DEFAULT_SELECTION
from servicetitan_devtools.doc_sections import ROOT
from servicetitan_devtools.stream_table import (
    EXCLUDED,
    SECTION,
    rendered,
    tenant_wide_endpoints,
)
from tap_servicetitan.streams import ALL_STREAMS

STREAM_ENDPOINTS = {f"{stream.module}/{stream.path}" for stream in ALL_STREAMS}


def test_docs_stream_table_is_generated_from_the_declarations() -> None:
    assert SECTION.current() == rendered(), (
        "docs/streams.md's stream table is stale: run servicetitan-stream-table --write"
    )


def test_every_tenant_wide_endpoint_is_a_stream_or_excluded_with_a_reason() -> None:
    assert not STREAM_ENDPOINTS & set(EXCLUDED)
    assert tenant_wide_endpoints() == STREAM_ENDPOINTS | set(EXCLUDED)
    assert all(reason.strip() for reason in EXCLUDED.values())


def test_stream_names_are_unique() -> None:
    names = [stream.name for stream in ALL_STREAMS]
    assert len(names) == len(set(names))


def test_meltano_selects_the_default_set() -> None:
    manifest = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    (tap,) = [p for p in manifest["plugins"]["extractors"] if p["name"] == "tap-servicetitan"]
    assert tap["select"] == [f"{name}.*" for name in DEFAULT_SELECTION]
    # record_counts: the API's counts (tap_servicetitan/reconciliation.py), not an endpoint's stream
    assert set(DEFAULT_SELECTION) <= {stream.name for stream in ALL_STREAMS} | {"record_counts"}
