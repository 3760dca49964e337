"""The list-endpoint family (page / pageSize / hasMore) against the sandbox."""

from __future__ import annotations

import math

from tap_servicetitan.api import ServiceTitanApi
from tap_servicetitan.client import ListStream
from tap_servicetitan.tap import TapServiceTitan


class ActiveCustomersList(ListStream):
    """Declared like a real stream: a module, a name and a path."""

    module = "crm"
    name = "customers"
    path = "customers"
    page_size = 40


def test_list_stream_pages_until_has_more_is_false(fresh_sandbox) -> None:
    tap = TapServiceTitan(config=fresh_sandbox.tap_config())
    stream = ActiveCustomersList(tap=tap, api=ServiceTitanApi(tap.config))
    ids = [record["id"] for record in stream.get_records(None)]
    active = {r["id"] for r in fresh_sandbox.dataset.records("customers") if r["active"]}
    assert len(ids) == len(set(ids))
    assert set(ids) == active
    pages = fresh_sandbox.counters["by_endpoint"]["crm/customers"]
    assert pages == math.ceil(len(active) / ActiveCustomersList.page_size)
    assert fresh_sandbox.counters["token"] == 1
