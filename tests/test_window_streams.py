"""The streams of endpoints that are not collections, through the tap against the sandbox
over HTTP, and through ``meltano run`` into PostgreSQL: business hours, capacity (a POST
over the next 14 days), the marketing-ads reports, the marketing cost reports.

Each is checked against a computation of its own from the sandbox's records: a report
summed over its days (the sandbox sums a window itself), a month's cost from the
campaigns' daily costs, a lead's id from the record the lead is of.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from importlib import resources

import jsonschema
import pytest

from servicetitan_devtools.tap_runner import TapRun, catalog_selecting, run_tap
from servicetitan_sandbox import SandboxServer
from servicetitan_sandbox.lookups import AD_CAMPAIGNS
from tap_servicetitan.streams.dispatch import CAPACITY_DAYS
from tap_servicetitan.streams.marketing import COST_MONTHS
from tap_servicetitan.streams.marketing_ads import ADS_DAYS
from tap_servicetitan.windows import daily_windows, monthly_windows, today_utc
from tests.support.meltano_project import MeltanoProject

STREAMS = (
    "business_hours",
    "capacities",
    "performance",
    "ad_group_performance",
    "keyword_performance",
    "attributed_leads",
    "capacity_warnings",
    "campaign_cost_summary",
    "email_channel_cost",
)


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


@pytest.fixture(scope="module")
def server() -> SandboxServer:
    with SandboxServer(customers=40, seed=17) as srv:
        yield srv


@pytest.fixture(scope="module")
def run(server: SandboxServer) -> TapRun:
    config = server.tap_config(requests_per_second=1000, batch_config={})
    result = run_tap(config, catalog=catalog_selecting(config, STREAMS))
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.mark.parametrize("name", STREAMS)
def test_every_record_is_valid_under_the_generated_schema(run, name) -> None:
    schema = json.loads(
        (resources.files("tap_servicetitan") / "schemas" / f"{name}.json").read_text()
    )
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    assert run.records[name], name
    for record in run.records[name]:
        errors = list(validator.iter_errors(record))
        assert not errors, f"{name}: {errors[0].message}"


def test_business_hours_and_capacity_warnings_are_the_sandbox_answers(run, server) -> None:
    (hours,) = run.records["business_hours"]
    assert hours == server.lookups.business_hours() | {"tenant_id": server.tenant_id}
    warnings = [
        {k: v for k, v in record.items() if k != "tenant_id"}
        for record in run.records["capacity_warnings"]
    ]
    assert warnings == server.lookups.capacity_warnings()


def test_capacity_covers_the_next_fourteen_days_keyed_by_frame_and_business_units(
    run, server
) -> None:
    first = today_utc()
    start = dt.datetime(first.year, first.month, first.day, tzinfo=dt.timezone.utc)
    end = start + dt.timedelta(days=CAPACITY_DAYS)
    expected = server.lookups.capacity(_ms(start), _ms(end))
    records = run.records["capacities"]
    keys = {(r["startUtc"], r["endUtc"], r["businessUnitKey"]) for r in records}
    assert len(keys) == len(records) == len(expected) > 0
    days = {r["startUtc"][:10] for r in records}
    assert len(days) == CAPACITY_DAYS
    assert all(r["businessUnitKey"] == ",".join(map(str, r["businessUnitIds"])) for r in records)
    assert sum(r["openAvailability"] for r in records) == sum(
        r["openAvailability"] for r in expected
    )


@pytest.mark.parametrize(
    ("stream", "segmentation"),
    [
        ("performance", "Campaign"),
        ("ad_group_performance", "AdGroup"),
        ("keyword_performance", "Keyword"),
    ],
)
def test_ad_performance_days_add_up_to_the_window(run, server, stream, segmentation) -> None:
    """The tap reads a row per day; summed, they are the sandbox's answer for the whole window."""
    records = run.records[stream]
    windows = daily_windows(today_utc(), ADS_DAYS)
    assert {r["date"] for r in records} == {start.date().isoformat() for start, _ in windows}
    whole = server.lookups.performance(_ms(windows[0][0]), _ms(windows[-1][1]), segmentation)
    revenue: dict = defaultdict(Decimal)
    clicks: dict = defaultdict(int)
    for r in records:
        key = (r["campaign"]["id"], r["adGroup"]["id"], r["keyword"]["id"])
        revenue[key] += Decimal(str(r["leadStats"]["revenue"]))
        clicks[key] += r["digitalStats"]["clicks"]
    assert len(whole) == len(revenue)
    for row in whole:
        key = (row["campaign"]["id"], row["adGroup"]["id"], row["keyword"]["id"])
        assert revenue[key] == Decimal(str(row["leadStats"]["revenue"])), key
        assert clicks[key] == row["digitalStats"]["clicks"], key
    keys = [tuple(r[k] for k in ("date", "campaignId")) for r in records]
    assert len(records) == len(windows) * len(AD_CAMPAIGNS) * len(whole) // len(AD_CAMPAIGNS)
    if stream == "performance":
        assert len(set(keys)) == len(keys)


def test_a_null_key_field_is_loaded_under_a_surrogate_with_one_warning(run) -> None:
    unlinked = [r for r in run.records["performance"] if r["campaign"]["id"] is None]
    assert len(unlinked) == ADS_DAYS
    assert all(isinstance(r["campaignId"], int) and r["campaignId"] < 0 for r in unlinked)
    assert len({r["campaignId"] for r in unlinked}) == ADS_DAYS
    lines = [
        line
        for line in run.stderr.splitlines()
        if "'performance'" in line and "key field 'campaignId' is null" in line
    ]
    assert len(lines) == 1, run.stderr[-3000:]


def test_a_review_without_external_id_keeps_its_surrogate_when_edited() -> None:
    """The surrogate is a hash of what identifies a review (site, author, date, job), not
    of its text: an edited review replaces its row instead of adding one."""
    with SandboxServer(customers=20, seed=41) as sandbox:
        config = sandbox.tap_config(requests_per_second=1000, batch_config={})
        catalog = catalog_selecting(config, ("reviews",))
        reviews = sandbox.generic.collections["marketingreputation/reviews"]
        first_review = reviews.in_key_order()[0]
        keys = []
        for text in ("Great service", "Great service, edited"):
            reviews.put(first_review | {"review": text})
            sandbox.faults.corrupt_next(
                "record", endpoint="marketingreputation/reviews", field="externalId", value=None
            )
            result = run_tap(config, catalog=catalog)
            assert result.returncode == 0, result.stderr[-3000:]
            (edited,) = [r for r in result.records["reviews"] if r["review"] == text]
            assert edited["externalId"].startswith("null-")
            keys.append((edited["externalId"], edited["platform"]))
        assert keys[0] == keys[1]


def test_attributed_leads_are_keyed_by_the_record_each_lead_is_of(run, server) -> None:
    records = run.records["attributed_leads"]
    windows = daily_windows(today_utc(), ADS_DAYS)
    assert records == [
        lead | {"leadId": lead_id(lead), "tenant_id": server.tenant_id}
        for lead in server.lookups.attributed_leads(_ms(windows[0][0]), _ms(windows[-1][1]))
    ]
    keys = {(r["leadType"], r["leadId"]) for r in records}
    assert len(keys) == len(records) == 3 * ADS_DAYS
    assert all(r["leadId"] is not None for r in records)


def lead_id(lead: dict) -> int | None:
    """The id of the record a lead is of: its call, web booking, web form or job."""
    return {
        1: lead["call"]["id"],
        2: lead["booking"]["id"],
        3: lead["leadForm"]["leadNumber"],
        4: lead["job"]["id"],
    }[lead["leadType"]]


def test_cost_reports_hold_each_month_of_the_campaigns_daily_costs(run, server) -> None:
    months = monthly_windows(today_utc(), COST_MONTHS)
    summary = {
        (r["month"], r["campaignId"]): r["totalCost"] for r in run.records["campaign_cost_summary"]
    }
    email = {r["month"]: r["totalCost"] for r in run.records["email_channel_cost"]}
    assert len(email) == COST_MONTHS
    for start, end in months:
        days = range(_ms(start), _ms(end), 86_400_000)
        month = start.date().isoformat()
        for campaign in AD_CAMPAIGNS:
            if campaign is None:
                continue
            cost = sum(Decimal(str(server.lookups.daily_cost(campaign, day))) for day in days)
            assert Decimal(str(summary[(month, campaign)])) == cost, (month, campaign)
        email_cost = sum(Decimal(str(server.lookups.daily_cost(0, day))) for day in days)
        assert Decimal(str(email[month])) == email_cost, month


def test_technician_tracking_links_each_assignment_then_those_changed(tmp_path) -> None:
    """A first run sweeps every appointment assignment; the next asks only for the changed."""
    with SandboxServer(customers=40, seed=31) as sandbox:
        config = sandbox.tap_config(requests_per_second=1000, batch_config={})
        catalog = catalog_selecting(config, ("appointment_assignments", "technician_tracking"))
        first = run_tap(config, catalog=catalog)
        assert first.returncode == 0, first.stderr[-3000:]
        assert _links(first) == _expected_links(sandbox)
        sandbox.mutate(fraction=0.1, seed=3)
        second = run_tap(config, catalog=catalog, state=first.final_state)
        assert second.returncode == 0, second.stderr[-3000:]
        changed = second.ids("appointment_assignments")
        assert 0 < len(changed) < len(first.ids("appointment_assignments"))
        expected = {k: v for k, v in _expected_links(sandbox).items() if k in changed}
        assert _links(second) == expected


def _links(run: TapRun) -> dict[int, tuple]:
    records = run.records.get("technician_tracking", [])
    links = {
        r["appointmentAssignmentId"]: (
            r["technicianId"],
            r["appointmentId"],
            r["technicianTrackingUrl"],
        )
        for r in records
    }
    assert len(links) == len(records)
    return links


def _expected_links(sandbox: SandboxServer) -> dict[int, tuple]:
    """Every assignment's technician and appointment, and the link the sandbox makes of them."""
    tenant = sandbox.tenant_id
    return {
        a["id"]: (
            a["technicianId"],
            a["appointmentId"],
            f"https://tracking.sandbox.example/{tenant}/{a['appointmentId']}/{a['technicianId']}",
        )
        for a in sandbox.generic.collections[
            "dispatch/export/appointment-assignments"
        ].records.values()
        if a.get("technicianId") is not None and a.get("appointmentId") is not None
    }


@pytest.mark.e2e
def test_the_preflight_passes_with_them_selected(database, tmp_path) -> None:
    """Their module's probes need no report window (none is made for the ad reports)."""
    with SandboxServer(customers=20, seed=37) as sandbox:
        project = MeltanoProject(sandbox, database, tmp_path, select=STREAMS)
        result = project.preflight()
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


@pytest.mark.e2e
def test_meltano_run_loads_them_with_typed_nested_columns(database, tmp_path) -> None:
    """Nested arrays of objects are jsonb (not jsonb[]), arrays of ids bigint[]; a review
    without its key field is loaded; every new stream's rows are in PostgreSQL."""
    streams = ("invoices", "payments", "reviews", "capacities", "performance", "business_hours")
    with SandboxServer(customers=60, seed=29) as sandbox:
        project = MeltanoProject(sandbox, database, tmp_path, select=streams)
        project.pipeline = ("run", "tap-servicetitan", "target-postgres")
        sandbox.faults.corrupt_next(
            "record", endpoint="marketingreputation/reviews", field="externalId", value=None
        )
        result = project.run()
        warned = [
            line
            for line in result.stderr.splitlines()
            if "'reviews'" in line and "key field 'externalId' is null" in line
        ]
        assert len(warned) == 1, result.stderr[-3000:]
        reviews = sandbox.generic.collections["marketingreputation/reviews"]
        with project.connect() as conn:
            types = dict(
                conn.execute(
                    "select table_name || '.' || column_name, data_type "
                    "from information_schema.columns where table_schema = 'tap_servicetitan'"
                ).fetchall()
            )
            assert types["invoices.items"] == "jsonb"
            assert types["payments.appliedTo"] == "jsonb"
            assert types["capacities.technicians"] == "jsonb"
            assert types["capacities.businessUnitIds"] == "ARRAY"
            assert types["performance.leadStats"] == "jsonb"
            (applied,) = conn.execute(
                "select count(*) from tap_servicetitan.payments, "
                'jsonb_array_elements("appliedTo") as entry '
                "where jsonb_typeof(entry -> 'appliedAmount') = 'number'"
            ).fetchone()
            expected = sum(
                len(p.get("appliedTo") or [])
                for p in sandbox.generic.collections["accounting/export/payments"].in_key_order()
            )
            assert applied == expected > 0
            assert project.count_rows("tap_servicetitan.reviews") == len(reviews.ids())
            (surrogate,) = conn.execute(
                "select count(*) from tap_servicetitan.reviews where \"externalId\" like 'null-%'"
            ).fetchone()
            assert surrogate == 1
            assert project.count_rows("tap_servicetitan.business_hours") == 1
            assert project.count_rows("tap_servicetitan.performance") == ADS_DAYS * len(
                AD_CAMPAIGNS
            )
            assert project.count_rows("tap_servicetitan.capacities") > 0
