"""Client-side rate limiting: one limiter and one session for every stream of a run.

ServiceTitan limits each app to 60 requests per second per tenant. All streams
of a run share one :class:`RateLimiter` through one :class:`RateLimitedSession`,
so the ceiling holds however many streams sync at once, and one connection pool,
sized for every thread that may send, is reused for the whole run. The session
is also where a run stops: once :meth:`RateLimitedSession.stop` is called (a
stream failed, or the tap was told to end), every other thread's next request
raises :class:`RunStopped` instead of being sent.
"""

from __future__ import annotations

import threading
import time
import typing as t

import requests
import requests.adapters
from typing_extensions import override

if t.TYPE_CHECKING:
    from collections.abc import Callable


class RateLimiter:
    """Spaces requests at least ``1 / rate`` seconds apart (no bursts).

    Thread-safe; ``clock`` and ``sleep`` are injectable for tests.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next_slot = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until a request may be sent; return the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return wait

    def hold(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the API answered 429 with ``Retry-After``).

        Every thread waits, not only the one that was told: concurrent child
        requests would otherwise keep meeting 429s.
        """
        with self._lock:
            self._next_slot = max(self._next_slot, self._clock() + seconds)


class RunStopped(Exception):  # noqa: N818 (not an error of its own: the run was stopped)
    """The run is ending: no request is sent any more (see :meth:`RateLimitedSession.stop`)."""


class RateLimitedSession(requests.Session):
    """A ``requests`` session that takes a rate-limiter slot before each send.

    ``connections``: how many requests may be in flight at once (the pool keeps
    that many connections open, so none is opened again for each request).
    """

    def __init__(self, limiter: RateLimiter, connections: int = 10) -> None:
        super().__init__()
        self.limiter = limiter
        self._stopped = threading.Event()
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=connections)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def stop(self) -> None:
        """Send nothing more: every later request raises :class:`RunStopped`."""
        self._stopped.set()

    @override
    def send(self, request: requests.PreparedRequest, **kwargs: t.Any) -> requests.Response:
        self._raise_if_stopped()
        self.limiter.acquire()
        self._raise_if_stopped()
        return super().send(request, **kwargs)

    def _raise_if_stopped(self) -> None:
        if self._stopped.is_set():
            msg = "the run is stopping: request not sent"
            raise RunStopped(msg)
