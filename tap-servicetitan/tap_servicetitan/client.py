"""Base streams: the ServiceTitan request, its errors and retries, and the
two endpoint families (export feeds and list endpoints).

A concrete stream only declares ``name`` and ``path`` (and its API module via
a tiny module base in ``streams/``); schema, key, replication and paging come
from here.
"""

from __future__ import annotations

import random
import typing as t
from functools import cached_property
from http import HTTPStatus
from importlib import resources
from urllib.parse import urlparse

import backoff
from singer_sdk import RESTStream
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.pagination import SinglePagePaginator
from singer_sdk.schema.source import SchemaDirectory
from typing_extensions import override

from tap_servicetitan.checkpoint import write_checkpoint
from tap_servicetitan.child_reads import ChildReads
from tap_servicetitan.errors import AccessDeniedError
from tap_servicetitan.pagination import (
    EVERY_RECORD_FROM,
    PAGE,
    ExportPaginator,
    ListPaginator,
    answer_fault,
    answer_records,
    page_body,
    page_fault,
)
from tap_servicetitan.record_checks import RecordCheck
from tap_servicetitan.record_messages import RecordShaper
from tap_servicetitan.responses import error_title, retry_after_seconds
from tap_servicetitan.tenant import TENANT_FIELD, TenantStreamSchema

if t.TYPE_CHECKING:
    from collections.abc import Generator, Iterable

    import requests
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context
    from singer_sdk.singerlib import MetadataMapping, RecordMessage

    from tap_servicetitan.api import ServiceTitanApi
    from tap_servicetitan.auth import ServiceTitanAuthenticator

SCHEMAS = SchemaDirectory(resources.files("tap_servicetitan") / "schemas")

#: Exponential backoff for 5xx/timeouts/dropped connections: 1, 2, 4 ... capped.
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 60.0

#: How long one request may keep meeting 429s (waiting as told each time)
#: before they count against ``max_retries`` like any other failure.
RATE_LIMIT_PATIENCE_SECONDS = 600.0


class RateLimitedError(RetriableAPIError):
    """429 Too Many Requests: wait ``Retry-After``; does not use up ``max_retries``."""


class MalformedAnswerError(RetriableAPIError):
    """A 2xx answer that is not a page of its endpoint's kind: retried like a 5xx."""


class ServiceTitanStream(RESTStream):
    """A ServiceTitan endpoint under ``{api_url}/{module}/v2/tenant/{tenant}/``."""

    #: API module of the endpoint (crm, jpm, accounting, sales, settings).
    module: t.ClassVar[str]
    #: OAuth scope the endpoint needs (named in 403 messages).
    scope: t.ClassVar[str] = ""
    #: The endpoint takes ``active`` (``True`` by default): the stream asks for ``Any``.
    filters_active: t.ClassVar[bool] = False
    #: Where an answer holds the records (pagination.py): a page's ``data`` list, the
    #: answer itself (``ONE_RECORD``), a JSON array (``ARRAY``) or a property's list.
    records_in: t.ClassVar[str] = PAGE
    #: What identifies a record when a key field is null (dotted paths, record_checks.py);
    #: empty: the whole record.
    surrogate_basis: t.ClassVar[tuple[str, ...]] = ()
    #: The HTTP method of the endpoint (``POST`` for a query such as ``dispatch/capacity``).
    request_method: t.ClassVar[str] = "GET"
    #: Fields the tap adds to every record (name -> JSON schema); the schema generator
    #: declares them beside the API's fields.
    added_properties: t.ClassVar[dict[str, dict]] = {}

    primary_keys: t.ClassVar[tuple[str, ...]] = ("id",)
    #: ``schemas/<stream name>.json``, generated from the API reference, plus
    #: ``tenant_id``: every record carries the tenant it was read from.
    schema = TenantStreamSchema(SCHEMAS)
    #: Records arrive as JSON already typed as the schemas say: no conformance.
    #: Properties the schema does not know are dropped by RecordShaper.
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: Tap, api: ServiceTitanApi) -> None:
        super().__init__(tap=tap)
        self.api = api

    @property
    @override
    def url_base(self) -> str:
        return self.api.module_url(self.module)

    @property
    @override
    def requests_session(self) -> requests.Session:
        return self.api.session

    @property
    @override
    def authenticator(self) -> ServiceTitanAuthenticator:
        return self.api.authenticator

    @property
    @override
    def timeout(self) -> tuple[float, float]:  # type: ignore[override]
        return self.api.timeout

    @property
    @override
    def metadata(self) -> MetadataMapping:
        """singer-sdk's metadata, with ``tenant_id`` always selected, like the key."""
        metadata = super().metadata
        tenant = metadata.get(("properties", TENANT_FIELD))
        if tenant is not None:
            tenant.inclusion = tenant.InclusionType.AUTOMATIC
        return metadata

    @property
    @override
    def http_method(self) -> str:
        return self.request_method

    @property
    def endpoint(self) -> str:
        """``module/path`` as named in messages (no host, tenant or query)."""
        return f"{self.module}/{self.path}"

    # Errors and retries

    @override
    def validate_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status < HTTPStatus.BAD_REQUEST:
            self.authenticator.request_succeeded()
            fault = (
                page_fault(response, export=isinstance(self, ExportStream))
                if self.records_in == PAGE
                else answer_fault(response, self.records_in)
            )
            if fault is not None:
                # Before any record of it is read: neither its records nor its
                # resume point are used, and the request is retried.
                raise MalformedAnswerError(self.malformed_answer_message(response, fault))
            return
        if status == HTTPStatus.UNAUTHORIZED:
            # Refresh the token once; a fresh token still refused means a bad app key.
            self.authenticator.refresh_after_unauthorized(
                self.endpoint, error_title(response), response.request.headers.get("Authorization")
            )
            raise RetriableAPIError(self.response_error_message(response), response)
        if status == HTTPStatus.FORBIDDEN:
            msg = (
                f"ServiceTitan denied access to {self.endpoint} (403: {error_title(response)}); "
                f"check that tenant_id {self.config['tenant_id']} is connected to this app "
                f"and that the app has the scope {self.scope or 'for this endpoint'}"
            )
            raise AccessDeniedError(msg)
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            self.api.session.limiter.hold(retry_after_seconds(response) or BACKOFF_BASE_SECONDS)
            raise RateLimitedError(self.response_error_message(response), response)
        if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(self.response_error_message(response), response)
        raise FatalAPIError(self.response_error_message(response))

    @override
    def response_error_message(self, response: requests.Response) -> str:
        path = urlparse(response.url).path
        return (
            f"{response.status_code} {response.reason} for {self.request_method} {self.endpoint} "
            f"({path}): {error_title(response)}"
        )

    def malformed_answer_message(self, response: requests.Response, fault: str) -> str:
        path = urlparse(response.url).path
        return (
            f"malformed answer ({response.status_code} with {fault}) for {self.request_method} "
            f"{self.endpoint} "
            f"({path}); nothing of it was loaded or checkpointed"
        )

    @override
    def request_decorator(self, func: t.Callable) -> t.Callable:
        """The SDK's retries, around a patient retry of 429s alone.

        A 429 is the API saying "not yet", not a failure: the inner layer waits
        ``Retry-After`` and tries again for up to RATE_LIMIT_PATIENCE_SECONDS
        without spending the ``max_retries`` budget of 5xx, timeouts and drops.
        """
        patient = backoff.on_exception(
            self.backoff_wait_generator,
            RateLimitedError,
            max_time=RATE_LIMIT_PATIENCE_SECONDS,
            jitter=self.backoff_jitter,
            on_backoff=self.backoff_handler,
            logger=None,
        )(func)
        return super().request_decorator(patient)

    @override
    def backoff_max_tries(self) -> int:
        return self.api.max_tries

    @override
    def backoff_wait_generator(self) -> Generator[float, BaseException, None]:  # type: ignore[override]
        """``Retry-After`` when the API gives one, else capped exponential backoff."""
        attempt = 0
        exception = yield  # type: ignore[misc]
        while True:
            response = getattr(exception, "response", None)
            wait = retry_after_seconds(response)
            if wait is None:
                wait = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)
            attempt += 1
            exception = yield wait

    @override
    def backoff_jitter(self, value: float) -> float:
        """Add up to 25% random jitter; never wait less than asked."""
        return value * (1 + 0.25 * random.random())

    # Records

    @override
    def get_batch_config(self, config: t.Mapping) -> None:
        """None: singer-sdk's own BATCH path is never used.

        It writes a page's STATE before the file holding the page's records
        is announced. With ``batch_config`` set, the tap's writer makes the
        batch files instead and orders STATE after BATCH (see writer.py).
        """

    @cached_property
    def child_reads(self) -> ChildReads:
        """This stream's selected child streams, read a page of parents at a time (child_reads.py)."""
        return ChildReads(self)

    @override
    def generate_child_contexts(
        self, record: dict, context: Context | None
    ) -> Iterable[Context | None]:
        """None: singer-sdk syncs no child stream per record (see :attr:`child_reads`)."""
        return ()

    @override
    def get_records(self, context: Context | None) -> Iterable[dict]:
        yield from super().get_records(context)
        self.child_reads.finish()

    @cached_property
    def _record_shaper(self) -> RecordShaper:
        return RecordShaper(self)

    @override
    def _generate_record_messages(self, record: dict) -> Iterable[RecordMessage]:
        """singer-sdk's per-record step without its per-record schema walk (record_messages.py)."""
        return self._record_shaper.messages(record, super()._generate_record_messages)

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        """The page's records; once they are written, their children, then :meth:`page_done`."""
        yield from self.child_reads.page(answer_records(response, self.records_in))
        self.page_done(response)

    def page_done(self, response: requests.Response) -> None:
        """After a page's records and their children are written (export feeds: the checkpoint)."""

    def resume_point(self, response: requests.Response) -> str | None:
        """Where a read of the endpoint resumes after ``response``'s page (None: at the start)."""
        return None

    @cached_property
    def record_check(self) -> RecordCheck:
        return RecordCheck(self)

    @override
    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        """Money strings as exact numbers; a value the loader cannot store stops the run.

        See record_checks.py: the run fails naming the stream, record id and
        field, or, where the column admits the value, loads it with a warning.
        """
        self.record_check.check(row)
        return row

    def active_param(self) -> dict[str, str]:
        """``active=Any`` for endpoints that hide inactive records by default."""
        return {"active": "Any"} if self.filters_active else {}


class ExportStream(ServiceTitanStream):
    """An export feed (``export/<resource>``): full records, change-ordered.

    State is ServiceTitan's own resume point: after every page (and the
    children of its parents, child_reads.py) the stream stores that page's
    ``continueFrom`` and emits a STATE message, so a run
    interrupted at any moment resumes where the last committed page ended,
    and the next run asks only for what changed since. With BATCH files the
    writer holds that STATE back until the page's records are announced
    (writer.py). ``modifiedOn`` is the replication key (the bookmark users
    see); on a first run ``start_date`` becomes the feed's ``from`` date.
    """

    replication_key = "modifiedOn"
    is_sorted = False
    #: State key holding the feed's resume point.
    RESUME_KEY: t.ClassVar[str] = "continue_from"

    @override
    def get_new_paginator(self) -> ExportPaginator:
        return ExportPaginator(None)

    def _starting_from(self, context: Context | None) -> str | None:
        """``from`` of the first request: where a read of every record starts (a
        child stream's sweep), else the saved resume point, else ``start_date``."""
        if context and EVERY_RECORD_FROM in context:
            return context[EVERY_RECORD_FROM]
        token = self.stream_state.get(self.RESUME_KEY)
        if token:
            return str(token)
        start = self.get_starting_timestamp(None)
        return start.strftime("%Y-%m-%dT%H:%M:%SZ") if start else None

    @override
    def get_url_params(self, context: Context | None, next_page_token: str | None) -> dict:
        params = self.active_param()
        start = next_page_token or self._starting_from(context)
        if start:
            params["from"] = start
        return params

    @override
    def resume_point(self, response: requests.Response) -> str | None:
        return page_body(response).get("continueFrom")

    @override
    def page_done(self, response: requests.Response) -> None:
        """The page's checkpoint: its resume point, once its records and their children are written.

        An unselected parent read for its children keeps its resume point:
        selecting it later must still export every record.
        """
        resume_point = self.resume_point(response)
        if not resume_point or not self.selected:
            return
        self.stream_state[self.RESUME_KEY] = resume_point
        write_checkpoint(self)


class ListStream(ServiceTitanStream):
    """A list endpoint (``page`` / ``pageSize`` / ``hasMore``).

    With ``modifiedOn`` as its replication key the stream is incremental: each
    run asks for ``modifiedOnOrAfter`` the bookmark, an inclusive bound, so
    records sharing the bookmark's timestamp are read again rather than
    skipped (the target upserts them away by key). Pages come in id order, not
    change order, so the bookmark (the newest ``modifiedOn`` seen) is saved
    when the stream ends. Without a replication key the stream reads the whole
    endpoint each run: small reference tables, one request each.
    """

    page_size: t.ClassVar[int] = 5000  # the API's maximum
    is_sorted = False

    #: The endpoint pages (``page``/``pageSize``/``hasMore``); else one request answers all.
    paged: t.ClassVar[bool] = True

    @override
    def get_new_paginator(self) -> ListPaginator | SinglePagePaginator:
        return ListPaginator() if self.paged else SinglePagePaginator()

    @override
    def get_url_params(self, context: Context | None, next_page_token: int | None) -> dict:
        params = {"page": next_page_token or 1, "pageSize": self.page_size} if self.paged else {}
        params.update(self.active_param())
        since = self.modified_since(context)
        if since is not None:
            params["modifiedOnOrAfter"] = since
        return params

    def modified_since(self, context: Context | None) -> str | None:
        """``modifiedOnOrAfter`` of a request: the bookmark, unless reading every record."""
        if not self.replication_key or (context and EVERY_RECORD_FROM in context):
            return None
        since = self.get_starting_timestamp(context)
        return None if since is None else since.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
