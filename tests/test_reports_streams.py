"""Report streams (``custom_reports``) against the sandbox's Reporting API, over real HTTP.

The tap runs as a process (tap_runner) with a short backfill range (the
sandbox's clock says 2025-06-01) and a fast ``report_request_interval``; the
figures are checked against tests/support/kpi_oracle.py, an independent
reading of the Business Unit Performance rules, computed from the sandbox's
own records.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from servicetitan_devtools.tap_runner import catalog_selecting, run_tap
from servicetitan_sandbox import SandboxServer
from tap_servicetitan.errors import ConfigurationError
from tap_servicetitan.reports import ReportSettings, column_changes
from tests.support.kpi_oracle import compute

ROOT = Path(__file__).resolve().parents[1]
STREAM = "custom_report_bu_performance"
#: The sandbox's today (its clock, sent as the Date header): the last backfill day.
SANDBOX_TODAY = dt.date(2025, 6, 1)
FIRST_DAY = dt.date(2025, 5, 26)
INTERVAL = 0.3


def report(**overrides: object) -> dict:
    return {
        "report_category": "operations",
        "report_id": "1001",
        "report_name": "bu_performance",
        "parameters": [{"name": "From", "value": FIRST_DAY.isoformat()}],
        "backfill_date_parameter": "From",
        "lookback_window_days": 2,
    } | overrides


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(customers=400, seed=2222, export_page_size=200) as srv:
        yield srv


@pytest.fixture
def sandbox(server: SandboxServer) -> SandboxServer:
    server.faults.reset()
    server.reporting.reset()
    server.reporting.interval = INTERVAL
    return server


def config(server: SandboxServer, **entry: object) -> dict:
    return server.tap_config(custom_reports=[report(**entry)], report_request_interval=INTERVAL)


def days_of(records: list[dict]) -> list[str]:
    return sorted({r["From"][:10] for r in records})


def expected_days(first: dt.date) -> list[str]:
    count = (SANDBOX_TODAY - first).days + 1
    return [(first + dt.timedelta(days=n)).isoformat() for n in range(count)]


def oracle_rows(server: SandboxServer) -> dict[tuple[int, str], dict]:
    """Business Unit Performance per (business unit, day) from kpi_oracle, not the sandbox."""
    collections = server.generic.collections
    records = {
        "jobs": server.dataset.records("jobs"),
        "invoices": server.dataset.records("invoices"),
        "estimates": server.dataset.records("estimates"),
        "invoice_items": collections["accounting/export/invoice-items"].records.values(),
        "gl_accounts": collections["accounting/gl-accounts"].records.values(),
        "job_types": collections["jpm/job-types"].records.values(),
    }
    tables = compute(records, tenant_id=server.tenant_id, timezone="UTC", run_date=SANDBOX_TODAY)
    return {
        (row["business_unit_id"], row["date"].isoformat()): row
        for row in tables["kpi_business_unit_daily"]
        if row["completed_jobs"]
    }


def test_one_request_per_day_typed_rows_equal_to_an_independent_computation(sandbox) -> None:
    cfg = config(sandbox)
    catalog = catalog_selecting(cfg, [STREAM])
    run = run_tap(cfg, catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]

    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == STREAM)
    assert entry["key_properties"] == ["tenant_id", "From", "_row"]
    schema = run.schemas[STREAM]["properties"]
    assert schema["CompletedRevenue"]["type"] == ["number", "null"]
    assert schema["BusinessUnitName"]["type"] == ["string", "null"]
    assert schema["From"]["format"] == "date-time"

    records = run.records[STREAM]
    assert sandbox.reporting.data_requests[1001] == len(expected_days(FIRST_DAY))
    assert sandbox.reporting.rate_limited[1001] == 0
    assert run.final_state["bookmarks"][STREAM]["replication_key_value"].startswith("2025-06-01")

    want = {
        key: row
        for key, row in oracle_rows(sandbox).items()
        if FIRST_DAY.isoformat() <= key[1] <= SANDBOX_TODAY.isoformat()
    }
    got = {(r["BusinessUnitId"], r["From"][:10]): r for r in records}
    assert len(got) == len(records), "two rows of one business unit and day"
    assert len(want) >= 5, "the sandbox gives too few completed jobs in the range to test"
    assert set(got) == set(want)
    for key, row in want.items():
        mine = got[key]
        assert Decimal(str(mine["CompletedRevenue"])) == row["completed_revenue"], key
        assert mine["CompletedJobs"] == row["completed_jobs"], key
        assert mine["Opportunities"] == row["opportunities"], key
        assert mine["ConvertedJobs"] == row["converted_jobs"], key
        assert mine["_mistyped"] is None


def test_a_later_run_resumes_at_the_last_day_minus_the_lookback(sandbox) -> None:
    cfg = config(sandbox, lookback_window_days=3)
    state = {
        "bookmarks": {
            STREAM: {
                "replication_key": "From",
                "replication_key_value": "2025-05-31T00:00:00+00:00",
            }
        }
    }
    run = run_tap(cfg, catalog=catalog_selecting(cfg, [STREAM]), state=state)
    assert run.returncode == 0, run.stderr[-2000:]
    # 2025-05-28 .. 2025-06-01: five days, one request each, whether or not a day has rows
    assert sandbox.reporting.data_requests[1001] == 5
    assert set(days_of(run.records.get(STREAM, []))) <= set(expected_days(dt.date(2025, 5, 28)))
    assert days_of(run.records[STREAM])[0] >= "2025-05-28"


def test_the_report_limit_is_kept_and_409_429_are_retried_after_retry_after(sandbox) -> None:
    cfg = config(sandbox)
    catalog = catalog_selecting(cfg, [STREAM])
    # the tap keeps the report's interval itself: no 429 of its own making
    run = run_tap(cfg, catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    assert sandbox.reporting.rate_limited[1001] == 0
    days = len(run.records[STREAM])

    # a tap told the wrong interval meets 429s, and a report still running answers 409:
    # both are retried after Retry-After and nothing is lost
    sandbox.reporting.reset()
    sandbox.reporting.interval = INTERVAL
    sandbox.reporting.conflict_next = 2
    run = run_tap(cfg | {"report_request_interval": 0}, catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    assert sandbox.reporting.rate_limited[1001] > 0
    assert sandbox.reporting.conflict_next == 0  # both 409s were answered, then retried
    assert len(run.records[STREAM]) == days


def test_values_not_of_the_declared_type_are_kept(sandbox) -> None:
    sandbox.reporting.spoil(1001, "CompletedJobs", "n/a")
    cfg = config(sandbox, parameters=[{"name": "From", "value": "2025-05-31"}])
    run = run_tap(cfg, catalog=catalog_selecting(cfg, [STREAM]))
    assert run.returncode == 0, run.stderr[-2000:]
    records = run.records[STREAM]
    assert records
    assert all(r["CompletedJobs"] is None for r in records)
    assert all(r["_mistyped"] == {"CompletedJobs": "n/a"} for r in records)
    assert all(isinstance(r["CompletedRevenue"], (int, float)) for r in records)


def test_changed_columns_stop_the_run_in_one_line_naming_report_and_columns(sandbox) -> None:
    cfg = config(sandbox)
    catalog = catalog_selecting(cfg, [STREAM])
    sandbox.reporting.edit_report(
        1001, rename={"ConvertedJobs": "Converted"}, retype={"CompletedJobs": "String"}
    )
    run = run_tap(cfg, catalog=catalog)
    assert run.returncode == 1
    error = [line for line in run.stderr.splitlines() if "error:" in line]
    assert len(error) == 1, run.stderr[-2000:]
    line = error[0]
    assert "'bu_performance'" in line
    assert "added 'Converted'" in line
    assert "removed 'ConvertedJobs'" in line
    assert "'CompletedJobs' Number -> String" in line
    assert "Traceback" not in run.stderr
    assert STREAM not in run.records


def test_column_changes_and_settings() -> None:
    assert column_changes({"A": "Number", "B": "String"}, {"A": "Number", "B": "String"}) == []
    assert column_changes({"A": "Number"}, {"A": None}) == []  # the data answer has no types
    assert column_changes({"A": "Number"}, {"C": "Number"}) == ["added 'C'", "removed 'A'"]
    settings = ReportSettings.from_config(report(), None)
    assert settings.stream_name == STREAM
    assert settings.start_day == FIRST_DAY
    # without a value of its own, the backfill parameter starts at start_date
    entry = report(parameters=[])
    from_start_date = ReportSettings.from_config(entry, "2024-02-03T00:00:00Z")
    assert from_start_date.start_day == dt.date(2024, 2, 3)
    assert from_start_date.parameters == (("From", "2024-02-03"),)
    with pytest.raises(ConfigurationError, match="first day"):
        ReportSettings.from_config(entry, None)
    with pytest.raises(ConfigurationError, match="report_name"):
        ReportSettings.from_config(report(report_name="bu performance"), None)


def test_the_docs_find_a_reports_category_and_id(sandbox) -> None:
    """docs/reports.md's report-categories commands, run against the sandbox."""
    text = (ROOT / "docs" / "reports.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```bash\n(.*?)```", text, re.S) if "report-categories" in b]
    env = {**os.environ} | {
        f"TAP_SERVICETITAN_{name.upper()}": str(value)
        for name, value in sandbox.tap_config().items()
    }
    done = subprocess.run(
        ["bash", "-c", block], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert '{"id":1001,"name":"Business Unit Performance"}' in lines
    description = json.loads(lines[-1])
    assert {f["name"]: f["dataType"] for f in description["fields"]}["CompletedRevenue"] == "Number"
    assert [p["name"] for p in description["parameters"] if p["isRequired"]] == ["From"]


def test_a_report_without_backfill_is_read_once_with_its_parameters(sandbox) -> None:
    entry = {
        "backfill_date_parameter": None,
        "parameters": [
            {"name": "From", "value": "2025-05-01"},
            {"name": "To", "value": "2025-05-31"},
        ],
    }
    cfg = config(sandbox, **entry)
    catalog = catalog_selecting(cfg, [STREAM])
    run = run_tap(cfg, catalog=catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    assert sandbox.reporting.data_requests[1001] == 1
    records = run.records[STREAM]
    assert {(r["From"], r["To"]) for r in records} == {("2025-05-01", "2025-05-31")}
    assert [r["_row"] for r in records] == list(range(1, len(records) + 1))
    # the month's completed jobs, summed over business units, as kpi_oracle counts them
    month = [row for (_, day), row in oracle_rows(sandbox).items() if day.startswith("2025-05")]
    assert sum(r["CompletedJobs"] for r in records) == sum(row["completed_jobs"] for row in month)


def test_the_sandbox_process_takes_the_report_limit_at_its_control_endpoint(sandbox) -> None:
    import requests

    answer = requests.post(f"{sandbox.url}/_sandbox/reporting", json={"interval": 5}, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["interval"] == 5
    assert sandbox.reporting.interval == 5
