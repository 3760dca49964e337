"""Settings are checked before any request, with one line naming the setting."""

from __future__ import annotations

import pytest

from servicetitan_catalog.environments import PRODUCTION
from servicetitan_devtools.tap_runner import run_tap
from tap_servicetitan.config import validate_settings
from tap_servicetitan.errors import ConfigurationError
from tap_servicetitan.tap import TapServiceTitan

GOOD = {
    "client_id": "id",
    "client_secret": "secret",
    "st_app_key": "key",
    "tenant_id": "1234567",
}


@pytest.mark.parametrize(
    ("override", "setting"),
    [
        ({"api_url": "api.servicetitan.io"}, "api_url"),
        ({"auth_url": "ftp://auth"}, "auth_url"),
        ({"tenant_id": "acme"}, "tenant_id"),
        ({"tenant_id": ""}, "tenant_id"),
        ({"start_date": "last tuesday"}, "start_date"),
        ({"client_id": ""}, "client_id"),
        ({"requests_per_second": 0}, "requests_per_second"),
        ({"max_retries": -1}, "max_retries"),
    ],
)
def test_bad_setting_is_named(override, setting) -> None:
    with pytest.raises(ConfigurationError, match=f"'{setting}'"):
        validate_settings({**GOOD, **override})


def test_defaults_point_at_production_and_all_history() -> None:
    tap = TapServiceTitan(config=GOOD, validate_config=True)
    assert tap.config["api_url"] == PRODUCTION.api_url == "https://api.servicetitan.io"
    assert tap.config["auth_url"] == PRODUCTION.auth_url
    assert "integration" not in tap.config["api_url"]
    assert tap.config.get("start_date") is None
    assert 0 < tap.config["requests_per_second"] < 60
    assert tap.config["request_timeout"] < 100


@pytest.mark.parametrize(
    ("override", "setting"),
    [
        ({"api_url": "not a url"}, "api_url"),
        ({"tenant_id": "12ab"}, "tenant_id"),
        ({"start_date": "2024-13-45"}, "start_date"),
    ],
)
def test_cli_rejects_bad_settings_before_any_request(fresh_sandbox, override, setting) -> None:
    run = run_tap(fresh_sandbox.tap_config(**override))
    assert run.returncode != 0
    assert setting in run.stderr
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if "error" in line.lower()]
    assert errors, run.stderr
    counters = fresh_sandbox.counters
    assert counters["requests"] == 0 and counters["token"] == 0
