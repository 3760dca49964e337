"""Tap settings: their declaration and the checks made before any request."""

from __future__ import annotations

import datetime as dt
import numbers
import typing as t
from urllib.parse import urlparse

from singer_sdk import typing as th

from servicetitan_catalog import settings
from tap_servicetitan.errors import ConfigurationError

#: The JSON types of the catalog's kinds of setting.
TYPES: dict[str, th.JSONTypeHelper] = {
    settings.STRING: th.StringType(),
    settings.INTEGER: th.IntegerType(),
    settings.NUMBER: th.NumberType(),
    settings.DATE_TIME: th.DateTimeType(),
}

#: The settings reports.py declares (with the shape of a report entry).
REPORT_SETTING_NAMES = ("custom_reports", "report_request_interval")


def settings_schema(names: t.Iterable[str], types: t.Mapping[str, th.JSONTypeHelper]) -> dict:
    """The JSON schema of the catalog's settings ``names``: ``types`` gives the type of
    those that are not of a plain kind (an array's items)."""
    properties = []
    for name in names:
        row = settings.setting(name)
        properties.append(
            th.Property(
                name,
                types.get(name) or TYPES[row.kind],
                required=row.required,
                secret=row.secret or None,
                default=row.default,
                description=row.description,
            )
        )
    return th.PropertiesList(*properties).to_dict()


CONFIG_SCHEMA = settings_schema(
    (row.name for row in settings.SETTINGS if not row.sdk and row.name not in REPORT_SETTING_NAMES),
    {},
)
DEFAULTS = {row.name: row.default for row in settings.SETTINGS}
DEFAULT_STREAM_CONCURRENCY = DEFAULTS["stream_concurrency"]
DEFAULT_CHILD_CONCURRENCY = DEFAULTS["child_concurrency"]


def _check_url(config: t.Mapping[str, t.Any], name: str) -> None:
    value = config.get(name)
    if value is None:
        return
    parsed = urlparse(str(value))
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        msg = f"setting '{name}' must be an http(s) URL such as {DEFAULTS[name]!r}, got {value!r}"
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
