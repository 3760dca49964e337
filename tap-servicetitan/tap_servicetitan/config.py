"""Tap settings: their declaration and the checks made before any request."""

from __future__ import annotations

import datetime as dt
import numbers
import typing as t
from urllib.parse import urlparse

from singer_sdk import typing as th

from tap_servicetitan.errors import ConfigurationError

PRODUCTION_API_URL = "https://api.servicetitan.io"
PRODUCTION_AUTH_URL = "https://auth.servicetitan.io/connect/token"

DEFAULT_REQUESTS_PER_SECOND = 50.0  # ServiceTitan allows 60 per app and tenant
DEFAULT_REQUEST_TIMEOUT = 60.0  # ServiceTitan gives up on its side at 100 s
DEFAULT_MAX_RETRIES = 6
DEFAULT_CHILD_CONCURRENCY = 8  # requests in flight per child stream: 60/s at up to ~130 ms each
DEFAULT_CHILD_SWEEP_DAYS = 7.0
DEFAULT_STREAM_CONCURRENCY = 4  # streams synced at once: see docs/performance.md

CONFIG_SCHEMA = th.PropertiesList(
    th.Property(
        "client_id",
        th.StringType,
        required=True,
        secret=True,
        description="OAuth client id of the ServiceTitan app (Settings > Integrations > API Application Access).",
    ),
    th.Property(
        "client_secret",
        th.StringType,
        required=True,
        secret=True,
        description="OAuth client secret of the ServiceTitan app.",
    ),
    th.Property(
        "st_app_key",
        th.StringType,
        required=True,
        secret=True,
        description="Application key of the app (developer portal), sent as the ST-App-Key header.",
    ),
    th.Property(
        "tenant_id",
        th.StringType,
        required=True,
        description="ServiceTitan tenant id (digits only).",
    ),
    th.Property(
        "api_url",
        th.StringType,
        default=PRODUCTION_API_URL,
        description="API base URL. Production by default; https://api-integration.servicetitan.io for integration tenants.",
    ),
    th.Property(
        "auth_url",
        th.StringType,
        default=PRODUCTION_AUTH_URL,
        description="Full OAuth token URL. Production by default; https://auth-integration.servicetitan.io/connect/token for integration tenants.",
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        description="First run only: skip records last modified before this ISO date-time. Absent = all history.",
    ),
    th.Property(
        "requests_per_second",
        th.NumberType,
        default=DEFAULT_REQUESTS_PER_SECOND,
        description="Client-side ceiling on API requests per second, shared by all streams (ServiceTitan allows 60).",
    ),
    th.Property(
        "request_timeout",
        th.NumberType,
        default=DEFAULT_REQUEST_TIMEOUT,
        description="Seconds to wait for an API response before retrying (ServiceTitan itself stops at 100).",
    ),
    th.Property(
        "max_retries",
        th.IntegerType,
        default=DEFAULT_MAX_RETRIES,
        description="Retries of a request after 429, 5xx, timeouts or dropped connections before the run fails.",
    ),
    th.Property(
        "stream_concurrency",
        th.IntegerType,
        default=DEFAULT_STREAM_CONCURRENCY,
        description="Streams synced at once, largest first, all within requests_per_second; 1 = one stream at a time.",
    ),
    th.Property(
        "child_concurrency",
        th.IntegerType,
        default=DEFAULT_CHILD_CONCURRENCY,
        description="Child streams: requests in flight at once (one per parent), all within requests_per_second.",
    ),
    th.Property(
        "child_sweep_days",
        th.NumberType,
        default=DEFAULT_CHILD_SWEEP_DAYS,
        description="Child streams: visit every parent (not only changed ones) when the last such sweep is this many days old; 0 = every run.",
    ),
).to_dict()


def _check_url(config: t.Mapping[str, t.Any], name: str) -> None:
    value = config.get(name)
    if value is None:
        return
    parsed = urlparse(str(value))
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        msg = f"setting '{name}' must be an http(s) URL such as {CONFIG_DEFAULTS[name]!r}, got {value!r}"
        raise ConfigurationError(msg)


def _check_tenant_id(config: t.Mapping[str, t.Any]) -> None:
    value = str(config.get("tenant_id") or "").strip()
    if not value.isdigit():
        msg = (
            "setting 'tenant_id' must be the numeric ServiceTitan tenant id "
            f"(e.g. 1234567), got {value!r}"
        )
        raise ConfigurationError(msg)


def _check_start_date(config: t.Mapping[str, t.Any]) -> None:
    value = config.get("start_date")
    if value is None:
        return
    try:
        dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        msg = (
            "setting 'start_date' must be an ISO date or date-time such as "
            f"'2024-01-01' or '2024-01-01T00:00:00Z', got {value!r}"
        )
        raise ConfigurationError(msg) from None


def _check_positive(config: t.Mapping[str, t.Any], name: str) -> None:
    value = config.get(name)
    is_number = isinstance(value, numbers.Number) and not isinstance(value, bool)
    if value is not None and not (is_number and value > 0):
        msg = f"setting '{name}' must be a positive number, got {value!r}"
        raise ConfigurationError(msg)


def _check_whole_number(config: t.Mapping[str, t.Any], name: str) -> None:
    value = config.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        msg = f"setting '{name}' must be a whole number >= 1, got {value!r}"
        raise ConfigurationError(msg)


def _check_child_settings(config: t.Mapping[str, t.Any]) -> None:
    _check_whole_number(config, "child_concurrency")
    days = config.get("child_sweep_days")
    is_number = isinstance(days, numbers.Number) and not isinstance(days, bool)
    if days is not None and not (is_number and days >= 0):
        msg = f"setting 'child_sweep_days' must be a number of days >= 0, got {days!r}"
        raise ConfigurationError(msg)


CONFIG_DEFAULTS = {"api_url": PRODUCTION_API_URL, "auth_url": PRODUCTION_AUTH_URL}


def validate_settings(config: t.Mapping[str, t.Any]) -> None:
    """Check the settings a sync needs; raise one clear error naming the setting."""
    for name in ("client_id", "client_secret", "st_app_key", "tenant_id"):
        if not str(config.get(name) or "").strip():
            msg = f"setting '{name}' is required (meltano config set tap-servicetitan {name} ...)"
            raise ConfigurationError(msg)
    _check_tenant_id(config)
    _check_url(config, "api_url")
    _check_url(config, "auth_url")
    _check_start_date(config)
    _check_positive(config, "requests_per_second")
    _check_positive(config, "request_timeout")
    _check_whole_number(config, "stream_concurrency")
    _check_child_settings(config)
    retries = config.get("max_retries")
    if retries is not None and (not isinstance(retries, int) or retries < 0):
        msg = f"setting 'max_retries' must be a whole number >= 0, got {retries!r}"
        raise ConfigurationError(msg)
