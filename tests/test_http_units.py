"""Units about one response or one clock: paginators, error parsing, limiter."""

from __future__ import annotations

import orjson
import requests

from tap_servicetitan.pagination import ExportPaginator, ListPaginator
from tap_servicetitan.ratelimit import RateLimiter
from tap_servicetitan.responses import error_title, retry_after_seconds


def _response(
    body: object, status: int = 200, headers: dict | None = None, raw: bytes | None = None
):
    response = requests.Response()
    response.status_code = status
    response._content = raw if raw is not None else orjson.dumps(body)
    response.headers.update(headers or {"Content-Type": "application/json"})
    response.reason = "Reason"
    return response


def test_export_paginator_follows_continue_from_until_has_more_false() -> None:
    paginator = ExportPaginator(None)
    paginator.advance(_response({"hasMore": True, "continueFrom": "t1", "data": [1]}))
    assert paginator.current_value == "t1" and not paginator.finished
    paginator.advance(_response({"hasMore": False, "continueFrom": "t2", "data": [2]}))
    assert paginator.finished


def test_export_paginator_starts_from_a_resume_point() -> None:
    assert ExportPaginator("abc").current_value == "abc"


def test_list_paginator_counts_pages() -> None:
    paginator = ListPaginator()
    assert paginator.current_value == 1
    paginator.advance(_response({"page": 1, "hasMore": True, "data": [1]}))
    assert paginator.current_value == 2
    paginator.advance(_response({"page": 2, "hasMore": False, "data": [1]}))
    assert paginator.finished


def test_error_title_reads_servicetitan_errors() -> None:
    body = {"type": "x", "title": "Tenant is not connected", "status": 403, "traceId": "t"}
    assert error_title(_response(body, 403)) == "Tenant is not connected"


def test_error_title_survives_html_pages() -> None:
    page = _response(
        None, 502, {"Content-Type": "text/html"}, raw=b"<html><body>Bad gateway</body></html>"
    )
    assert "non-JSON" in error_title(page)


def test_retry_after() -> None:
    assert retry_after_seconds(_response({}, 429, {"Retry-After": "3"})) == 3.0
    assert retry_after_seconds(_response({}, 429, {})) is None
    assert retry_after_seconds(_response({}, 429, {"Retry-After": "soon"})) is None


def test_rate_limiter_spaces_requests() -> None:
    now = [100.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(10, clock=lambda: now[0], sleep=sleep)
    for _ in range(21):
        limiter.acquire()
    # 21 requests at 10/s need at least 2 s
    assert now[0] - 100.0 >= 2.0 - 1e-9
    assert all(w <= 0.1 + 1e-9 for w in waits)


def test_rate_limiter_does_not_wait_when_idle() -> None:
    now = [0.0]
    limiter = RateLimiter(5, clock=lambda: now[0], sleep=lambda s: None)
    limiter.acquire()
    now[0] += 10
    assert limiter.acquire() == 0
