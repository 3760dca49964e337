"""What every stream of a run shares to talk to ServiceTitan.

The tap builds one :class:`ServiceTitanApi` from its settings and hands it to
each stream: one rate-limited connection pool, one OAuth token, one set of
timeouts and retry budget. Streams never reach back into the tap for them.
"""

from __future__ import annotations

import typing as t
from functools import cached_property

from tap_servicetitan.auth import ServiceTitanAuthenticator
from tap_servicetitan.child_reads import child_workers
from tap_servicetitan.config import DEFAULT_STREAM_CONCURRENCY, validate_settings
from tap_servicetitan.ratelimit import RateLimitedSession, RateLimiter

CONNECT_TIMEOUT_SECONDS = 10.0


class ServiceTitanApi:
    """Session, authenticator and request policy of one run, built on first use.

    Building is lazy so that ``--about`` and ``--discover`` work without
    credentials; the first request validates the settings.
    """

    def __init__(self, config: t.Mapping[str, t.Any]) -> None:
        self._config = config

    @cached_property
    def session(self) -> RateLimitedSession:
        """One connection pool and one rate limiter for every stream."""
        return RateLimitedSession(
            RateLimiter(float(self._config["requests_per_second"])), connections=self.connections
        )

    @property
    def stream_concurrency(self) -> int:
        """Streams synced at once (``stream_concurrency``)."""
        return int(self._config.get("stream_concurrency", DEFAULT_STREAM_CONCURRENCY))

    @property
    def connections(self) -> int:
        """Requests that may be in flight at once: each stream's own and its children's."""
        return self.stream_concurrency * (1 + child_workers(self._config))

    @cached_property
    def authenticator(self) -> ServiceTitanAuthenticator:
        """One OAuth token for every stream, refreshed as it nears expiry."""
        validate_settings(self._config)
        return ServiceTitanAuthenticator(
            auth_endpoint=self._config["auth_url"],
            client_id=self._config["client_id"],
            client_secret=self._config["client_secret"],
            app_key=self._config["st_app_key"],
            timeout=self.read_timeout,
            max_tries=self.max_tries,
        )

    @property
    def read_timeout(self) -> float:
        return float(self._config["request_timeout"])

    @property
    def timeout(self) -> tuple[float, float]:
        """``(connect, read)`` timeouts of an API request."""
        return (CONNECT_TIMEOUT_SECONDS, self.read_timeout)

    @property
    def max_tries(self) -> int:
        """Attempts of one request before a retriable failure fails the run."""
        return int(self._config["max_retries"]) + 1

    def module_url(self, module: str) -> str:
        """``{api_url}/{module}/v2/tenant/{tenant_id}/``: where a module's endpoints live."""
        api_url = str(self._config["api_url"]).rstrip("/")
        return f"{api_url}/{module}/v2/tenant/{self._config['tenant_id']}/"
