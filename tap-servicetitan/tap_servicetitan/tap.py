"""TapServiceTitan: settings, shared HTTP resources and stream discovery."""

from __future__ import annotations

import copy
from functools import cached_property

from singer_sdk import Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter

from tap_servicetitan.auth import ServiceTitanAuthenticator
from tap_servicetitan.http import RateLimitedSession, RateLimiter
from tap_servicetitan.settings import CONFIG_SCHEMA, validate_settings
from tap_servicetitan.streams import ALL_STREAMS


class TapServiceTitan(Tap):
    """Singer tap for the ServiceTitan REST API (export feeds)."""

    name = "tap-servicetitan"
    # a copy: singer-sdk adds its built-in settings (stream_maps, ...) to this dict
    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)
    #: singer-sdk's msgspec encoder: same Singer messages, less CPU per record.
    message_writer_class = MsgSpecWriter

    def discover_streams(self) -> list:
        return [stream_class(tap=self) for stream_class in ALL_STREAMS]

    def sync_all(self) -> None:
        validate_settings(self.config)
        super().sync_all()

    @cached_property
    def api_session(self) -> RateLimitedSession:
        """One connection pool and one rate limiter for every stream."""
        return RateLimitedSession(RateLimiter(float(self.config["requests_per_second"])))

    @cached_property
    def api_authenticator(self) -> ServiceTitanAuthenticator:
        """One OAuth token for every stream, refreshed as it nears expiry."""
        validate_settings(self.config)
        return ServiceTitanAuthenticator(
            auth_endpoint=self.config["auth_url"],
            client_id=self.config["client_id"],
            client_secret=self.config["client_secret"],
            app_key=self.config["st_app_key"],
            timeout=float(self.config["request_timeout"]),
            max_tries=int(self.config["max_retries"]) + 1,
        )


if __name__ == "__main__":
    TapServiceTitan.cli()
