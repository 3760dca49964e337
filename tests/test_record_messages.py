"""The per-record path: the RECORD messages singer-sdk's own step would make, for less CPU."""

from __future__ import annotations

import copy
import logging

import orjson
import pytest
from singer_sdk.helpers._catalog import pop_deselected_record_properties
from singer_sdk.helpers._typing import conform_record_data_types
from singer_sdk.helpers.conform import TypeConformanceLevel

from tap_servicetitan.streams import CORE_STREAMS
from tap_servicetitan.tap import TapServiceTitan

STREAMS = [stream.name for stream in CORE_STREAMS]
SAMPLE = 200


def api_records(sandbox, stream: str) -> list[dict]:
    """Records as the API sends them: through JSON, as the tap reads them."""
    return orjson.loads(orjson.dumps(sandbox.dataset.records(stream)[:SAMPLE]))


def tap_with(sandbox, deselected: dict[str, list[tuple[str, ...]]] | None = None):
    """The tap, every stream selected, minus the ``deselected`` property breadcrumbs."""
    catalog = TapServiceTitan(config=sandbox.tap_config()).catalog_dict
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            breadcrumb = tuple(metadata["breadcrumb"])
            if not breadcrumb:
                metadata["metadata"]["selected"] = True
            elif breadcrumb in (deselected or {}).get(entry["tap_stream_id"], []):
                metadata["metadata"]["selected"] = False
    return TapServiceTitan(config=sandbox.tap_config(), catalog=catalog)


def sdk_step(stream, record: dict) -> dict:
    """What singer-sdk's own step made of a record with ROOT_ONLY conformance (before),
    once the tap has stamped it with its tenant."""
    record["tenant_id"] = int(stream.config["tenant_id"])
    pop_deselected_record_properties(record, stream.schema, stream.mask)
    return conform_record_data_types(
        stream.name, record, stream.effective_schema, TypeConformanceLevel.ROOT_ONLY, stream.logger
    )


def both_paths(stream, records: list[dict]) -> tuple[list[dict], list[dict]]:
    before = [sdk_step(stream, stream.post_process(copy.deepcopy(r))) for r in records]
    after = [
        message.record
        for r in records
        for message in stream._generate_record_messages(stream.post_process(copy.deepcopy(r)))
    ]
    return before, after


@pytest.mark.parametrize("name", STREAMS)
def test_records_equal_singer_sdk_conformed_records(sandbox, name) -> None:
    stream = tap_with(sandbox).streams[name]
    records = api_records(sandbox, name)
    before, after = both_paths(stream, records)
    assert after == before
    assert len(after) == len(records)


def test_deselected_properties_are_removed_at_any_depth(sandbox) -> None:
    deselected = {
        "customers": [("properties", "balance"), ("properties", "address", "properties", "street")],
        "jobs": [("properties", "summary")],
    }
    tap = tap_with(sandbox, deselected)
    before, customers = both_paths(tap.streams["customers"], api_records(sandbox, "customers"))
    assert customers == before
    assert all("balance" not in c and "street" not in c["address"] for c in customers)
    assert all("city" in c["address"] for c in customers)
    before, jobs = both_paths(tap.streams["jobs"], api_records(sandbox, "jobs"))
    assert jobs == before
    assert all("summary" not in j and "jobStatus" in j for j in jobs)


def test_properties_unknown_to_the_schema_are_dropped_with_one_warning(sandbox, caplog) -> None:
    stream = tap_with(sandbox).streams["customers"]
    records = api_records(sandbox, "customers")[:3]
    for record in records:
        record["brandNewField"] = {"nested": 1}
    before = [sdk_step(stream, copy.deepcopy(r)) for r in records]
    caplog.clear()  # singer-sdk's own warning, from the step above
    with caplog.at_level(logging.WARNING):
        after = [m.record for r in records for m in stream._generate_record_messages(r)]
    assert after == before
    assert all("brandNewField" not in r for r in after)
    warnings = [r for r in caplog.records if "brandNewField" in r.getMessage()]
    assert len(warnings) == 1
    assert "customers" in warnings[0].getMessage()


def test_schema_drift_is_logged_once_per_field_naming_the_regenerate_command(
    sandbox, caplog
) -> None:
    stream = tap_with(sandbox).streams["invoices"]
    records = api_records(sandbox, "invoices")[:4]
    records[0]["driftOne"] = 1
    records[1]["driftOne"] = 2
    records[2]["driftTwo"] = "x"
    records[3]["driftOne"] = 3
    with caplog.at_level(logging.WARNING):
        for record in records:
            list(stream._generate_record_messages(record))
    drift = [r.getMessage() for r in caplog.records if "drift" in r.getMessage()]
    assert len(drift) == 2
    assert ["driftOne" in m for m in drift] == [True, False]
    assert all("invoices" in m and "servicetitan-generate" in m for m in drift)


@pytest.mark.parametrize("name", STREAMS)
def test_every_record_and_schema_carries_the_tenant(sandbox, name) -> None:
    stream = tap_with(sandbox, {name: [("properties", "tenant_id")]}).streams[name]
    assert stream.schema["properties"]["tenant_id"]["type"] == ["integer"]
    records = api_records(sandbox, name)[:5]
    messages = [m.record for r in records for m in stream._generate_record_messages(r)]
    assert len(messages) == len(records)
    # deselecting it changes nothing: like the key, it is always selected
    assert {m["tenant_id"] for m in messages} == {sandbox.tenant_id}


def test_every_discovered_stream_declares_the_tenant_always_selected(sandbox) -> None:
    """Declarative and child streams too: the tenant is the base stream's, not per stream."""
    catalog = TapServiceTitan(config=sandbox.tap_config()).catalog_dict
    assert len(catalog["streams"]) > len(STREAMS)
    for entry in catalog["streams"]:
        assert entry["schema"]["properties"]["tenant_id"] == {
            "type": ["integer"],
            "description": "The ServiceTitan tenant the record was read from (added by the tap).",
        }, entry["tap_stream_id"]
        (tenant,) = [m for m in entry["metadata"] if m["breadcrumb"] == ["properties", "tenant_id"]]
        assert tenant["metadata"]["inclusion"] == "automatic", entry["tap_stream_id"]
