"""Dispatch module: how business hours and capacity, which are not collections, are read.

Their rows (name, endpoint, scope, key) are in servicetitan_catalog.streams; the
module's other streams are made from their rows alone (declare.py).
"""

from __future__ import annotations

import datetime as dt
import typing as t

from typing_extensions import override

from tap_servicetitan.pagination import ONE_RECORD, page_body
from tap_servicetitan.windows import (
    WINDOW_END,
    WINDOW_START,
    WholeAnswerStream,
    WindowStream,
    daily_windows,
    today_utc,
)

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests
    from singer_sdk.helpers.types import Context

#: Days of capacity each run asks for, from the run's date (UTC).
CAPACITY_DAYS = 14


class BusinessHoursStream(WholeAnswerStream):
    """``dispatch/business-hours``: the tenant's business hours, one record keyed by the tenant."""

    records_in = ONE_RECORD


class CapacitiesStream(WindowStream):
    """``dispatch/capacity`` (a POST): bookable capacity over the coming CAPACITY_DAYS days.

    One request per run; a row per time frame and set of business units. Rows
    of past time frames stay as last computed (``timeStamp``, the answer's).
    """

    records_in = "availabilities"
    paged = False
    windows_text = f"the next {CAPACITY_DAYS} days, each run"
    added_properties: t.ClassVar[dict[str, dict]] = {
        "businessUnitKey": {"type": "string"},
        "timeStamp": {"type": ["string", "null"], "format": "date-time"},
    }

    @override
    def windows(self) -> list[tuple[dt.datetime, dt.datetime]]:
        days = daily_windows(today_utc() + dt.timedelta(days=CAPACITY_DAYS - 1), CAPACITY_DAYS)
        return [(days[0][0], days[-1][1])]

    @override
    def prepare_request_payload(
        self, context: Context | None, next_page_token: t.Any
    ) -> dict | None:
        context = context or {}
        return {
            "startsOnOrAfter": context.get(WINDOW_START),
            "endsOnOrBefore": context.get(WINDOW_END),
            "skillBasedAvailability": False,
        }

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        stamp = page_body(response).get("timeStamp")
        for record in super().parse_response(response):
            record["timeStamp"] = stamp
            yield record

    @override
    def key_fields(self, record: dict) -> dict[str, t.Any]:
        ids = record.get("businessUnitIds") or []
        return {"businessUnitKey": ",".join(str(i) for i in sorted(ids, key=str))}


#: The classes of the module's custom rows (servicetitan_catalog.streams), by stream name.
CUSTOM = {"business_hours": BusinessHoursStream, "capacities": CapacitiesStream}
