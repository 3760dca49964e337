"""ServiceTitan's own reports as streams: the ``custom_reports`` setting.

Each entry of ``custom_reports`` (the MeltanoLabs tap's names and meanings, so
its users' configs keep working) is one stream, ``custom_report_<report_name>``:

- ``report_category`` and ``report_id`` locate the report
  (``reporting/v2/tenant/{tenant}/report-category/{report_category}/reports/{report_id}``);
- ``parameters`` (``[{"name": ..., "value": ...}]``) are sent with every data request;
- ``backfill_date_parameter`` names the parameter that holds a date: its configured
  value (else ``start_date``) is the first day, and the report is requested once per
  day from there to the API's today, that parameter set to the day;
- ``lookback_window_days``: a later run starts again at the state's last day minus
  this many days (reports of recent days change as invoices and jobs do).

The schema is the report's description (``GET .../reports/{report_id}``): one
property per field, typed from its ``dataType``. A value the declared type does
not hold is never dropped: the field is left null and the value is kept as it
came in the record's ``_mistyped`` object. Every record also carries the
parameters it was requested with (the backfill day among them), its position
in the answer (``_row``) and when it was requested (``_fetched_at``); the key is
``tenant_id``, the parameters and ``_row``, so rows of different days never
overwrite each other and re-reading a day replaces that day's rows.

ServiceTitan allows about one data request per minute for the same report: the
stream waits ``report_request_interval`` seconds between two requests for one
report (pages included), so it never causes a 429 itself; 409 and 429 are still
retried after ``Retry-After``. A report whose columns changed since discovery
(its owner edited it) stops the run with one line naming the report and the
changed columns: rows are arrays matched to names, and a stale catalog would
load them under the wrong columns or drop new ones.
"""

from __future__ import annotations

import datetime as dt
import decimal
import email.utils
import math
import re
import threading
import time
import typing as t
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import urlparse

import backoff
import orjson
import requests
from singer_sdk import typing as th
from singer_sdk.exceptions import FatalAPIError
from typing_extensions import override

from tap_servicetitan.checkpoint import write_checkpoint
from tap_servicetitan.client import (
    BACKOFF_BASE_SECONDS,
    RateLimitedError,
    ServiceTitanStream,
)
from tap_servicetitan.config import DEFAULTS, REPORT_SETTING_NAMES, settings_schema
from tap_servicetitan.errors import ConfigurationError, ServiceTitanError
from tap_servicetitan.pagination import ListPaginator, page_body
from tap_servicetitan.responses import error_title, retry_after_seconds
from tap_servicetitan.tenant import TENANT_FIELD, TENANT_PROPERTY, tenant_of

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context
    from singer_sdk.singerlib import Catalog
    from singer_sdk.streams.rest import HTTPRequest, PageContext

    from tap_servicetitan.api import ServiceTitanApi

#: ServiceTitan: about one data request per minute for the same report.
DEFAULT_REPORT_REQUEST_INTERVAL = DEFAULTS["report_request_interval"]
#: Rows per data request (the API allows up to 25,000; 1,000 by default).
REPORT_PAGE_SIZE = 5000
STREAM_PREFIX = "custom_report_"
ROW_FIELD = "_row"
FETCHED_FIELD = "_fetched_at"
MISTYPED_FIELD = "_mistyped"
REPORT_NAME = re.compile(r"^[A-Za-z0-9_]+$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")

#: One entry of ``custom_reports``: which report, its parameters, how far back it reads.
REPORT_ENTRIES = th.ArrayType(
    th.ObjectType(
        th.Property("report_category", th.StringType, required=True,
                    description="Category id of the report (reporting report-categories)."),
        th.Property("report_id", th.StringType, required=True,
                    description="Id of the report within its category."),
        th.Property("report_name", th.StringType, required=True,
                    description="Stream name suffix: the stream is custom_report_<report_name>."),
        th.Property(
            "parameters",
            th.ArrayType(
                th.ObjectType(
                    th.Property("name", th.StringType, required=True),
                    th.Property("value", th.AnyType()),
                )
            ),
            description="Parameters sent with every data request, as name/value pairs.",
        ),
        th.Property("backfill_date_parameter", th.StringType,
                    description="Parameter set to each day from its configured value (else start_date) to today, one request per day."),
        th.Property("lookback_window_days", th.IntegerType, default=0,
                    description="Days before the state's last day that a later run reads again."),
    )
)  # fmt: skip

#: The report settings of the catalog (servicetitan_catalog.settings), declared here with
#: the shape of an entry.
REPORT_SETTINGS = settings_schema(REPORT_SETTING_NAMES, {"custom_reports": REPORT_ENTRIES})


class ReportColumnsChangedError(ServiceTitanError):
    """The report's columns are not the ones its stream was discovered with."""


@dataclass(frozen=True)
class ReportSettings:
    """One entry of ``custom_reports``, checked."""

    category: str
    report_id: str
    name: str
    parameters: tuple[tuple[str, t.Any], ...]
    backfill_parameter: str | None
    lookback_days: int
    #: The first backfill day (the parameter's configured value, else start_date).
    start_day: dt.date | None

    @property
    def stream_name(self) -> str:
        return f"{STREAM_PREFIX}{self.name}"

    @property
    def label(self) -> str:
        """How messages name the report."""
        return f"'{self.name}' (category {self.category}, id {self.report_id})"

    @classmethod
    def from_config(cls, entry: t.Mapping[str, t.Any], start_date: t.Any) -> ReportSettings:
        where = f"custom_reports entry {entry.get('report_name')!r}"
        for key in ("report_category", "report_id", "report_name"):
            if not str(entry.get(key) or "").strip():
                msg = f"setting 'custom_reports': {where} needs '{key}'"
                raise ConfigurationError(msg)
        name = str(entry["report_name"]).strip()
        if not REPORT_NAME.match(name):
            msg = f"setting 'custom_reports': report_name {name!r} may hold only letters, digits and '_'"
            raise ConfigurationError(msg)
        parameters = []
        for parameter in entry.get("parameters") or ():
            if not isinstance(parameter, t.Mapping) or not str(parameter.get("name") or "").strip():
                msg = f"setting 'custom_reports': {where} has a parameter without a name: {parameter!r}"
                raise ConfigurationError(msg)
            parameters.append((str(parameter["name"]), parameter.get("value")))
        lookback = entry.get("lookback_window_days") or 0
        if isinstance(lookback, bool) or not isinstance(lookback, int) or lookback < 0:
            msg = f"setting 'custom_reports': {where} lookback_window_days must be a whole number >= 0"
            raise ConfigurationError(msg)
        backfill = entry.get("backfill_date_parameter") or None
        start_day = None
        if backfill:
            configured = dict(parameters).get(backfill, start_date)
            start_day = _day(configured)
            if start_day is None:
                msg = (
                    f"setting 'custom_reports': {where} backfills '{backfill}', which needs a "
                    f"first day: give that parameter a value such as '2024-01-01' (or set start_date)"
                )
                raise ConfigurationError(msg)
            if backfill not in dict(parameters):
                # backfilled from start_date: sent, and kept in the records, like the others
                parameters.append((backfill, start_day.isoformat()))
        return cls(
            category=str(entry["report_category"]).strip(),
            report_id=str(entry["report_id"]).strip(),
            name=name,
            parameters=tuple(parameters),
            backfill_parameter=backfill,
            lookback_days=lookback,
            start_day=start_day,
        )


def _day(value: t.Any) -> dt.date | None:
    text = str(value or "").strip()
    if not DAY.match(text):
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def day_stamp(day: dt.date) -> str:
    """A backfill day as the record carries it (and the bookmark holds it)."""
    return f"{day.isoformat()}T00:00:00+00:00"


# Field types ---------------------------------------------------------------


def _number(value: t.Any) -> t.Any:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError
        return value
    if isinstance(value, str):
        number = decimal.Decimal(value.strip())  # InvalidOperation is an ArithmeticError
        if not number.is_finite():
            raise ValueError
        return number
    raise ValueError


def _boolean(value: t.Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in {"true", "false"}:
        return text == "true"
    raise ValueError


def _date(value: t.Any) -> str:
    if not isinstance(value, str):
        raise ValueError
    dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return value


def _text(value: t.Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


#: dataType of a report field -> (JSON schema of its property, how a value is read).
FIELD_TYPES: dict[str, tuple[dict[str, t.Any], t.Callable[[t.Any], t.Any]]] = {
    "Number": ({"type": ["number", "null"]}, _number),
    "Boolean": ({"type": ["boolean", "null"]}, _boolean),
    "Date": ({"type": ["string", "null"], "format": "date-time"}, _date),
    "Time": ({"type": ["string", "null"]}, _text),
    "String": ({"type": ["string", "null"]}, _text),
}
TYPE_NOTE = re.compile(r"\(dataType (\w+)\)$")


def field_property(label: str, data_type: str) -> dict[str, t.Any]:
    schema = FIELD_TYPES.get(data_type, FIELD_TYPES["String"])[0]
    return {**schema, "description": f"{label} (dataType {data_type})"}


def property_type(schema: t.Mapping[str, t.Any]) -> str | None:
    """The report dataType a property was discovered with (from its description)."""
    match = TYPE_NOTE.search(str(schema.get("description") or ""))
    return match.group(1) if match else None


# The report's description ---------------------------------------------------


@dataclass
class ReportDescription:
    """``GET .../reports/{id}``: the report's fields in order, typed."""

    fields: dict[str, str]
    labels: dict[str, str]
    #: The API's date when it answered (its ``Date`` header): the last backfill day.
    today: dt.date

    @classmethod
    def from_answer(cls, body: t.Mapping[str, t.Any], today: dt.date) -> ReportDescription:
        fields = {str(f["name"]): str(f.get("dataType") or "String") for f in body["fields"]}
        labels = {str(f["name"]): str(f.get("label") or f["name"]) for f in body["fields"]}
        return cls(fields=fields, labels=labels, today=today)


class _RetryLaterError(Exception):
    def __init__(self, response: requests.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _retry_after_waits() -> t.Generator[float, BaseException, None]:
    """``Retry-After`` when the answer has one, else 1, 2, 4 ... seconds."""
    attempt = 0
    exception = yield  # type: ignore[misc]
    while True:
        wait = retry_after_seconds(getattr(exception, "response", None))
        exception = yield wait if wait is not None else BACKOFF_BASE_SECONDS * 2**attempt
        attempt += 1


def fetch_description(api: ServiceTitanApi, report: ReportSettings) -> ReportDescription:
    """The report's description, with the API's retries (429/409 after Retry-After, 5xx)."""
    url = report_url(api, report)

    @backoff.on_exception(
        _retry_after_waits,
        (_RetryLaterError, requests.ConnectionError, requests.Timeout),
        max_tries=api.max_tries,
        jitter=None,
        logger=None,
    )
    def get() -> requests.Response:
        response = api.session.get(url, auth=api.authenticator, timeout=api.timeout)
        status = response.status_code
        if status in (HTTPStatus.CONFLICT, HTTPStatus.TOO_MANY_REQUESTS) or status >= 500:
            raise _RetryLaterError(response)
        return response

    try:
        response = get()
    except _RetryLaterError as exc:
        response = exc.response
    if response.status_code == HTTPStatus.NOT_FOUND:
        msg = (
            f"custom report {report.label} was not found ({error_title(response)}): check "
            "report_category and report_id in the setting 'custom_reports'"
        )
        raise ConfigurationError(msg)
    if response.status_code >= HTTPStatus.BAD_REQUEST:
        msg = (
            f"{response.status_code} {response.reason} for GET the description of custom report "
            f"{report.label}: {error_title(response)}"
        )
        raise FatalAPIError(msg)
    return ReportDescription.from_answer(page_body(response), api_date(response))


def api_date(response: requests.Response) -> dt.date:
    """The API's date (its ``Date`` header, UTC); the local date when it sent none."""
    header = response.headers.get("Date")
    if header:
        try:
            return email.utils.parsedate_to_datetime(header).astimezone(dt.timezone.utc).date()
        except (TypeError, ValueError):
            pass
    return dt.datetime.now(dt.timezone.utc).date()


def report_url(api: ServiceTitanApi, report: ReportSettings) -> str:
    return (
        f"{api.module_url('reporting')}report-category/{report.category}/reports/{report.report_id}"
    )


# Pacing ---------------------------------------------------------------------


@dataclass
class ReportPacer:
    """At least ``interval`` seconds from one answer of a report to its next request."""

    interval: float
    clock: t.Callable[[], float] = time.monotonic
    sleep: t.Callable[[float], None] = time.sleep
    _last_answer: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self) -> float:
        with self._lock:
            if self._last_answer is None:
                return 0.0
            wait = self._last_answer + self.interval - self.clock()
        if wait > 0:
            self.sleep(wait)
            return wait
        return 0.0

    def answered(self) -> None:
        with self._lock:
            self._last_answer = self.clock()


# The stream -----------------------------------------------------------------


def column_changes(
    expected: t.Mapping[str, str | None], actual: t.Mapping[str, str | None]
) -> list[str]:
    """What differs between two ``{field: dataType}`` maps (None: type unknown)."""
    changes = [f"added '{name}'" for name in actual if name not in expected]
    changes += [f"removed '{name}'" for name in expected if name not in actual]
    for name, kind in expected.items():
        now = actual.get(name)
        if name in actual and kind and now and kind != now:
            changes.append(f"'{name}' {kind} -> {now}")
    return changes


class CustomReportStream(ServiceTitanStream):
    """One configured report: ``POST .../reports/{id}/data``, once per backfill day."""

    module = "reporting"
    scope = "tn.rpr.reports:r"
    http_method = "POST"
    #: The bookmark is the backfill day, written after each day; the lookback
    #: makes a run start before it, so values are not checked for order.
    is_sorted = True
    check_sorted = False

    def __init__(
        self, tap: Tap, api: ServiceTitanApi, report: ReportSettings, description: ReportDescription
    ) -> None:
        self.name = report.stream_name
        self.report = report
        self.description = description
        self.parameter_names = tuple(name for name, _ in report.parameters)
        clash = set(self.parameter_names) & (
            set(description.fields) | {TENANT_FIELD, ROW_FIELD, FETCHED_FIELD, MISTYPED_FIELD}
        )
        if clash:
            msg = (
                f"setting 'custom_reports': report {report.label} has a parameter named like one "
                f"of its columns ({', '.join(sorted(clash))}); the records could not hold both"
            )
            raise ConfigurationError(msg)
        self.discovered: dict[str, str | None] = dict(description.fields)
        self._day: dt.date | None = None
        self._warned: set[str] = set()
        super().__init__(tap, api)
        self.path = f"report-category/{report.category}/reports/{report.report_id}/data"
        self.primary_keys = (TENANT_FIELD, *self.parameter_names, ROW_FIELD)
        self.replication_key = report.backfill_parameter
        interval = float(
            self.config.get("report_request_interval", DEFAULT_REPORT_REQUEST_INTERVAL)
        )
        self.pacer = ReportPacer(interval)
        self.tenant_id = tenant_of(self.config)

    @property
    @override
    def schema(self) -> dict:  # type: ignore[override]
        properties: dict[str, t.Any] = {
            name: field_property(self.description.labels[name], kind)
            for name, kind in self.description.fields.items()
        }
        for name in self.parameter_names:
            if name == self.report.backfill_parameter:
                properties[name] = {
                    "type": ["string"],
                    "format": "date-time",
                    "description": "The backfill day the row was requested for (a report parameter).",
                }
            else:
                properties[name] = {
                    "type": ["string"],
                    "description": "A report parameter the row was requested with.",
                }
        properties[ROW_FIELD] = {
            "type": ["integer"],
            "description": "Position of the row in the report's answer for these parameters (from 1).",
        }
        properties[FETCHED_FIELD] = {
            "type": ["string"],
            "format": "date-time",
            "description": "When the row's parameters were requested (UTC).",
        }
        properties[MISTYPED_FIELD] = {
            "type": ["object", "null"],
            "description": "Values the report's declared type does not hold, as sent, by field "
            "(the field itself is null).",
        }
        properties[TENANT_FIELD] = TENANT_PROPERTY
        return {"type": "object", "properties": properties}

    @override
    def apply_catalog(self, catalog: Catalog) -> None:
        """The catalog's columns are those the report was discovered with."""
        super().apply_catalog(catalog)
        entry = catalog.get_stream(self.name)
        if entry is None:
            return
        own = {TENANT_FIELD, ROW_FIELD, FETCHED_FIELD, MISTYPED_FIELD, *self.parameter_names}
        properties = entry.schema.to_dict().get("properties", {})
        self.discovered = {
            name: property_type(spec) for name, spec in properties.items() if name not in own
        }

    # Days ---------------------------------------------------------------

    def days(self) -> list[dt.date | None]:
        """The backfill days of this run (one None: a report without backfill)."""
        if self.report.backfill_parameter is None:
            return [None]
        assert self.report.start_day is not None
        first = self.report.start_day
        bookmark = _day(self.stream_state.get("replication_key_value"))
        if bookmark is not None:
            first = max(first, bookmark - dt.timedelta(days=self.report.lookback_days))
        last = self.description.today
        return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]

    @override
    def get_records(self, context: Context | None) -> Iterable[dict]:
        self.check_columns(self.description.fields, "its description")
        for day in self.days():
            self._day = day
            self._fetched_at = dt.datetime.now(dt.timezone.utc).isoformat()
            self._row = 0
            yield from super().get_records(context)
            if day is not None:
                # The day is read whole: the next run resumes from here (minus the lookback),
                # also when the day had no rows.
                self.stream_state["replication_key"] = self.report.backfill_parameter
                self.stream_state["replication_key_value"] = day_stamp(day)
                write_checkpoint(self)

    def check_columns(self, actual: t.Mapping[str, str | None], where: str) -> None:
        changes = column_changes(self.discovered, actual)
        if changes:
            msg = (
                f"custom report {self.report.label}: its columns changed since discovery "
                f"({where}): {', '.join(changes)}; run the tap's discovery again "
                "(meltano: meltano run --refresh-catalog / meltano invoke --dump=catalog) "
                "and check the models that read the report"
            )
            raise ReportColumnsChangedError(msg)

    # Requests -------------------------------------------------------------

    @override
    def get_new_paginator(self) -> ListPaginator:
        return ListPaginator()

    @override
    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict:
        return {"page": next_page_token or 1, "pageSize": REPORT_PAGE_SIZE}

    @override
    def prepare_request_payload(self, context: Context | None, next_page_token: int | None) -> dict:
        return {"parameters": [{"name": n, "value": v} for n, v in self.request_parameters()]}

    def request_parameters(self) -> list[tuple[str, t.Any]]:
        backfill = self.report.backfill_parameter
        return [
            (name, self._day.isoformat() if name == backfill and self._day else value)
            for name, value in self.report.parameters
        ]

    @override
    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        """Each data request (every page) waits for the report's interval first."""
        waited = self.pacer.wait()
        if waited:
            self.logger.debug("Waited %.1f s for custom report %s's interval", waited, self.name)
        return super().get_http_request(page=page)

    @override
    def validate_response(self, response: requests.Response) -> None:
        self.pacer.answered()
        status = response.status_code
        if status in (HTTPStatus.CONFLICT, HTTPStatus.TOO_MANY_REQUESTS):
            # The report's own limit (or a run still in progress): wait as told and
            # try again, without holding back other streams' requests.
            raise RateLimitedError(self.response_error_message(response), response)
        super().validate_response(response)

    @override
    def response_error_message(self, response: requests.Response) -> str:
        path = urlparse(response.url).path
        return (
            f"{response.status_code} {response.reason} for POST custom report {self.report.label} "
            f"({path}): {error_title(response)}"
        )

    @override
    def parse_response(self, response: requests.Response) -> Iterator[dict]:
        body = page_body(response)
        names = [str(f["name"]) for f in body.get("fields") or ()]
        self.check_columns({name: self.discovered.get(name) for name in names}, "the data answer")
        for values in body.get("data") or ():
            self._row += 1
            yield dict(zip(names, values, strict=False))

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        """Values read as their declared types; the others kept in ``_mistyped``."""
        mistyped = {}
        for name, value in row.items():
            if value is None:
                continue
            read = FIELD_TYPES.get(
                self.description.fields.get(name) or "String", FIELD_TYPES["String"]
            )[1]
            try:
                row[name] = read(value)
            except (ValueError, ArithmeticError, TypeError):
                mistyped[name] = value
                row[name] = None
        for name in mistyped.keys() - self._warned:
            self._warned.add(name)
            self.logger.warning(
                "custom report %s: field '%s' holds %r, not a %s; kept in %s (warned once)",
                self.report.label,
                name,
                mistyped[name],
                self.description.fields.get(name),
                MISTYPED_FIELD,
            )
        for name, value in self.request_parameters():
            if name == self.report.backfill_parameter:
                row[name] = day_stamp(self._day) if self._day else value
            else:
                row[name] = _text(value)
        row[ROW_FIELD] = self._row
        row[FETCHED_FIELD] = self._fetched_at
        row[MISTYPED_FIELD] = mistyped or None
        row[TENANT_FIELD] = self.tenant_id
        return super().post_process(row, context)


def report_streams(tap: Tap, api: ServiceTitanApi) -> list[CustomReportStream]:
    """One stream per ``custom_reports`` entry (its description read from the API)."""
    entries = tap.config.get("custom_reports") or ()
    if not entries:
        return []
    reports = [ReportSettings.from_config(entry, tap.config.get("start_date")) for entry in entries]
    names = [report.name for report in reports]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        msg = f"setting 'custom_reports': report_name {duplicates[0]!r} is used twice"
        raise ConfigurationError(msg)
    interval = tap.config.get("report_request_interval", DEFAULT_REPORT_REQUEST_INTERVAL)
    if (
        isinstance(interval, bool)
        or not isinstance(interval, (int, float, decimal.Decimal))
        or interval < 0
    ):
        msg = (
            f"setting 'report_request_interval' must be a number of seconds >= 0, got {interval!r}"
        )
        raise ConfigurationError(msg)
    return [
        CustomReportStream(tap, api, report, fetch_description(api, report)) for report in reports
    ]
