"""List endpoints: inclusive ``modifiedOnOrAfter`` bookmarks, ``active=Any``, whole reads
of reference tables; a missing scope named in the error."""

from __future__ import annotations

import pytest
import requests

from servicetitan_devtools.tap_runner import catalog_selecting, run_tap
from servicetitan_sandbox import SandboxServer
from servicetitan_sandbox.generic_records import modified_ms

INCREMENTAL = "campaigns"  # marketing/campaigns: modifiedOnOrAfter and active
INCREMENTAL_ENDPOINT = "marketing/campaigns"
FULL_TABLE = "payment_types"  # accounting/payment-types: no modifiedOnOrAfter
FULL_TABLE_ENDPOINT = "accounting/payment-types"
EXPORT = "payments"
EXPORT_ENDPOINT = "accounting/export/payments"
SELECTED = {INCREMENTAL, FULL_TABLE, EXPORT}


@pytest.fixture
def server():
    with SandboxServer(customers=60, seed=9, export_page_size=20) as sandbox:
        yield sandbox


def sync(server: SandboxServer, state: dict | None = None, streams=SELECTED):
    config = server.tap_config()
    run = run_tap(config, state=state, catalog=catalog_selecting(config, streams))
    assert run.returncode == 0, run.stderr[-2000:]
    return run


def test_inactive_records_arrive_though_the_api_hides_them_by_default(server) -> None:
    collection = server.generic.collections[INCREMENTAL_ENDPOINT]
    inactive = {r["id"] for r in collection.records.values() if r["active"] is False}
    assert inactive
    token = server.issue_token()
    default = requests.get(
        f"{server.url}/marketing/v2/tenant/{server.tenant_id}/campaigns",
        headers={"Authorization": f"Bearer {token}", "ST-App-Key": server.app_key},
        timeout=10,
    ).json()
    assert not inactive & {r["id"] for r in default["data"]}
    run = sync(server)
    assert inactive <= run.ids(INCREMENTAL)
    assert run.ids(INCREMENTAL) == collection.ids()


def test_records_at_the_bookmark_and_changed_records_arrive_next_run(server) -> None:
    first = sync(server)
    bookmark = first.final_state["bookmarks"][INCREMENTAL]["replication_key_value"]
    collection = server.generic.collections[INCREMENTAL_ENDPOINT]
    newest = max(collection.records.values(), key=modified_ms)
    assert newest["modifiedOn"] == bookmark
    # a record written later but stamped with the bookmark's very timestamp
    twin = dict(newest, id=max(collection.ids()) + 1, name="same second")
    collection.put(twin)
    server.mutate(fraction=0.1, seed=3)
    changed = {
        r["id"]
        for r in collection.records.values()
        if r["modifiedOn"] > bookmark and r["id"] != twin["id"]
    }
    assert changed
    second = sync(server, state=first.final_state)
    assert twin["id"] in second.ids(INCREMENTAL)
    assert changed <= second.ids(INCREMENTAL)
    # only what changed, plus what shares the bookmark's timestamp
    assert len(second.records[INCREMENTAL]) < len(first.records[INCREMENTAL])
    latest = {r["id"]: r for r in first.records[INCREMENTAL]}
    latest.update({r["id"]: r for r in second.records[INCREMENTAL]})
    tenant = {"tenant_id": server.tenant_id}  # the tap stamps every record with its tenant
    assert latest == {r["id"]: r | tenant for r in collection.records.values()}


def test_an_unchanged_tenant_costs_one_request_per_stream(server) -> None:
    first = sync(server)
    assert first.final_state["bookmarks"][FULL_TABLE].get("replication_key_value") is None
    server.reset_counters()
    second = sync(server, state=first.final_state)
    by_endpoint = server.counters["by_endpoint"]
    assert by_endpoint == {INCREMENTAL_ENDPOINT: 1, FULL_TABLE_ENDPOINT: 1, EXPORT_ENDPOINT: 1}
    # the reference table is read whole again; the export feed sends nothing new
    assert second.ids(FULL_TABLE) == first.ids(FULL_TABLE)
    assert EXPORT not in second.records


def test_a_stream_whose_scope_the_app_lacks_fails_naming_the_scope() -> None:
    with SandboxServer(customers=20, seed=2) as probe:
        scopes = probe.all_scopes - {"tn.mrk.campaigns:r"}
    with SandboxServer(customers=20, seed=2, scopes=scopes) as limited:
        config = limited.tap_config()
        run = run_tap(config, catalog=catalog_selecting(config, {INCREMENTAL}))
    assert run.returncode != 0
    assert "tn.mrk.campaigns:r" in run.stderr
    assert "Traceback" not in run.stderr
