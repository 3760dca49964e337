"""The record_counts stream at the tap level: first of the run, one count per stream.

Against the sandbox over HTTP; the expected totals are the sandbox's own
records, counted here.
"""

from __future__ import annotations

import datetime as dt
import email.utils

import requests

from servicetitan_catalog.reference import endpoints, url
from servicetitan_catalog.streams import CORE_STREAMS
from servicetitan_devtools.tap_runner import catalog_selecting, run_tap
from tap_servicetitan.reconciliation import COUNT_ENDPOINTS
from tap_servicetitan.streams import ALL_STREAMS
from tap_servicetitan.windows import WindowStream

STREAMS = ["customers", "customer_notes", "invoice_items", "job_types", "record_counts"]


def test_counts_come_first_bounded_by_the_api_clock_and_say_what_was_not_counted(
    fresh_sandbox,
) -> None:
    sandbox = fresh_sandbox
    config = sandbox.tap_config(requests_per_second=400)
    run = run_tap(config, catalog=catalog_selecting(config, STREAMS))
    assert run.returncode == 0, run.stderr[-2000:]

    rows = {row["stream"]: row for row in run.records["record_counts"]}
    assert set(rows) == set(STREAMS) - {"record_counts"}
    # counted before any stream read a record: record_counts' records come first
    assert next(iter(run.records)) == "record_counts"

    clock = requests.get(f"{sandbox.url}/_sandbox/health", timeout=10).headers["Date"]
    api_now = email.utils.parsedate_to_datetime(clock)
    customers = rows["customers"]
    assert dt.datetime.fromisoformat(customers["counted_before"]) == api_now
    assert customers["api_total"] == sandbox.dataset.count("customers")
    assert customers["count_endpoint"] == "crm/customers"
    job_types = rows["job_types"]
    collection = sandbox.generic.collections["jpm/job-types"]
    assert job_types["api_total"] == len(collection.records)
    assert rows["invoice_items"]["api_total"] is None
    assert "no list endpoint" in rows["invoice_items"]["note"]
    assert rows["customer_notes"]["api_total"] is None
    assert "per parent" in rows["customer_notes"]["note"]
    # one request per counted stream and one for the API's clock
    assert sandbox.counters["by_endpoint"]["crm/customers"] == 2  # the clock, then the count
    assert sandbox.counters["by_endpoint"]["jpm/job-types"] == 2  # the count, then the stream


def test_count_endpoints_are_those_of_the_api_reference() -> None:
    """COUNT_ENDPOINTS, derived afresh: each stream's list endpoint with includeTotal
    (an export feed's: the list of the same resource), and whether it takes createdBefore."""
    reference = endpoints()
    derived = {}
    for stream in ALL_STREAMS:
        if issubclass(stream, WindowStream):
            continue  # a report over a moving window: a count of one window is not the table's
        resource = stream.path.removeprefix("export/")
        endpoint = reference.get(url(stream.module, resource))
        if endpoint and endpoint["kind"] == "list" and "includeTotal" in endpoint["query"]:
            derived[stream.name] = (resource, "createdBefore" in endpoint["query"])
    assert derived == COUNT_ENDPOINTS
    # the core streams are all counted, bounded by their creation time
    assert all(COUNT_ENDPOINTS[name][1] for name in CORE_STREAMS)
