"""Malformed answers and records the loader cannot store, at the tap (docs/troubleshooting.md).

The sandbox is armed to spoil one ``200`` page (no ``data`` list, a body that
is not JSON, an HTML page, an export page without or with a malformed
``continueFrom``) or one record. A page spoiled once is retried like a 5xx
and nothing is lost; spoiled on every try, the run fails in one line naming
the endpoint and its state stays at the last page whose records were
emitted, so a rerun from that state completes the stream. A record the
loader could not store fails the run in one line naming stream, record id
and field; one the column admits is emitted and warned about. The
``meltano run`` versions are in test_reliability_pipeline.py.
"""

from __future__ import annotations

import pytest
import requests

from servicetitan_devtools.tap_runner import catalog_selecting, run_tap
from servicetitan_sandbox import SandboxServer
from servicetitan_sandbox.child_records import KINDS

CUSTOMERS = "crm/export/customers"
LIST_STREAM = "job_cancel_reasons"
LIST_ENDPOINT = "jpm/job-cancel-reasons"
NOTES = next(kind for kind in KINDS if kind.name == "customer_notes")
NOTES_ENDPOINT = f"{NOTES.module}/{NOTES.pattern}"
SPOILED_PAGES = ["no-data", "not-json", "html", "no-continue", "bad-continue"]


@pytest.fixture(scope="module")
def catalogs(sandbox: SandboxServer):
    """Catalogs selecting a few streams, discovered once for the module."""
    config = sandbox.tap_config()
    cache: dict[frozenset, dict] = {}

    def selecting(*streams: str) -> dict:
        key = frozenset(streams)
        if key not in cache:
            cache[key] = catalog_selecting(config, streams)
        return cache[key]

    return selecting


def _run(server: SandboxServer, catalog: dict, state: dict | None = None, **overrides):
    return run_tap(server.tap_config(**overrides), catalog=catalog, state=state)


def assert_one_line_failure(run, *expected: str) -> str:
    """The run failed with one error line containing ``expected``, and no traceback."""
    assert run.returncode == 1, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    errors = [line for line in run.stderr.splitlines() if "tap-servicetitan: error:" in line]
    assert len(errors) == 1, run.stderr[-2000:]
    for text in expected:
        assert text in errors[0], errors[0]
    return errors[0]


@pytest.mark.parametrize("kind", SPOILED_PAGES)
def test_a_page_spoiled_once_is_retried_and_nothing_is_lost(fresh_sandbox, catalogs, kind):
    fresh_sandbox.faults.corrupt_next(kind, endpoint=CUSTOMERS, after=1)
    run = _run(fresh_sandbox, catalogs("customers"))
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.ids("customers") == fresh_sandbox.dataset.ids("customers")
    assert len(run.records["customers"]) == len(fresh_sandbox.dataset.ids("customers"))
    pages = -(-len(run.records["customers"]) // 100)  # the module sandbox's export page size
    assert fresh_sandbox.counters["requests"] == pages + 1  # the spoiled page, asked again


@pytest.mark.parametrize("kind", ["no-data", "html", "no-continue"])
def test_a_page_spoiled_on_every_try_fails_in_one_line_and_state_stays_behind_it(
    fresh_sandbox, catalogs, kind
):
    fresh_sandbox.faults.corrupt_next(kind, n=3, endpoint=CUSTOMERS, after=1)
    catalog = catalogs("customers")
    failed = _run(fresh_sandbox, catalog, max_retries=2)
    line = assert_one_line_failure(failed, "malformed answer", f"GET {CUSTOMERS}")
    assert "giving up after retries" in line
    # only the first page was emitted, and the state covers only it
    assert len(failed.records["customers"]) == 100
    resume = failed.final_state["bookmarks"]["customers"]["continue_from"]
    rerun = _run(fresh_sandbox, catalog, state=failed.final_state)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert rerun.states[-1]["bookmarks"]["customers"]["continue_from"] != resume
    assert failed.ids("customers") | rerun.ids("customers") == fresh_sandbox.dataset.ids(
        "customers"
    )


def test_list_endpoint_spoiled_once_is_retried_then_on_every_try_fails(fresh_sandbox, catalogs):
    catalog = catalogs(LIST_STREAM)
    fresh_sandbox.faults.corrupt_next("no-data", endpoint=LIST_ENDPOINT)
    run = _run(fresh_sandbox, catalog)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.ids(LIST_STREAM) == fresh_sandbox.generic.collections[LIST_ENDPOINT].ids()
    fresh_sandbox.faults.corrupt_next("not-json", n=2, endpoint=LIST_ENDPOINT)
    failed = _run(fresh_sandbox, catalog, max_retries=1)
    assert_one_line_failure(failed, "malformed answer", f"GET {LIST_ENDPOINT}", "not JSON")
    assert LIST_STREAM not in failed.records


def test_child_endpoint_spoiled_once_is_retried_then_on_every_try_fails(fresh_sandbox, catalogs):
    catalog = catalogs("customers", "customer_notes")
    config = {"child_concurrency": 4}
    fresh_sandbox.faults.corrupt_next("html", endpoint=NOTES_ENDPOINT, after=5)
    run = _run(fresh_sandbox, catalog, **config)
    assert run.returncode == 0, run.stderr[-2000:]
    expected = {
        (pid, note["id"])
        for pid in fresh_sandbox.dataset.ids("customers")
        for note in fresh_sandbox.children.of(NOTES, pid)
    }
    notes = [(r["customerId"], r["id"]) for r in run.records.get("customer_notes", [])]
    assert sorted(notes) == sorted(expected)
    fresh_sandbox.faults.corrupt_next("no-data", n=40, endpoint=NOTES_ENDPOINT, after=5)
    failed = _run(fresh_sandbox, catalog, max_retries=1, **config)
    assert_one_line_failure(failed, "malformed answer", "crm/customers/{id}/notes")
    # the sweep's resume point never passed the parent page whose notes were not all read
    notes_state = failed.final_state.get("bookmarks", {}).get("customer_notes", {})
    assert "swept_at" not in notes_state


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("id", "abc", "record id 'abc': field 'id' is the string 'abc', not an integer"),
        ("balance", "12,50", "field 'balance' is the string '12,50', not a number"),
        ("createdOn", "yesterday", "field 'createdOn' is the string 'yesterday', not an ISO"),
        ("active", "maybe", "field 'active' is the string 'maybe', not a boolean"),
    ],
    ids=["id-abc", "money-12,50", "date", "boolean"],
)
def test_a_record_the_loader_cannot_store_fails_naming_stream_record_and_field(
    fresh_sandbox, catalogs, field, value, expected
):
    fresh_sandbox.faults.corrupt_next(
        "record", endpoint=CUSTOMERS, field=field, value=value, after=1
    )
    failed = _run(fresh_sandbox, catalogs("customers"))
    line = assert_one_line_failure(failed, "stream 'customers'", expected)
    assert "meltano select" in line or "select" in line
    assert len(failed.records["customers"]) == 100  # the first page only
    rerun = _run(fresh_sandbox, catalogs("customers"), state=failed.final_state)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert failed.ids("customers") | rerun.ids("customers") == fresh_sandbox.dataset.ids(
        "customers"
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", 12345), ("active", "true"), ("createdById", "42")],
    ids=["number-in-text", "boolean-as-text", "integer-as-text"],
)
def test_a_value_the_column_admits_is_loaded_and_warned_about(
    fresh_sandbox, catalogs, field, value
):
    fresh_sandbox.faults.corrupt_next("record", endpoint=CUSTOMERS, field=field, value=value)
    run = _run(fresh_sandbox, catalogs("customers"))
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.ids("customers") == fresh_sandbox.dataset.ids("customers")
    assert value in [record[field] for record in run.records["customers"]]
    warnings = [line for line in run.stderr.splitlines() if f"field '{field}' is the" in line]
    assert len(warnings) == 1, run.stderr[-2000:]
    assert "stream 'customers'" in warnings[0].lower()


def test_the_sandbox_arms_a_spoiled_page_over_http(fresh_sandbox) -> None:
    """``POST /_sandbox/corrupt``: the next page of the endpoint, then the pages as they were."""
    url = fresh_sandbox.url
    armed = requests.post(
        f"{url}/_sandbox/corrupt", json={"kind": "no-data", "endpoint": CUSTOMERS}, timeout=10
    )
    assert armed.status_code == 200 and armed.json()["pending_corruptions"] == 1
    refused = requests.post(f"{url}/_sandbox/corrupt", json={"kind": "nonsense"}, timeout=10)
    assert refused.status_code == 400
    headers = {
        "Authorization": f"Bearer {fresh_sandbox.issue_token()}",
        "ST-App-Key": fresh_sandbox.tap_config()["st_app_key"],
    }
    page = f"{url}/crm/v2/tenant/{fresh_sandbox.tenant_id}/export/customers"
    spoiled = requests.get(page, headers=headers, timeout=10)
    assert spoiled.status_code == 200 and "data" not in spoiled.json()
    assert "data" in requests.get(page, headers=headers, timeout=10).json()
