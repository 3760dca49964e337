"""The KPI tables (docs/kpi-tables.md) rule by rule: the warehouse against the oracle.

Raw records built to hit each rule's edge (tests/support/kpi_edge_cases.py)
go through the real target-postgres into a scratch database; the real dbt
project builds the KPI tables in America/Chicago on a fixed run date; every
table is compared whole with tests/support/kpi_oracle.py, an independent
Python reading of the KPI rules (docs/kpi-tables.md) and transforms/models/kpi/CONTRACT.md.
Then: an incremental run after changes against the oracle and a full
rebuild, a run without changes that writes nothing, two tenants in one
schema, ``dbt test``, and an unknown time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction

import pytest

from tests.support.kpi_edge_cases import (
    KPI_STREAMS,
    RUN_DATE,
    TIMEZONE,
    changed_records,
    edge_records,
    kpi_record,
    merged,
    second_tenant_records,
)
from tests.support.kpi_oracle import (
    KEYS,
    TABLES,
    compute,
    diff,
    diff_all,
    round_half_up,
    split_shares,
)
from tests.support.kpi_warehouse import (
    COLUMN_TYPES,
    column_types,
    kpi_dbt,
    missing_tables,
    read_all,
    read_table,
)
from tests.support.transforms_fixtures import TENANT_ID, load_raw, scratch_database

SECOND_TENANT = 4343
SECOND_RAW_SCHEMA = "tap_servicetitan_b"
OTHER_TIMEZONE = "Asia/Kolkata"


def expected(records: dict, run_date: dt.date = RUN_DATE, **kwargs: object) -> dict:
    options = {"tenant_id": TENANT_ID, "timezone": TIMEZONE, **kwargs}
    return compute(records, run_date=run_date, **options)


def without_sync_stamp(tables: dict[str, list[dict]]) -> dict[str, list[dict]]:
    return {
        table: [{k: v for k, v in row.items() if k != "last_synced_at"} for row in rows]
        for table, rows in tables.items()
    }


@pytest.fixture(scope="module")
def built() -> Iterator[str]:
    """The edge records loaded and built once, in Chicago, on RUN_DATE."""
    with scratch_database() as dbname:
        load_raw(dbname, edge_records())
        kpi_dbt("run", dbname, run_date=RUN_DATE, timezone=TIMEZONE)
        yield dbname


@pytest.mark.parametrize("table", TABLES)
def test_table_equals_the_oracle(built: str, table: str) -> None:
    want = expected(edge_records())[table]
    assert want, f"the edge records give {table} no rows: the comparison would prove nothing"
    got = read_all(built, tenant_id=TENANT_ID)[table]
    assert not (text := diff(table, want, got)), "\n" + text


@pytest.mark.parametrize("table", TABLES)
def test_columns_have_the_contract_types(built: str, table: str) -> None:
    read_all(built)  # fails naming the missing tables
    assert column_types(built, table) == COLUMN_TYPES[table]


def test_technicians_and_campaigns_tie_to_business_units(built: str) -> None:
    """Every completed-revenue cent lands once per table (the KPI rules: the sums tie)."""
    tables = read_all(built, tenant_id=TENANT_ID)
    totals = {
        table: sum(row["completed_revenue"] for row in tables[table])
        for table in ("kpi_business_unit_daily", "kpi_technician_daily", "kpi_campaign_daily")
    }
    assert len(set(totals.values())) == 1, totals
    assert totals["kpi_business_unit_daily"] > 0


def test_dbt_test_passes(built: str) -> None:
    read_all(built)
    output = kpi_dbt("test", built, run_date=RUN_DATE, timezone=TIMEZONE)
    assert "PASS=" in output, output[-3000:]


def test_a_run_without_changes_writes_nothing(built: str) -> None:
    before = read_all(built)
    kpi_dbt("run", built, run_date=RUN_DATE, timezone=TIMEZONE)
    after = read_all(built)
    for table in TABLES:
        assert after[table] == before[table], f"{table} changed:\n" + diff(
            table, before[table], after[table]
        )
        assert [r["last_synced_at"] for r in after[table]] == [
            r["last_synced_at"] for r in before[table]
        ], f"{table}: rows rewritten by a run without changes"


class Findings:
    """Differences collected stage by stage, so one failure does not hide the next."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def check(self, stage: str, text: str) -> None:
        if text:
            self.texts.append(f"--- {stage}\n{text}")

    def assert_none(self) -> None:
        assert not self.texts, "\n" + "\n".join(self.texts)


def test_changes_then_incremental_run_equal_the_oracle_and_a_full_rebuild() -> None:
    """Day 1 on the base records, day 2 unchanged, changes the same day, a full rebuild.

    The AR snapshot of day 1 is kept; day 2's is replaced by the run after
    the changes (the KPI rules: a later run the same day replaces it). A full rebuild
    is compared on today's snapshot only (past balances cannot be rebuilt).
    Last, an incremental run in another time zone.
    """
    day1 = RUN_DATE - dt.timedelta(days=1)
    base = edge_records()
    changes = changed_records(base)
    after_changes = merged(base, changes)
    assert expected(after_changes) != expected(base), "the changes change no KPI row"
    findings = Findings()
    with scratch_database() as dbname:
        load_raw(dbname, base)
        kpi_dbt("run", dbname, run_date=day1, timezone=TIMEZONE)
        findings.check("day 1, first build", diff_all(expected(base, day1), read_all(dbname)))
        day1_snapshot = expected(base, day1)["kpi_ar_aging"]

        # a new day, no new raw rows: costs reach the new day, the AR snapshot is added
        kpi_dbt("run", dbname, run_date=RUN_DATE, timezone=TIMEZONE)
        want = expected(base)
        want["kpi_ar_aging"] = day1_snapshot + want["kpi_ar_aging"]
        findings.check("day 2, no raw changes", diff_all(want, read_all(dbname)))

        # changes loaded on top, an incremental run the same day
        load_raw(dbname, changes)
        kpi_dbt("run", dbname, run_date=RUN_DATE, timezone=TIMEZONE)
        want = expected(after_changes)
        want["kpi_ar_aging"] = day1_snapshot + want["kpi_ar_aging"]
        incremental = read_all(dbname)
        findings.check("day 2, incremental run after changes", diff_all(want, incremental))

        # a full rebuild from the same raw tables gives the same rows (AR: today's snapshot)
        kpi_dbt("run", dbname, run_date=RUN_DATE, timezone=TIMEZONE, full_refresh=True)
        rebuilt = read_all(dbname)
        for table in TABLES:
            mine, theirs = incremental[table], rebuilt[table]
            if table == "kpi_ar_aging":
                mine = [r for r in mine if r["snapshot_date"] == RUN_DATE]
                theirs = [r for r in theirs if r["snapshot_date"] == RUN_DATE]
            findings.check(
                "the incremental run (expected) against a full rebuild (warehouse)",
                diff(table, mine, theirs),
            )

        # the tenant's time zone changes (to a half-hour offset): every local date moves
        kpi_dbt("run", dbname, run_date=RUN_DATE, timezone=OTHER_TIMEZONE)
        want = expected(after_changes, timezone=OTHER_TIMEZONE)
        got = read_all(dbname)
        got["kpi_ar_aging"] = [r for r in got["kpi_ar_aging"] if r["snapshot_date"] == RUN_DATE]
        findings.check(f"time zone changed to {OTHER_TIMEZONE}", diff_all(want, got))
    findings.assert_none()


def test_second_tenant_leaves_the_first_tenants_rows_untouched() -> None:
    """Two raw schemas, one st schema; the tenants overlap in ids and differ in time zone."""
    first, second = edge_records(), second_tenant_records()
    want = expected(second, tenant_id=SECOND_TENANT, timezone="UTC")
    assert want != expected(first, tenant_id=SECOND_TENANT, timezone="UTC")
    findings = Findings()
    with scratch_database() as dbname:
        load_raw(dbname, first)
        kpi_dbt("run", dbname, run_date=RUN_DATE, timezone=TIMEZONE)
        before = read_all(dbname, tenant_id=TENANT_ID)
        findings.check("first tenant", diff_all(expected(first), before))

        load_raw(dbname, second, schema_name=SECOND_RAW_SCHEMA, tenant_id=SECOND_TENANT)
        kpi_dbt("run", dbname, run_date=RUN_DATE, timezone="UTC", raw_schema=SECOND_RAW_SCHEMA)
        after = read_all(dbname, tenant_id=TENANT_ID)
        for table in TABLES:
            if after[table] != before[table]:
                findings.check(
                    f"{table}: the second tenant's run changed the first tenant's rows "
                    "(before = expected)",
                    diff(table, before[table], after[table]) or "  last_synced_at rewritten",
                )
        got = read_all(dbname, tenant_id=SECOND_TENANT)
        findings.check("second tenant (UTC)", diff_all(want, got))
        everyone = read_all(dbname)
        tenants = {row["tenant_id"] for rows in everyone.values() for row in rows}
        findings.check(
            "tenants", "" if tenants == {TENANT_ID, SECOND_TENANT} else f"  tenants {tenants}"
        )
    findings.assert_none()


def test_unknown_time_zone_fails_naming_the_setting() -> None:
    with scratch_database() as dbname:
        load_raw(
            dbname,
            {stream: [] for stream in KPI_STREAMS} | {"customers": [kpi_record("customers", 1)]},
        )
        output = kpi_dbt("run", dbname, run_date=RUN_DATE, timezone="Mars/Olympus", succeed=False)
        named = [
            line
            for line in output.splitlines()
            if "Mars/Olympus" in line and ("DBT_POSTGRES_TIMEZONE" in line or "timezone" in line)
        ]
        assert named, f"no line names the setting and the value:\n{output[-3000:]}"
        assert "Traceback" not in output, output[-3000:]
        assert not read_table_if_any(dbname), "an unknown time zone still built KPI rows"


def read_table_if_any(dbname: str) -> list[dict]:
    """Rows of any KPI table that exists (none when they were never built)."""
    absent = set(missing_tables(dbname))
    return [row for table in TABLES if table not in absent for row in read_table(dbname, table)]


def test_oracle_covers_every_edge() -> None:
    """The edge records reach every measure of every table (else a rule goes unchecked)."""
    tables = expected(edge_records())
    for table, rows in tables.items():
        for column in rows[0]:
            if column in KEYS[table] or column == "tenant_id":
                continue
            assert any(row[column] not in (None, 0) for row in rows), (table, column)


# --- the oracle itself, against figures worked out by hand ---------------------


def test_oracle_hand_figures() -> None:
    """A few figures of the edge records computed by hand (the oracle is no tautology)."""
    tables = expected(edge_records())

    def row(table: str, **key: object) -> dict:
        (found,) = [r for r in tables[table] if all(r[k] == v for k, v in key.items())]
        return found

    march_1 = dt.date(2025, 3, 1)
    # job 1001 completed 03:30 UTC March 2 = March 1 in Chicago; 400 + 8 + 7 + 30 under 101
    # (the fallbacks), 200 under 102 (" income "); expense, no-GL, inactive items left out
    assert row("kpi_business_unit_daily", business_unit_id=101, date=march_1)[
        "completed_revenue"
    ] == Decimal("445.00")
    assert row("kpi_business_unit_daily", business_unit_id=102, date=march_1)["completed_jobs"] == 1
    # 645 split 2 : 1
    assert row("kpi_technician_daily", technician_id=302, date=march_1)[
        "completed_revenue"
    ] == Decimal("215.00")
    # the March 1 non-job invoice, midnight UTC: March 1 as sent
    assert row("kpi_business_unit_daily", business_unit_id=103, date=march_1)[
        "non_job_revenue"
    ] == Decimal("120.00")
    # 20 minutes twice: 0.67, not 0.33 + 0.33
    assert row("kpi_technician_daily", technician_id=301, date=dt.date(2025, 3, 5))[
        "worked_hours"
    ] == Decimal("0.67")
    campaign = row("kpi_campaign_daily", campaign_id=201, date=march_1)
    assert (campaign["leads"], campaign["booked_calls"], campaign["cost"]) == (
        2,
        1,
        Decimal("20.00"),
    )
    assert (campaign["cost_per_lead"], campaign["roi"]) == (Decimal("10.00"), Decimal("32.2500"))
    february = row(
        "kpi_membership_monthly",
        membership_type_id=401,
        business_unit_id=101,
        month=dt.date(2025, 2, 1),
    )
    assert (february["active_at_end"], february["canceled"], february["churn_rate"]) == (
        1,
        1,
        Decimal("0.5000"),
    )
    due_today = row("kpi_ar_aging", invoice_id=12001)
    assert (due_today["days_past_due"], due_today["bucket"]) == (0, "current")
    twice = row("st_payment_applications", payment_id=13001, invoice_id=12001)
    assert twice["applied_amount"] == Decimal("15.25")
    assert twice["applied_on"] == dt.datetime(2025, 3, 3, 10, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("amount", "splits", "shares"),
    [
        ("645", {301: 2, 302: 1}, {301: "430", 302: "215"}),
        ("100.01", {303: "0.5", 304: "0.5"}, {303: "50.01", 304: "50.00"}),  # tie: lowest id
        ("100", {1: 1, 2: 1, 3: 1}, {1: "33.34", 2: "33.33", 3: "33.33"}),
        ("-100", {1: 1, 2: 2}, {1: "-33.33", 2: "-66.67"}),  # toward zero
        ("10", {5: 0, 6: 0}, {None: "10"}),
        ("10", {}, {None: "10"}),
    ],
)
def test_oracle_split_shares(amount: str, splits: dict, shares: dict) -> None:
    got = split_shares(
        Fraction(Decimal(amount)), {k: Fraction(Decimal(str(v))) for k, v in splits.items()}
    )
    assert got == {k: Fraction(Decimal(v)) for k, v in shares.items()}


@pytest.mark.parametrize(
    ("value", "places", "rounded"),
    [
        (Fraction(1, 8), 2, "0.13"),
        (Fraction(-1, 8), 2, "-0.13"),
        (Fraction(1, 3), 4, "0.3333"),
        (Fraction(2, 3), 4, "0.6667"),
        (Fraction(0), 2, "0.00"),
    ],
)
def test_oracle_rounds_half_away_from_zero(value: Fraction, places: int, rounded: str) -> None:
    assert round_half_up(value, places) == Decimal(rounded)
    assert str(round_half_up(value, places)) == rounded
