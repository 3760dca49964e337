"""Composable fault wrappers around sandbox API handlers.

A handler is ``handler(req) -> Response``. Each wrapper reads the live
:class:`Faults` settings on every call, so faults can be switched on and off
while the server runs (Python call or ``POST /_sandbox/faults``). Randomness
comes from one seeded RNG, so a run with the same settings reproduces.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering


Handler = Callable[["object"], Response]


def error_body(status: int, title: str, trace: str = "", errors: dict | None = None) -> bytes:
    kind = {
        400: "https://tools.ietf.org/html/rfc7231#section-6.5.1",
        401: "https://tools.ietf.org/html/rfc7235#section-3.1",
        403: "https://tools.ietf.org/html/rfc7231#section-6.5.3",
        404: "https://tools.ietf.org/html/rfc7231#section-6.5.4",
        429: "https://tools.ietf.org/html/rfc6585#section-4",
    }.get(status, "https://tools.ietf.org/html/rfc7231#section-6.6.1")
    return orjson.dumps(
        {
            "type": kind,
            "title": title,
            "status": status,
            "traceId": trace or f"00-sandbox{random.getrandbits(64):016x}-01",
            "errors": errors or {},
            "data": {},
        }
    )


def error_response(
    status: int, title: str, html: bool = False, headers: dict[str, str] | None = None
) -> Response:
    if html and status >= 500:
        page = (
            f"<!DOCTYPE html><html><head><title>{status} Error</title></head>"
            f"<body><h1>{status}</h1><p>{title}</p><hr><p>sandbox gateway</p>"
            "</body></html>"
        ).encode()
        return Response(status, page, "text/html; charset=utf-8", dict(headers or {}))
    return Response(status, error_body(status, title), headers=dict(headers or {}))


TITLES = {
    400: "Bad request",
    401: "The access token is invalid or has expired",
    403: "Forbidden",
    404: "Not found",
    429: "Too many requests",
    500: "An unexpected error occurred",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
    504: "Gateway timeout",
}


DEFAULTS = {
    "rate_limit": None,
    "error_rate": 0.0,
    "error_status": 503,
    "drop_rate": 0.0,
    "latency": 0.0,
    "slow_rate": 0.0,
    "slow_seconds": 0.0,
    "token_lifetime": 900,
    "html_errors": False,
    "seed": 0,
}


#: What :meth:`Faults.corrupt_next` does to a ``200`` page (the answer stays ``200``).
CORRUPTIONS = {
    "no-data": "the JSON object without its 'data' list",
    "not-json": "the body cut in half (invalid JSON)",
    "html": "an HTML page (text/html), as a misconfigured proxy answers",
    "no-continue": "an export page without 'continueFrom'",
    "bad-continue": "an export page whose 'continueFrom' is a number",
    "record": "the first record's field set to a value (corrupt_next(field=..., value=...))",
}


@dataclass
class Corruption:
    """One armed corruption of the next ``200`` page of an endpoint (or of any endpoint)."""

    kind: str
    endpoint: str | None = None
    field: str | None = None
    value: object = None
    #: Matching pages still to let through untouched before this one.
    after: int = 0

    def matches(self, route_key: str) -> bool:
        return self.endpoint is None or self.endpoint == route_key


class Faults:
    """Live fault settings, a seeded RNG, the leaky bucket and ``fail_next`` queue."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[tuple[int, float | None, bool]] = deque()
        self._token_queue: deque[int] = deque()
        self._corruptions: list[Corruption] = []
        self.reset()

    def reset(self) -> None:
        with self._lock:
            for k, v in DEFAULTS.items():
                setattr(self, k, v)
            self._rng = random.Random(0)
            self._queue.clear()
            self._token_queue.clear()
            self._corruptions.clear()
            self._level = 0.0
            self._last = time.monotonic()

    def configure(
        self,
        rate_limit: float | None = None,
        error_rate: float = 0.0,
        error_status: int = 503,
        drop_rate: float = 0.0,
        latency: float = 0.0,
        slow_rate: float = 0.0,
        slow_seconds: float = 0.0,
        token_lifetime: float = 900,
        html_errors: bool = False,
        seed: int = 0,
    ) -> None:
        """Replace the settings (unnamed ones go back to their defaults)."""
        with self._lock:
            self.rate_limit = float(rate_limit) if rate_limit else None
            self.error_rate = float(error_rate)
            self.error_status = int(error_status)
            self.drop_rate = float(drop_rate)
            self.latency = float(latency)
            self.slow_rate = float(slow_rate)
            self.slow_seconds = float(slow_seconds)
            self.token_lifetime = float(token_lifetime)
            self.html_errors = bool(html_errors)
            self.seed = int(seed)
            self._rng = random.Random(self.seed)
            self._level = 0.0
            self._last = time.monotonic()

    def fail_next(
        self, n: int = 1, status: int = 500, retry_after: float | None = None, drop: bool = False
    ) -> None:
        """The next ``n`` API requests fail with ``status`` (or a dropped connection)."""
        with self._lock:
            for _ in range(int(n)):
                self._queue.append((int(status), retry_after, bool(drop)))

    def corrupt_next(
        self,
        kind: str,
        n: int = 1,
        endpoint: str | None = None,
        field: str | None = None,
        value: object = None,
        after: int = 0,
    ) -> None:
        """The next ``n`` ``200`` pages (of ``endpoint``, e.g. ``crm/export/customers``) come
        back malformed as ``kind`` says (see CORRUPTIONS), still with status ``200``;
        ``after`` pages of the endpoint pass untouched first.

        ``kind="record"`` sets ``field`` of the page's first record to ``value``
        (an id of ``"abc"``, a money amount of ``"12,50"``).
        """
        if kind not in CORRUPTIONS:
            msg = f"unknown corruption {kind!r}; one of {', '.join(CORRUPTIONS)}"
            raise ValueError(msg)
        if kind == "record" and not field:
            msg = "corrupt_next(kind='record') needs the field to set"
            raise ValueError(msg)
        with self._lock:
            for _ in range(int(n)):
                self._corruptions.append(Corruption(kind, endpoint, field, value, int(after)))

    def pop_corruption(self, route_key: str) -> Corruption | None:
        if not self._corruptions:
            return None
        with self._lock:
            for i, corruption in enumerate(self._corruptions):
                if corruption.matches(route_key):
                    if corruption.after > 0:
                        # every armed corruption of the endpoint waits for the same pages
                        for waiting in self._corruptions[i:]:
                            if waiting.matches(route_key) and waiting.after > 0:
                                waiting.after -= 1
                        return None
                    return self._corruptions.pop(i)
        return None

    def fail_next_token(self, n: int = 1, status: int = 503) -> None:
        """The next ``n`` token requests answer ``status`` (an outage of the auth host)."""
        with self._lock:
            self._token_queue.extend([int(status)] * int(n))

    def pop_token_failure(self) -> int | None:
        with self._lock:
            return self._token_queue.popleft() if self._token_queue else None

    def settings(self) -> dict:
        return {k: getattr(self, k) for k in DEFAULTS} | {
            "pending_failures": len(self._queue),
            "pending_corruptions": len(self._corruptions),
        }

    # -- decisions (each under the lock, so concurrent requests stay reproducible-ish)

    def roll(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def pop_forced(self) -> tuple[int, float | None, bool] | None:
        if not self._queue:
            return None
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def take_token(self) -> float:
        """Leaky bucket: 0 when the request may pass, else seconds to wait."""
        rate = self.rate_limit
        if not rate:
            return 0.0
        with self._lock:
            now = time.monotonic()
            self._level = max(0.0, self._level - (now - self._last) * rate)
            self._last = now
            capacity = max(1.0, rate)  # one second worth of burst
            if self._level + 1.0 <= capacity:
                self._level += 1.0
                return 0.0
            return (self._level + 1.0 - capacity) / rate


# ----------------------------------------------------------------------------- wrappers


def with_forced(faults: Faults, h: Handler) -> Handler:
    def wrapped(req: object) -> Response:
        forced = faults.pop_forced()
        if forced is None:
            return h(req)
        status, retry_after, drop = forced
        if drop:
            return Response(drop=True)
        headers = {}
        if retry_after is not None:
            headers["Retry-After"] = str(max(0, math.ceil(retry_after)))
        elif status == 429:
            headers["Retry-After"] = "1"
        title = TITLES.get(status, f"Error {status}")
        return error_response(status, title, faults.html_errors, headers)

    return wrapped


def with_rate_limit(faults: Faults, h: Handler) -> Handler:
    def wrapped(req: object) -> Response:
        wait = faults.take_token()
        if wait > 0:
            return error_response(
                429, "Too many requests", headers={"Retry-After": str(max(1, math.ceil(wait)))}
            )
        return h(req)

    return wrapped


def with_errors(faults: Faults, h: Handler) -> Handler:
    def wrapped(req: object) -> Response:
        if faults.roll(faults.error_rate):
            status = faults.error_status
            return error_response(status, TITLES.get(status, f"Error {status}"), faults.html_errors)
        return h(req)

    return wrapped


def with_drop(faults: Faults, h: Handler) -> Handler:
    def wrapped(req: object) -> Response:
        if faults.roll(faults.drop_rate):
            return Response(drop=True)
        return h(req)

    return wrapped


def with_latency(faults: Faults, h: Handler) -> Handler:
    def wrapped(req: object) -> Response:
        delay = faults.latency
        if faults.roll(faults.slow_rate):
            delay += faults.slow_seconds
        if delay > 0:
            time.sleep(delay)
        return h(req)

    return wrapped


def with_corruption(faults: Faults, h: Handler) -> Handler:
    """A ``200`` page made malformed, when one is armed for the request's endpoint."""

    def wrapped(req: object) -> Response:
        response = h(req)
        if response.status != 200:
            return response
        route = getattr(req, "route", None)
        corruption = faults.pop_corruption(route.key if route is not None else "")
        return response if corruption is None else corrupted(response, corruption)

    return wrapped


def corrupted(response: Response, corruption: Corruption) -> Response:
    """``response`` (a JSON page) spoiled as ``corruption`` says."""
    kind = corruption.kind
    if kind == "not-json":
        return Response(200, response.body[: len(response.body) // 2], response.content_type)
    if kind == "html":
        page = b"<!DOCTYPE html><html><body><h1>Welcome</h1><p>sandbox proxy</p></body></html>"
        return Response(200, page, "text/html; charset=utf-8")
    body = orjson.loads(response.body)
    if kind == "no-data":
        body.pop("data", None)
    elif kind == "no-continue":
        body.pop("continueFrom", None)
    elif kind == "bad-continue":
        body["continueFrom"] = 12345
    elif kind == "record" and body.get("data"):
        body["data"][0][corruption.field] = corruption.value
    return Response(200, orjson.dumps(body), response.content_type, response.headers)


def with_faults(faults: Faults, h: Handler) -> Handler:
    """All faults, outermost first: latency, forced failures, drop, 5xx, rate limit,
    then a malformed ``200`` page."""
    for wrap in (
        with_corruption,
        with_rate_limit,
        with_errors,
        with_drop,
        with_forced,
        with_latency,
    ):
        h = wrap(faults, h)
    return h
