"""Client-side rate limiting: one limiter and one session for every stream of a run.

ServiceTitan limits each app to 60 requests per second per tenant. All streams
of a run share one :class:`RateLimiter` through one :class:`RateLimitedSession`,
so the ceiling holds whichever stream is syncing, and one connection pool is
reused for the whole run.
"""

from __future__ import annotations

import threading
import time
import typing as t

import requests
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


class RateLimitedSession(requests.Session):
    """A ``requests`` session that takes a rate-limiter slot before each send."""

    def __init__(self, limiter: RateLimiter) -> None:
        super().__init__()
        self.limiter = limiter

    @override
    def send(self, request: requests.PreparedRequest, **kwargs: t.Any) -> requests.Response:
        self.limiter.acquire()
        return super().send(request, **kwargs)
