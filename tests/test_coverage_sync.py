"""Every stream against the sandbox: all records, schema-valid, cheap; declarations
that agree with the API reference."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from servicetitan_catalog.reference import decimal_string_fields, endpoints, url
from servicetitan_catalog.streams import CORE_STREAMS
from servicetitan_devtools.tap_runner import run_tap
from servicetitan_sandbox import SandboxServer
from tap_servicetitan.client import ExportStream
from tap_servicetitan.streams import ALL_STREAMS
from tap_servicetitan.windows import WholeAnswerStream, WindowStream

#: The collections; the reports and single answers of windows.py, which the sandbox
#: computes per request, have tests/test_window_streams.py.
STREAMS = {
    stream.name: stream
    for stream in ALL_STREAMS
    if not issubclass(stream, (WindowStream, WholeAnswerStream))
}


def endpoint_of(stream) -> str:
    return f"{stream.module}/{stream.path}"


def reference_of(stream) -> dict:
    return endpoints()[url(stream.module, stream.path)]


def sandbox_keys(server: SandboxServer, stream) -> tuple[set, tuple[str, ...]]:
    """The keys of the records the sandbox holds for a stream, and their fields."""
    if stream.name in CORE_STREAMS:
        return server.dataset.ids(stream.name), ("id",)
    collection = server.generic.collections[endpoint_of(stream)]
    return collection.ids(), collection.keys


def emitted_keys(records: list[dict], fields: tuple[str, ...]) -> list:
    if fields == ("id",):
        return [record["id"] for record in records]
    return [tuple(record[f] for f in fields) for record in records]


@pytest.fixture(scope="module")
def server():
    with SandboxServer(customers=80, seed=5, export_page_size=40) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def full_run(server):
    server.reset_counters()
    run = run_tap(server.tap_config())
    return run, server.counters


def test_the_tap_syncs_every_tenant_wide_collection_it_declares(full_run) -> None:
    run, _ = full_run
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(STREAMS) > 120
    assert set(run.records) == set(STREAMS)


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_every_record_arrives_once_and_is_schema_valid(full_run, server, name) -> None:
    run, _ = full_run
    stream = STREAMS[name]
    expected, fields = sandbox_keys(server, stream)
    keys = emitted_keys(run.records[name], fields)
    assert len(keys) == len(set(keys))
    assert set(keys) == expected
    schema = json.loads(
        (resources.files("tap_servicetitan") / "schemas" / f"{name}.json").read_text()
    )
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    for record in run.records[name]:
        errors = list(validator.iter_errors(record))
        assert not errors, f"{name}: {errors[0].message}"


def test_one_request_per_page_and_one_token(full_run, server) -> None:
    _, counters = full_run
    assert counters["token"] == 1
    for stream in STREAMS.values():
        count = len(sandbox_keys(server, stream)[0])
        page = server.export_page_size if issubclass(stream, ExportStream) else stream.page_size
        pages = max(1, -(-count // page))
        assert counters["by_endpoint"][endpoint_of(stream)] == pages, stream.name


def test_money_sent_as_decimal_strings_arrives_as_exact_numbers(full_run) -> None:
    run, _ = full_run
    seen = 0
    for stream in STREAMS.values():
        endpoint_url = url(stream.module, stream.path)
        for field in decimal_string_fields(endpoint_url):
            values = [r[field] for r in run.records[stream.name] if r.get(field) is not None]
            assert all(isinstance(v, (int, float)) for v in values), (stream.name, field)
            seen += len(values)
    assert seen > 0


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_declarations_agree_with_the_reference(name) -> None:
    """Scope, ``active`` filter and incremental method follow from the endpoint's facts."""
    stream = STREAMS[name]
    endpoint = reference_of(stream)
    assert stream.scope in endpoint["scopes"]
    assert stream.filters_active == ("active" in endpoint["query"])
    assert set(stream.primary_keys) <= set(endpoint["fields"])
    if not issubclass(stream, ExportStream):
        incremental = (
            "modifiedOnOrAfter" in endpoint["query"] and "modifiedOn" in endpoint["fields"]
        )
        assert (stream.replication_key == "modifiedOn") == incremental
