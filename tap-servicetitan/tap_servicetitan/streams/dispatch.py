"""Dispatch module (``dispatch/v2/tenant/{tenant}/...``): its streams, one row each,
then business hours and capacity, which are not collections (windows.py)."""

from __future__ import annotations

import datetime as dt
import typing as t

from typing_extensions import override

from tap_servicetitan.pagination import ONE_RECORD, page_body
from tap_servicetitan.streams.declare import Module
from tap_servicetitan.tenant import TENANT_FIELD
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

dispatch = Module("dispatch")

STREAMS = (
    dispatch.export(
        "appointment_assignments",
        "export/appointment-assignments",
        scope="tn.dis.appointmentassignments:r",
        active=True,
    ),
    dispatch.listing(
        "arrival_windows", "arrival-windows", scope="tn.dis.arrivalwindows:r", active=True
    ),
    dispatch.listing(
        "non_job_appointments",
        "non-job-appointments",
        scope="tn.dis.nonjobappointments:r",
        incremental=True,
    ),
    dispatch.listing("teams", "teams", scope="tn.dis.teams:r", incremental=True),
    dispatch.listing(
        "technician_shifts",
        "technician-shifts",
        scope="tn.dis.technicianshifts:r",
        incremental=True,
        active=True,
    ),
    dispatch.listing(
        "technician_skills",
        "technician-skills",
        scope="tn.dis.technicianskills:r",
        incremental=True,
        active=True,
    ),
    dispatch.listing("zones", "zones", scope="tn.dis.zones:r", incremental=True, active=True),
)


class BusinessHoursStream(WholeAnswerStream):
    """``dispatch/business-hours``: the tenant's business hours, one record keyed by the tenant."""

    module = "dispatch"
    name = "business_hours"
    path = "business-hours"
    scope = "tn.dis.businesshours:r"
    records_in = ONE_RECORD
    primary_keys = (TENANT_FIELD,)


class CapacitiesStream(WindowStream):
    """``dispatch/capacity`` (a POST): bookable capacity over the coming CAPACITY_DAYS days.

    One request per run; a row per time frame and set of business units. Rows
    of past time frames stay as last computed (``timeStamp``, the answer's).
    """

    module = "dispatch"
    name = "capacities"
    path = "capacity"
    request_method = "POST"
    scope = "tn.dis.capacity:w"
    records_in = "availabilities"
    paged = False
    primary_keys = ("startUtc", "endUtc", "businessUnitKey")
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


STREAMS = (*STREAMS, BusinessHoursStream, CapacitiesStream)
