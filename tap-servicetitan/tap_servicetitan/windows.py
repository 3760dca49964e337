"""Streams over endpoints that answer for a time window, or in one answer.

Some endpoints are not collections one pages through by change date:

- reports over a window (``marketingads/performance``, ``marketing/campaign-cost-summary``,
  ``dispatch/capacity``): the stream asks for each of its windows (singer-sdk
  partitions, one context per window) and stamps every record with the window
  it answers for, so the window is part of the record's key. The windows move
  with the run's date (UTC): each run reads the trailing (or, for capacity,
  the coming) windows again, and the loader upserts them by key, which keeps
  late changes (a lead attributed later, a job sold later) in the warehouse;
- answers that are one record or one unpaged list (``dispatch/business-hours``,
  ``marketingads/capacity-warnings``), read whole each run.

None of them has a bookmark: their state is one empty entry, never one per window.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from typing_extensions import override

from tap_servicetitan.client import ListStream

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

#: Context keys of a window: its first instant and the instant after its last (UTC).
WINDOW_START = "window_start"
WINDOW_END = "window_end"


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def today_utc() -> dt.date:
    """The run's date (UTC): where the windows end (or, for capacity, start)."""
    return dt.datetime.now(dt.timezone.utc).date()


def daily_windows(last_day: dt.date, days: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """``days`` one-day windows, oldest first, the last being ``last_day``."""
    first = last_day - dt.timedelta(days=days - 1)
    return [
        (_midnight(first + dt.timedelta(days=n)), _midnight(first + dt.timedelta(days=n + 1)))
        for n in range(days)
    ]


def monthly_windows(last_day: dt.date, months: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """``months`` calendar-month windows, oldest first, the last holding ``last_day``."""
    windows = []
    year, month = last_day.year, last_day.month
    for _ in range(months):
        start = dt.datetime(year, month, 1, tzinfo=dt.timezone.utc)
        end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=dt.timezone.utc)
        windows.append((start, end))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return windows[::-1]


class WholeAnswerStream(ListStream):
    """An endpoint answering everything in one request (no paging, no bookmark)."""

    paged = False
    replication_key = None
    state_partitioning_keys: t.ClassVar[list[str]] = []  # type: ignore[misc]
    selected_by_default = False


class WindowStream(ListStream):
    """An endpoint asked once per window (see the module docstring).

    Subclasses say which windows (:meth:`windows`), how a window is asked for
    (:meth:`window_params`, or the request body for a POST) and what a record
    carries of it (:meth:`window_fields`); :meth:`key_fields` adds the
    top-level key fields the API nests (``campaign.id`` as ``campaignId``).
    """

    replication_key = None
    #: One state entry for the stream, never one per window.
    state_partitioning_keys: t.ClassVar[list[str]] = []  # type: ignore[misc]
    selected_by_default = False
    #: Names of the window's query parameters: its start and its end.
    window_param_names: t.ClassVar[tuple[str, str]] = ("fromUtc", "toUtc")
    #: Further query parameters of every request.
    extra_params: t.ClassVar[dict[str, str]] = {}
    #: The windows, in words (the stream table's "incremental method").
    windows_text: t.ClassVar[str] = ""

    def windows(self) -> list[tuple[dt.datetime, dt.datetime]]:
        """The windows of this run, oldest first."""
        raise NotImplementedError

    def window_fields(self, start: dt.datetime, end: dt.datetime) -> dict[str, t.Any]:
        """What each record of a window carries of it."""
        return {}

    def key_fields(self, record: dict) -> dict[str, t.Any]:
        """Top-level copies of the nested fields that key a record."""
        return {}

    @property
    @override
    def partitions(self) -> list[dict]:
        return [{WINDOW_START: _iso(start), WINDOW_END: _iso(end)} for start, end in self.windows()]

    @override
    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict:
        params = super().get_url_params(context, next_page_token)
        if self.request_method == "GET" and context:
            first, last = self.window_param_names
            params |= {first: context[WINDOW_START], last: context[WINDOW_END]}
        return params | self.extra_params

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        if context:
            start = dt.datetime.fromisoformat(context[WINDOW_START])
            end = dt.datetime.fromisoformat(context[WINDOW_END])
            row.update(self.window_fields(start, end))
        row.update(self.key_fields(row))
        return super().post_process(row, context)


def nested_value(record: dict, parent: str, name: str) -> t.Any:
    """``record[parent][name]``, None where either is absent or not an object."""
    inner = record.get(parent)
    return inner.get(name) if isinstance(inner, dict) else None
