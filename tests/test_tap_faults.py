"""Faults the real API produces, switched on in the sandbox."""

from __future__ import annotations

import time

import pytest

from servicetitan_devtools.tap_runner import catalog_selecting, run_tap
from servicetitan_sandbox import SandboxServer

CUSTOMERS_ONLY = {"customers", "customer_contacts"}


def _run(server, **overrides):
    config = server.tap_config(**overrides)
    return run_tap(config, catalog=catalog_selecting(config, CUSTOMERS_ONLY))


def _assert_complete(run, server) -> None:
    assert run.returncode == 0, run.stderr
    for stream in CUSTOMERS_ONLY:
        assert run.ids(stream) == server.dataset.ids(stream), stream


def test_429_waits_for_retry_after(fresh_sandbox) -> None:
    fresh_sandbox.faults.fail_next(2, status=429, retry_after=1)
    started = time.monotonic()
    run = _run(fresh_sandbox)
    elapsed = time.monotonic() - started
    _assert_complete(run, fresh_sandbox)
    assert fresh_sandbox.counters["429"] == 2
    assert elapsed >= 2.0  # both Retry-After waits were honoured


def test_429s_do_not_use_up_the_retry_budget(fresh_sandbox) -> None:
    fresh_sandbox.faults.fail_next(4, status=429, retry_after=1)
    run = _run(fresh_sandbox, max_retries=1)
    _assert_complete(run, fresh_sandbox)
    assert fresh_sandbox.counters["429"] == 4


def test_rate_limit_storm_is_survived(fresh_sandbox) -> None:
    fresh_sandbox.faults.configure(rate_limit=3)
    run = _run(fresh_sandbox, requests_per_second=50)
    _assert_complete(run, fresh_sandbox)
    assert fresh_sandbox.counters["429"] > 0


def test_client_side_limiter_stays_under_the_server_limit(fresh_sandbox) -> None:
    fresh_sandbox.faults.configure(rate_limit=8)
    run = _run(fresh_sandbox, requests_per_second=6)
    _assert_complete(run, fresh_sandbox)
    assert fresh_sandbox.counters["429"] == 0


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 500},
        {"status": 503},
        {"status": 502, "drop": True},
    ],
    ids=["500", "503", "dropped-connection"],
)
def test_transient_failures_are_retried(fresh_sandbox, fault) -> None:
    fresh_sandbox.faults.fail_next(2, **fault)
    run = _run(fresh_sandbox)
    _assert_complete(run, fresh_sandbox)


def test_html_error_pages_are_retried(fresh_sandbox) -> None:
    fresh_sandbox.faults.configure(error_rate=0.3, html_errors=True, seed=5)
    run = _run(fresh_sandbox, max_retries=8)
    _assert_complete(run, fresh_sandbox)
    assert fresh_sandbox.counters["5xx"] > 0


def test_slow_responses_time_out_and_are_retried(fresh_sandbox) -> None:
    fresh_sandbox.faults.configure(slow_rate=0.3, slow_seconds=1.5, seed=3)
    run = _run(fresh_sandbox, request_timeout=0.5, max_retries=8)
    _assert_complete(run, fresh_sandbox)


def test_persistent_5xx_fails_with_one_line_naming_the_endpoint(fresh_sandbox) -> None:
    fresh_sandbox.faults.configure(error_rate=1.0, error_status=503)
    run = _run(fresh_sandbox, max_retries=1)
    assert run.returncode != 0
    assert "crm/export/customers" in run.stderr
    assert "Traceback" not in run.stderr
    # each stream (side by side): a first try and one retry at most; the first
    # stream to give up stops the other
    tries = fresh_sandbox.counters["by_endpoint"]
    assert sorted(tries.values())[-1] == 2 and sum(tries.values()) <= 4, tries


def test_expired_token_is_refreshed_once(fresh_sandbox) -> None:
    fresh_sandbox.faults.fail_next(1, status=401)
    run = _run(fresh_sandbox)
    _assert_complete(run, fresh_sandbox)
    assert fresh_sandbox.counters["token"] == 2


def test_short_token_lifetime_is_refreshed_ahead_of_expiry(fresh_sandbox) -> None:
    fresh_sandbox.faults.configure(token_lifetime=1, latency=0.2)
    run = _run(fresh_sandbox)
    _assert_complete(run, fresh_sandbox)
    assert fresh_sandbox.counters["token"] >= 2


def test_bad_credentials_fail_fast_without_leaking(fresh_sandbox) -> None:
    secret = "definitely-wrong-secret-123"
    run = _run(fresh_sandbox, client_secret=secret)
    assert run.returncode != 0
    assert "client_id" in run.stderr and "client_secret" in run.stderr
    assert secret not in run.stderr
    assert "Traceback" not in run.stderr
    assert fresh_sandbox.counters["requests"] == 0


def test_bad_app_key_is_named(fresh_sandbox) -> None:
    app_key = "wrong-app-key-456"
    run = _run(fresh_sandbox, st_app_key=app_key)
    assert run.returncode != 0
    assert "st_app_key" in run.stderr
    assert app_key not in run.stderr
    assert "Traceback" not in run.stderr


def test_unknown_tenant_names_tenant_id(fresh_sandbox) -> None:
    run = _run(fresh_sandbox, tenant_id="999")
    assert run.returncode != 0
    assert "tenant_id" in run.stderr and "403" in run.stderr
    assert "Traceback" not in run.stderr


def test_missing_scope_names_the_scope() -> None:
    with SandboxServer(customers=20, seed=1, scopes={"tn.crm.customers:r"}) as server:
        config = server.tap_config()
        run = run_tap(config, catalog=catalog_selecting(config, {"locations"}))
    assert run.returncode != 0
    assert "tn.crm.locations:r" in run.stderr
    assert "Traceback" not in run.stderr


def test_no_secret_or_token_in_logs(fresh_sandbox) -> None:
    config = fresh_sandbox.tap_config()
    fresh_sandbox.faults.fail_next(1, status=401)
    run = _run(fresh_sandbox)
    assert run.returncode == 0, run.stderr
    for secret in (config["client_secret"], config["st_app_key"]):
        assert secret not in run.stderr
    assert "Bearer " not in run.stderr


def test_token_endpoint_outage_is_retried(fresh_sandbox) -> None:
    fresh_sandbox.faults.fail_next_token(2, status=503)
    run = _run(fresh_sandbox)
    _assert_complete(run, fresh_sandbox)
    assert fresh_sandbox.counters["token"] == 3


@pytest.mark.parametrize(
    "streams",
    [{"jobs", "appointments"}, {"invoices"}, {"estimates"}, {"technicians"}],
    ids=["jpm", "accounting", "sales", "settings"],
)
def test_every_module_shares_the_retry_and_token_behaviour(fresh_sandbox, streams) -> None:
    """429, 5xx and an expired token on other API modules, with no per-stream code."""
    fresh_sandbox.faults.fail_next(1, status=429, retry_after=1)
    fresh_sandbox.faults.fail_next(1, status=502)
    fresh_sandbox.faults.fail_next(1, status=401)
    config = fresh_sandbox.tap_config()
    run = run_tap(config, catalog=catalog_selecting(config, streams))
    assert run.returncode == 0, run.stderr
    for stream in streams:
        assert run.ids(stream) == fresh_sandbox.dataset.ids(stream), stream
    counters = fresh_sandbox.counters
    assert counters["429"] == 1
    assert counters["5xx"] == 1
    assert counters["token"] == 2
