"""Tests of the ServiceTitan sandbox itself (real HTTP over a socket)."""

from __future__ import annotations

import math
import re
import signal
import subprocess
import sys
import time
from datetime import datetime

import pytest
import requests

from servicetitan_sandbox import SandboxServer, credentials
from servicetitan_sandbox.dataset import STREAMS, Dataset
from servicetitan_sandbox.formats import parse_iso_ms

EXPORT_PATHS = {
    "customers": "crm/export/customers",
    "customer_contacts": "crm/export/customers/contacts",
    "locations": "crm/export/locations",
    "location_contacts": "crm/export/locations/contacts",
    "jobs": "jpm/export/jobs",
    "appointments": "jpm/export/appointments",
    "invoices": "accounting/export/invoices",
    "estimates": "sales/export/estimates",
    "technicians": "settings/export/technicians",
}


@pytest.fixture(scope="module")
def srv():
    with SandboxServer(customers=300, seed=7, export_page_size=100) as server:
        yield server


@pytest.fixture
def clean(srv):
    srv.faults.reset()
    srv.reset_counters()
    yield srv
    srv.faults.reset()


def api(srv: SandboxServer, module_resource: str, tenant: int | None = None) -> str:
    module, _, resource = module_resource.partition("/")
    return f"{srv.url}/{module}/v2/tenant/{tenant or srv.tenant_id}/{resource}"


def token(srv: SandboxServer) -> str:
    r = requests.post(
        srv.auth_url,
        data={
            "grant_type": "client_credentials",
            "client_id": srv.client_id,
            "client_secret": srv.client_secret,
        },
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def session(srv: SandboxServer) -> requests.Session:
    s = requests.Session()
    s.headers.update({"Authorization": f"Bearer {token(srv)}", "ST-App-Key": srv.app_key})
    return s


def export_all(s: requests.Session, url: str, frm: str | None = None) -> tuple[list, int, str]:
    """Follow continueFrom until hasMore is false: (records, requests made, last token)."""
    got, n = [], 0
    while True:
        r = s.get(url, params={"from": frm} if frm else {}, timeout=10)
        assert r.status_code == 200, r.text
        n += 1
        body = r.json()
        assert set(body) == {"hasMore", "continueFrom", "data"}
        got += body["data"]
        frm = body["continueFrom"]
        assert frm
        if not body["hasMore"]:
            return got, n, frm


# ---------------------------------------------------------------- auth


def test_token_ok_and_bad_credentials(clean):
    srv = clean
    r = requests.post(
        srv.auth_url,
        data={
            "grant_type": "client_credentials",
            "client_id": srv.client_id,
            "client_secret": srv.client_secret,
        },
        timeout=10,
    )
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["access_token"]
    r = requests.post(
        srv.auth_url,
        data={
            "grant_type": "client_credentials",
            "client_id": srv.client_id,
            "client_secret": "wrong",
        },
        timeout=10,
    )
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_client"}
    assert srv.counters["token"] == 2


def test_401_without_token_bad_token_and_bad_app_key(clean):
    srv = clean
    url = api(srv, "crm/export/customers")
    r = requests.get(url, headers={"ST-App-Key": srv.app_key}, timeout=10)
    assert r.status_code == 401
    assert r.json()["status"] == 401
    r = requests.get(
        url, headers={"ST-App-Key": srv.app_key, "Authorization": "Bearer nope"}, timeout=10
    )
    assert r.status_code == 401
    r = requests.get(
        url, headers={"ST-App-Key": "wrong", "Authorization": f"Bearer {token(srv)}"}, timeout=10
    )
    assert r.status_code == 401
    assert "app key" in r.json()["title"].lower()
    assert srv.counters["401"] == 3


def test_token_expires(clean):
    srv = clean
    srv.faults.configure(token_lifetime=0.3)
    s = session(srv)
    url = api(srv, "settings/export/technicians")
    assert s.get(url, timeout=10).status_code == 200
    time.sleep(0.4)
    r = s.get(url, timeout=10)
    assert r.status_code == 401
    assert "expired" in r.json()["title"]


def test_403_wrong_tenant_and_missing_scope(clean):
    srv = clean
    s = session(srv)
    r = s.get(api(srv, "crm/export/customers", tenant=999), timeout=10)
    assert r.status_code == 403
    assert "Tenant 999" in r.json()["title"]
    with SandboxServer(customers=5, scopes={"tn.crm.customers:r"}) as limited:
        s2 = session(limited)
        assert s2.get(api(limited, "crm/export/customers"), timeout=10).status_code == 200
        r = s2.get(api(limited, "jpm/export/jobs"), timeout=10)
        assert r.status_code == 403
        assert "tn.jpm.jobs:r" in r.json()["title"]


def test_unknown_route_names_what_was_asked(clean):
    srv = clean
    s = session(srv)
    r = s.get(api(srv, "crm/export/widgets") + "?x=1", timeout=10)
    assert r.status_code == 404
    title = r.json()["title"]
    assert "No sandbox route for GET" in title
    assert "/crm/v2/tenant/" in title
    assert "export/widgets" in title
    assert srv.request_log[-1][2] == 404


# ---------------------------------------------------------------- export feeds


@pytest.mark.parametrize("stream", STREAMS)
def test_export_paging_returns_every_record(clean, stream):
    srv = clean
    s = session(srv)
    got, n, _ = export_all(s, api(srv, EXPORT_PATHS[stream]))
    ids = [r["id"] for r in got]
    assert len(ids) == len(set(ids))
    assert set(ids) == srv.dataset.ids(stream)
    assert n == max(1, math.ceil(len(ids) / srv.export_page_size))
    assert srv.counters["by_endpoint"][EXPORT_PATHS[stream]] == n


def test_export_exact_multiple_of_page_size_needs_no_empty_page(clean):
    srv = clean
    n_tech = srv.dataset.count("technicians")
    with SandboxServer(customers=300, seed=7, export_page_size=n_tech) as exact:
        s = session(exact)
        got, n, _ = export_all(s, api(exact, "settings/export/technicians"))
        assert len(got) == n_tech
        assert n == 1
    with SandboxServer(customers=1000, seed=3, export_page_size=5) as five:
        assert five.dataset.count("technicians") == 10
        s = session(five)
        got, n, _ = export_all(s, api(five, "settings/export/technicians"))
        assert len(got) == 10
        assert n == 2


def test_resume_token_then_mutate_returns_exactly_the_changes(clean):
    srv = clean
    s = session(srv)
    tokens = {}
    for stream, path in EXPORT_PATHS.items():
        _, _, tokens[stream] = export_all(s, api(srv, path))
    for stream, path in EXPORT_PATHS.items():
        r = s.get(api(srv, path), params={"from": tokens[stream]}, timeout=10).json()
        assert r["data"] == []
        assert r["hasMore"] is False
        assert r["continueFrom"]
    before = {st: {r["id"]: r for r in srv.dataset.records(st)} for st in STREAMS}
    summary = srv.mutate(fraction=0.05, seed=11)
    assert summary["customers"]["created"] > 0
    assert summary["customers"]["updated"] > 0
    assert summary["customer_contacts"]["updated"] > 0
    for stream, path in EXPORT_PATHS.items():
        got, _, _ = export_all(s, api(srv, path), tokens[stream])
        after = {r["id"]: r for r in srv.dataset.records(stream)}
        changed = {
            i for i, r in after.items() if i not in before[stream] or r is not before[stream][i]
        }
        assert {r["id"] for r in got} == changed, stream
        counts = summary[stream]
        assert len(got) == counts["created"] + counts["updated"], stream
        for rec in got:
            assert rec == after[rec["id"]]
            if rec["id"] in before[stream]:
                assert rec["modifiedOn"] > before[stream][rec["id"]]["modifiedOn"]


def test_contact_changes_do_not_touch_parent(clean):
    srv = clean
    ds = srv.dataset
    contact = next(c for c in ds.records("customer_contacts") if c["active"])
    parent_before = ds.get("customers", contact["customerId"])
    ds.update("customer_contacts", contact["id"], active=False)
    assert ds.get("customers", contact["customerId"]) is parent_before


def test_export_from_date(clean):
    srv = clean
    s = session(srv)
    recs = srv.dataset.records("jobs")
    mods = sorted(r["modifiedOn"] for r in recs)
    cut = mods[len(mods) // 2][:10]  # a date
    cut_ms = parse_iso_ms(cut)
    want = {r["id"] for r in recs if parse_iso_ms(r["modifiedOn"]) >= cut_ms}
    got, _, _ = export_all(s, api(srv, "jpm/export/jobs"), cut)
    assert {r["id"] for r in got} == want
    dt = "2024-05-01T10:00:00Z"
    want = {r["id"] for r in recs if parse_iso_ms(r["modifiedOn"]) >= parse_iso_ms(dt)}
    got, _, _ = export_all(s, api(srv, "jpm/export/jobs"), dt)
    assert {r["id"] for r in got} == want


def test_export_bad_token_is_400(clean):
    srv = clean
    s = session(srv)
    r = s.get(api(srv, "crm/export/customers"), params={"from": "garbage!!"}, timeout=10)
    assert r.status_code == 400
    assert r.json()["title"]


# ---------------------------------------------------------------- list endpoints


def test_list_pagination_total_and_ids(clean):
    srv = clean
    s = session(srv)
    url = api(srv, "crm/customers")
    active_ids = sorted(r["id"] for r in srv.dataset.records("customers") if r["active"])
    seen, page = [], 1
    while True:
        body = s.get(
            url, params={"page": page, "pageSize": 70, "includeTotal": "true"}, timeout=10
        ).json()
        assert body["page"] == page
        assert body["pageSize"] == 70
        assert body["totalCount"] == len(active_ids)
        seen += [r["id"] for r in body["data"]]
        if not body["hasMore"]:
            break
        page += 1
    assert seen == active_ids
    every = s.get(url, params={"active": "Any", "pageSize": 5000}, timeout=10).json()
    assert len(every["data"]) == srv.dataset.count("customers")
    assert every["totalCount"] is None
    pick = [*active_ids[:3], 1]
    body = s.get(url, params={"ids": ",".join(map(str, pick))}, timeout=10).json()
    assert [r["id"] for r in body["data"]] == active_ids[:3]
    too_many = ",".join(str(i) for i in range(51))
    assert s.get(url, params={"ids": too_many}, timeout=10).status_code == 400
    assert s.get(url, params={"pageSize": 5001}, timeout=10).status_code == 400
    later = s.get(
        url, params={"modifiedOnOrAfter": "2025-01-01T00:00:00Z", "pageSize": 5000}, timeout=10
    ).json()["data"]
    assert all(r["modifiedOn"] >= "2025-01-01" for r in later)


def test_list_contacts_hide_inactive(clean):
    srv = clean
    s = session(srv)
    ds = srv.dataset
    by_customer: dict[int, list[dict]] = {}
    for c in ds.records("customer_contacts"):
        by_customer.setdefault(c["customerId"], []).append(c)
    with_inactive = [cid for cid, cs in by_customer.items() if any(not c["active"] for c in cs)]
    assert with_inactive
    cids = with_inactive[:50]
    body = s.get(
        api(srv, "crm/customers/contacts"),
        params={"customerIds": ",".join(map(str, cids)), "pageSize": 5000},
        timeout=10,
    ).json()
    want = sorted(c["id"] for cid in cids for c in by_customer[cid] if c["active"])
    assert sorted(r["id"] for r in body["data"]) == want
    assert all("active" not in r for r in body["data"])
    locs = [loc["id"] for loc in ds.records("locations")][:50]
    body = s.get(
        api(srv, "crm/locations/contacts"),
        params={"locationIds": ",".join(map(str, locs)), "pageSize": 5000},
        timeout=10,
    ).json()
    want = sorted(
        c["id"]
        for c in ds.records("location_contacts")
        if c["locationId"] in set(locs) and c["active"]
    )
    assert sorted(r["id"] for r in body["data"]) == want


# ---------------------------------------------------------------- faults


def test_rate_limit_answers_429_with_retry_after(clean):
    srv = clean
    srv.faults.configure(rate_limit=5)
    s = session(srv)
    url = api(srv, "settings/technicians")
    statuses = [s.get(url, timeout=10) for _ in range(12)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited
    assert sum(r.status_code == 200 for r in statuses) >= 5
    ra = limited[0].headers["Retry-After"]
    assert ra.isdigit()
    assert int(ra) >= 1
    assert limited[0].json()["title"] == "Too many requests"
    assert srv.counters["429"] == len(limited)


def test_fail_next_and_drop(clean):
    srv = clean
    s = session(srv)
    url = api(srv, "settings/technicians")
    srv.faults.fail_next(2, status=503, retry_after=2)
    r1, r2, r3 = (s.get(url, timeout=10) for _ in range(3))
    assert (r1.status_code, r2.status_code, r3.status_code) == (503, 503, 200)
    assert r1.headers["Retry-After"] == "2"
    srv.faults.fail_next(1, drop=True)
    with pytest.raises(requests.ConnectionError):
        s.get(url, timeout=10)
    assert s.get(url, timeout=10).status_code == 200
    c = srv.counters
    assert c["5xx"] == 2
    assert c["dropped"] == 1
    assert c["requests"] == 5
    assert c["by_endpoint"]["settings/technicians"] == 5
    assert c["token"] == 1


def test_html_errors_and_error_rate(clean):
    srv = clean
    srv.faults.configure(error_rate=1.0, error_status=502, html_errors=True)
    s = session(srv)
    r = s.get(api(srv, "settings/technicians"), timeout=10)
    assert r.status_code == 502
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.text.lstrip().startswith("<!DOCTYPE html>")
    srv.faults.configure(error_rate=0.5, seed=3)
    codes = [s.get(api(srv, "settings/technicians"), timeout=10).status_code for _ in range(40)]
    assert 5 < codes.count(503) < 35
    assert codes.count(200) + codes.count(503) == 40


def test_slow_and_control_endpoints(clean):
    srv = clean
    r = requests.post(f"{srv.url}/_sandbox/faults", json={"latency": 0.2}, timeout=10)
    assert r.status_code == 200
    s = session(srv)
    t = time.perf_counter()
    assert s.get(api(srv, "settings/technicians"), timeout=10).status_code == 200
    assert time.perf_counter() - t >= 0.2
    requests.post(f"{srv.url}/_sandbox/faults", json={"reset": True}, timeout=10)
    assert srv.faults.latency == 0
    stats = requests.get(f"{srv.url}/_sandbox/stats", timeout=10).json()
    assert stats["requests"] == 1
    assert stats["token"] == 1
    requests.post(f"{srv.url}/_sandbox/reset-counters", timeout=10)
    assert srv.counters["requests"] == 0
    assert requests.get(f"{srv.url}/_sandbox/health", timeout=10).json()["status"] == "ok"
    r = requests.get(f"{srv.url}/_sandbox/nope", timeout=10)
    assert r.status_code == 404
    assert "No sandbox route for GET /_sandbox/nope" in r.json()["title"]


def test_connections_are_reused(clean):
    srv = clean
    s = session(srv)
    before = srv.counters["connections"]
    for _ in range(5):
        assert s.get(api(srv, "settings/technicians"), timeout=10).status_code == 200
    assert srv.counters["connections"] - before <= 1


# ---------------------------------------------------------------- dataset


def test_same_seed_same_records():
    a, b = Dataset(150, seed=5), Dataset(150, seed=5)
    for stream in STREAMS:
        assert a.records(stream) == b.records(stream)
    c = Dataset(150, seed=6)
    assert a.records("customers") != c.records("customers")


def _is_dt(value: str) -> bool:
    return (
        isinstance(value, str)
        and value.endswith("Z")
        and bool(datetime.fromisoformat(value.replace("Z", "+00:00")))
    )


def test_relationships_and_shapes(srv):
    ds = srv.dataset
    cust, locs, jobs = ds.ids("customers"), ds.ids("locations"), ds.ids("jobs")
    techs, appts = ds.ids("technicians"), ds.ids("appointments")
    loc_owner = {r["id"]: r["customerId"] for r in ds.records("locations")}
    assert all(r["customerId"] in cust for r in ds.records("customer_contacts"))
    assert set(loc_owner.values()) <= cust
    assert all(r["locationId"] in locs for r in ds.records("location_contacts"))
    appt_by_id = {r["id"]: r for r in ds.records("appointments")}
    job_by_id = {r["id"]: r for r in ds.records("jobs")}
    for j in job_by_id.values():
        assert j["customerId"] in cust
        assert loc_owner[j["locationId"]] == j["customerId"]
        own = (appt_by_id[j["firstAppointmentId"]], appt_by_id[j["lastAppointmentId"]])
        assert all(a["jobId"] == j["id"] for a in own)
        if j["soldById"] is not None:
            assert j["soldById"] in techs
        if j["jobGeneratedLeadSource"]:
            assert j["jobGeneratedLeadSource"]["employeeId"] in techs
        assert (j["completedOn"] is not None) == (j["jobStatus"] == "Completed")
    per_job: dict[int, int] = {}
    for a in appt_by_id.values():
        assert a["customerId"] == job_by_id[a["jobId"]]["customerId"]
        per_job[a["jobId"]] = per_job.get(a["jobId"], 0) + 1
    assert all(per_job[j["id"]] == j["appointmentCount"] for j in job_by_id.values())
    for inv in ds.records("invoices"):
        assert inv["customer"]["id"] in cust
        if inv["job"] is not None:
            assert job_by_id[inv["job"]["id"]]["customerId"] == inv["customer"]["id"]
            assert inv["location"]["id"] == job_by_id[inv["job"]["id"]]["locationId"]
        for k in ("total", "balance", "subTotal", "salesTax"):
            assert isinstance(inv[k], str)
            float(inv[k])
        if inv["balance"] in ("0", "0.00"):
            assert inv["paidOn"] is not None
    for e in ds.records("estimates"):
        j = job_by_id[e["jobId"]]
        assert (e["customerId"], e["locationId"]) == (j["customerId"], j["locationId"])
    for t in ds.records("technicians"):
        assert t["jobId"] is None or t["jobId"] in jobs
        assert t["appoitmentId"] is None or t["appoitmentId"] in appts
    merged = [c for c in ds.records("customers") if c["mergedToId"] is not None]
    assert merged
    assert all(not c["active"] and c["mergedToId"] in cust for c in merged)
    for stream in STREAMS:
        for r in ds.records(stream):
            assert _is_dt(r["createdOn"])
            assert _is_dt(r["modifiedOn"])
            assert r["modifiedOn"] >= r["createdOn"][:19] or parse_iso_ms(
                r["modifiedOn"]
            ) >= parse_iso_ms(r["createdOn"])


def test_messy_data_is_present(srv):
    ds = srv.dataset
    names = [c["name"] for c in ds.records("customers")]
    assert any(not n.strip() for n in names)
    assert any(not n.isascii() for n in names)
    assert any("'" in n or '"' in n or "&" in n for n in names)
    with_contacts = {c["customerId"] for c in ds.records("customer_contacts")}
    assert ds.ids("customers") - with_contacts
    with_locs = {r["customerId"] for r in ds.records("locations")}
    assert ds.ids("customers") - with_locs
    mods = [r["modifiedOn"] for r in ds.records("customers")]
    assert len(set(mods)) < len(mods) * 0.9
    assert any(not r["active"] for r in ds.records("jobs"))
    assert any(inv["total"].startswith("-") for inv in ds.records("invoices"))
    assert {c["type"] for c in ds.records("customers")} == {"Residential", "Commercial"}


def test_cli_prints_url_and_exits_cleanly_on_sigterm():
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "servicetitan_sandbox",
            "--port",
            "0",
            "--customers",
            "50",
            "--seed",
            "9",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        assert m, line
        assert f"client_id={credentials.CLIENT_ID}" in line
        assert f"st_app_key={credentials.APP_KEY}" in line
        health = requests.get(f"{m.group(1)}/_sandbox/health", timeout=10).json()
        assert health["status"] == "ok"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
