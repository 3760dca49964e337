"""A full sandbox sync: complete, schema-valid records and a frugal request count."""

from __future__ import annotations

import json
import math
from importlib import resources

import jsonschema
import pytest

from servicetitan_devtools.tap_runner import catalog_selecting, run_tap
from tap_servicetitan.streams import CORE_STREAMS

# The nine core streams (every stream: test_coverage_sync.py).
STREAMS = [stream.name for stream in CORE_STREAMS]
EXPORT_ENDPOINTS = {stream.name: f"{stream.module}/{stream.path}" for stream in CORE_STREAMS}


@pytest.fixture(scope="module")
def full_run(sandbox):
    sandbox.faults.reset()
    sandbox.reset_counters()
    config = sandbox.tap_config()
    run = run_tap(config, catalog=catalog_selecting(config, STREAMS))
    return run, sandbox.counters


def test_full_sync_succeeds(full_run) -> None:
    run, _ = full_run
    assert run.returncode == 0, run.stderr
    assert set(run.records) == set(STREAMS)


@pytest.mark.parametrize("stream", STREAMS)
def test_every_record_of_the_tenant_arrives_once(full_run, sandbox, stream) -> None:
    run, _ = full_run
    ids = [record["id"] for record in run.records[stream]]
    assert len(ids) == len(set(ids))
    assert set(ids) == sandbox.dataset.ids(stream)
    assert len(ids) > 0


@pytest.mark.parametrize("stream", STREAMS)
def test_every_record_validates_against_its_schema(full_run, stream) -> None:
    run, _ = full_run
    schema = json.loads(
        (resources.files("tap_servicetitan") / "schemas" / f"{stream}.json").read_text()
    )
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    for record in run.records[stream]:
        errors = list(validator.iter_errors(record))
        assert not errors, f"{stream} {record['id']}: {errors[0].message}"


def test_contacts_and_locations_carry_their_parent_id(full_run, sandbox) -> None:
    run, _ = full_run
    customers = sandbox.dataset.ids("customers")
    locations = sandbox.dataset.ids("locations")
    assert all(c["customerId"] in customers for c in run.records["customer_contacts"])
    assert all(loc["customerId"] in customers for loc in run.records["locations"])
    assert all(c["locationId"] in locations for c in run.records["location_contacts"])


def test_inactive_and_merged_records_are_emitted(full_run) -> None:
    run, _ = full_run
    customers = run.records["customers"]
    assert any(not c["active"] for c in customers)
    assert any(c["mergedToId"] for c in customers)
    assert any(not c["active"] for c in run.records["customer_contacts"])


def test_invoice_money_is_exact_numbers(full_run, sandbox) -> None:
    run, _ = full_run
    source = {r["id"]: r for r in sandbox.dataset.records("invoices")}
    for record in run.records["invoices"]:
        for field in ("total", "balance", "subTotal", "salesTax"):
            raw = source[record["id"]][field]
            if raw is None:
                assert record[field] is None
            else:
                assert isinstance(record[field], (int, float))
                assert f"{float(raw):.2f}" == f"{record[field]:.2f}"


def test_one_request_per_export_page_and_one_token(full_run, sandbox) -> None:
    _, counters = full_run
    page = sandbox.export_page_size
    assert counters["token"] == 1
    for stream, endpoint in EXPORT_ENDPOINTS.items():
        pages = max(1, math.ceil(len(sandbox.dataset.ids(stream)) / page))
        assert counters["by_endpoint"][endpoint] == pages, stream
    assert counters["requests"] == sum(counters["by_endpoint"].values())


def test_state_holds_one_resume_point_per_stream(full_run) -> None:
    run, _ = full_run
    bookmarks = run.final_state["bookmarks"]
    for stream in STREAMS:
        assert bookmarks[stream]["continue_from"]
        assert bookmarks[stream]["replication_key"] == "modifiedOn"
        assert len(json.dumps(bookmarks[stream])) < 400


def test_state_is_emitted_after_every_page(full_run, sandbox) -> None:
    run, counters = full_run
    # one STATE per page (plus the SDK's own start/end messages)
    pages = sum(counters["by_endpoint"].values())
    assert len(run.states) >= pages


def test_selected_streams_only(sandbox) -> None:
    config = sandbox.tap_config()
    sandbox.reset_counters()
    run = run_tap(config, catalog=catalog_selecting(config, {"customer_contacts"}))
    assert run.returncode == 0, run.stderr
    assert set(run.records) == {"customer_contacts"}
    assert set(sandbox.counters["by_endpoint"]) == {"crm/export/customers/contacts"}


def test_start_date_limits_the_first_run(sandbox) -> None:
    records = sandbox.dataset.records("customers")
    cutoff = sorted(r["modifiedOn"] for r in records)[len(records) // 2]
    config = sandbox.tap_config(start_date=cutoff)
    run = run_tap(config, catalog=catalog_selecting(config, {"customers"}))
    assert run.returncode == 0, run.stderr
    expected = {r["id"] for r in records if r["modifiedOn"] >= cutoff}
    assert run.ids("customers") == expected
    assert 0 < len(expected) < len(records)
