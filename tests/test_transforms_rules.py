"""The st_* rules (docs/st-tables.md), rule by rule, on crafted raw rows.

One load through target-postgres and one full build for the whole module;
each test reads the st_* tables for its own customer ids.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.support.transforms_fixtures import (
    ST_TABLES,
    TENANT_ID,
    load_raw,
    query,
    record,
    run,
    scratch_database,
)

UTC = dt.timezone.utc
NAME_PROPERTIES = {
    "firstName": {"type": ["string", "null"]},
    "lastName": {"type": ["string", "null"]},
}


def customer(cid: int, **overrides: object) -> dict:
    return record("customers", cid, **overrides)


def contact(contact_id: int, cid: int, kind: str, value: str, active: bool = True) -> dict:
    return record(
        "customer_contacts", contact_id, customerId=cid, type=kind, value=value, active=active
    )


def location(location_id: int, cid: int, active: bool = True, **address: object) -> dict:
    base = record("locations", location_id, customerId=cid, active=active)
    base["address"].update(address)
    return base


def job(
    job_id: int,
    cid: int,
    status: str = "Completed",
    active: bool = True,
    created: str = "2024-01-01T00:00:00Z",
) -> dict:
    return record(
        "jobs",
        job_id,
        customerId=cid,
        locationId=1,
        jobStatus=status,
        active=active,
        createdOn=created,
    )


def invoice(
    invoice_id: int,
    cid: int | None,
    total: object,
    balance: object,
    active: bool = True,
    job_id: int | None = None,
) -> dict:
    return record(
        "invoices",
        invoice_id,
        customer=None if cid is None else {"id": cid, "name": f"C{cid}"},
        total=total,
        balance=balance,
        active=active,
        job=None if job_id is None else {"id": job_id, "number": str(job_id), "type": "Service"},
        location={"id": 1, "name": "Home"},
    )


PHONES = {
    110: ("555-123-4567", "(555) 123-4567"),  # 10 digits
    111: ("1 (555) 123-4567", "(555) 123-4567"),  # 11 digits starting with 1
    112: ("25551234567", "25551234567"),  # 11 digits not starting with 1
    113: ("123-4567", "123-4567"),  # 7 digits
    114: ("555-123-4567 x89", "555-123-4567 x89"),  # extension: 12 digits
    115: ("1-800-FLOWERS", "1-800-FLOWERS"),  # letters
    116: (
        "\uff15\uff15\uff15-\uff11\uff12\uff13-\uff14\uff15\uff16\uff17",
        "\uff15\uff15\uff15-\uff11\uff12\uff13-\uff14\uff15\uff16\uff17",
    ),  # full-width
    117: ("+1 555.123.4567", "(555) 123-4567"),
    118: ("(555)1234567", "(555) 123-4567"),  # a MobilePhone
}


def crafted() -> dict[str, list[dict]]:
    customers = [
        # contacts
        customer(101),
        customer(102),
        customer(103),
        customer(104),
        customer(119),
        *(customer(cid) for cid in PHONES),
        # names and types
        customer(201, name='O\'Brien "Bob" \\ Ñandú 日本; drop table x;--'),
        customer(202, name="", firstName="Ann", lastName="Lee"),
        customer(203, name="   "),
        customer(204, name="", firstName="Ann", lastName=None),
        customer(205, name=None),
        customer(301, type=""),
        customer(302, type="Commercial"),
        customer(303, type=None),
        # locations
        customer(
            401,
            address={
                "street": "9 Own St",
                "unit": "B",
                "city": "Owncity",
                "state": "NY",
                "zip": "10001",
                "country": "",
            },
        ),
        customer(402),
        customer(403),
        customer(404),
        customer(
            405,
            address={
                "street": "x",
                "unit": None,
                "city": "x",
                "state": "x",
                "zip": "x",
                "country": "Mexico",
            },
        ),
        # aggregates
        customer(501),
        customer(502),
        customer(503),
        customer(504),
        customer(505),
        # merged, inactive
        customer(601, mergedToId=602, active=False, doNotMail=True, doNotService=True),
        customer(602),
    ]
    contacts = [
        # 102: only inactive contacts -> lowest id among them
        contact(1021, 102, "Email", "second@example.com", active=False),
        contact(1020, 102, "Email", "first@example.com", active=False),
        contact(1022, 102, "Phone", "5551112222", active=False),
        # 103: active beats a lower inactive id; Phone and MobilePhone compete
        contact(1030, 103, "Email", "old@example.com", active=False),
        contact(1031, 103, "Email", "new@example.com"),
        contact(1032, 103, "Phone", "5550000001", active=False),
        contact(1034, 103, "MobilePhone", "5550000004"),
        contact(1033, 103, "Phone", "5550000003"),
        # 104: a tie between active e-mails -> lowest id; a fax is no phone
        contact(1041, 104, "Email", "b@example.com"),
        contact(1040, 104, "Email", "a@example.com"),
        contact(1042, 104, "Fax", "5559998888"),
        # 119: e-mails are not rewritten
        contact(1190, 119, "Email", " Mixed@Example.COM"),
        *(
            contact(cid * 10, cid, "MobilePhone" if cid == 118 else "Phone", raw)
            for cid, (raw, _) in PHONES.items()
        ),
    ]
    locations = [
        location(4021, 402, active=False, street="Inactive Low"),
        location(4022, 402, active=True, street="Active High"),
        location(4031, 403, active=False, street="Inactive High"),
        location(4030, 403, active=False, street="Inactive Low"),
        location(4041, 404, street="Second"),
        location(
            4040,
            404,
            street="First",
            unit="Apt 2",
            city="Toronto",
            state="ON",
            zip="M5V",
            country="Canada",
        ),
        location(4050, 405, country=None),
        record(
            "locations",
            4060,
            customerId=402,
            active=False,
            name="",
            address={
                "street": "s",
                "unit": None,
                "city": "c",
                "state": "st",
                "zip": "z",
                "country": "",
                "latitude": None,
                "longitude": None,
            },
        ),
    ]
    jobs = [
        job(5011, 501, "Completed", created="2024-03-01T10:00:00Z"),
        job(5012, 501, "Completed", created="2024-05-01T10:00:00Z"),
        job(5013, 501, "Scheduled", created="2024-04-01T10:00:00Z"),
        job(5014, 501, "Completed", active=False, created="2024-09-01T10:00:00Z"),
        job(5041, 504, "Completed", created="2024-02-02T02:02:02Z"),
    ]
    invoices = [
        invoice(5031, 503, "100.00", "0"),  # paid, balance "0"
        invoice(5032, 503, "50.50", "0.00"),  # paid, balance "0.00"
        invoice(5033, 503, "25", "0.01"),  # unpaid
        invoice(5034, 503, "70", "0", active=False),  # inactive: not counted
        invoice(5035, 503, "0", "0"),  # zero invoice, paid
        invoice(5036, 503, "-30.25", "0"),  # negative (credit), paid
        invoice(5037, 503, "10", None),  # no balance: unpaid
        # a job of 504 invoiced to 505: belongs to 505 by customer.id
        invoice(5041, 505, "40", "0", job_id=5041),
        invoice(5099, None, "5", "0"),  # no customer: belongs to nobody
    ]
    return {
        "customers": customers,
        "customer_contacts": contacts,
        "locations": locations,
        "jobs": jobs,
        "invoices": invoices,
        "appointments": [
            record(
                "appointments",
                7001,
                jobId=5011,
                customerId=501,
                start="2024-03-02T09:00:00Z",
                end="2024-03-02T11:00:00Z",
            )
        ],
        "estimates": [
            record(
                "estimates",
                8001,
                jobId=5011,
                customerId=501,
                locationId=4022,
                subtotal=99.995,
                tax=8.25,
            )
        ],
        "technicians": [
            record(
                "technicians",
                9001,
                name="Tess Tech",
                firstName="Tess",
                lastName="Tech",
                email="tess@example.com",
            )
        ],
    }


@pytest.fixture(scope="module")
def built() -> str:
    with scratch_database() as dbname:
        load_raw(dbname, crafted(), extra_properties={"customers": NAME_PROPERTIES})
        summaries = run(dbname)
        assert summaries["st_customers"].records_created == len(crafted()["customers"])
        yield dbname


def customers(dbname: str) -> dict[int, dict]:
    return {row["st_id"]: row for row in query(dbname, "select * from public.st_customers")}


def one(dbname: str, table: str, st_id: int) -> dict:
    rows = query(dbname, f"select * from public.{table} where st_id = %s", (st_id,))
    assert len(rows) == 1, (table, st_id, rows)
    return rows[0]


# --- st_customers: contacts -------------------------------------------------


def test_customer_without_contacts_has_no_email_or_phone(built: str) -> None:
    row = customers(built)[101]
    assert (row["email"], row["phone"]) == (None, None)


def test_only_inactive_contacts_pick_the_lowest_id(built: str) -> None:
    row = customers(built)[102]
    assert row["email"] == "first@example.com"
    assert row["phone"] == "(555) 111-2222"


def test_active_contacts_come_first_across_phone_and_mobile(built: str) -> None:
    row = customers(built)[103]
    assert row["email"] == "new@example.com"
    assert row["phone"] == "(555) 000-0003"


def test_tie_between_active_contacts_takes_lowest_id_and_fax_is_not_a_phone(built: str) -> None:
    row = customers(built)[104]
    assert row["email"] == "a@example.com"
    assert row["phone"] is None


def test_email_value_is_kept_as_is(built: str) -> None:
    assert customers(built)[119]["email"] == " Mixed@Example.COM"


@pytest.mark.parametrize("cid", sorted(PHONES))
def test_phone_normalization(built: str, cid: int) -> None:
    assert customers(built)[cid]["phone"] == PHONES[cid][1]


# --- st_customers: names and type ------------------------------------------


def test_names_keep_unicode_and_quotes(built: str) -> None:
    assert customers(built)[201]["name"] == 'O\'Brien "Bob" \\ Ñandú 日本; drop table x;--'


@pytest.mark.parametrize(
    ("cid", "name", "first", "last"),
    [
        (202, "Ann Lee", "Ann", "Lee"),
        (203, "Customer 203", None, None),
        (204, "Ann", "Ann", None),
        (205, "Customer 205", None, None),
    ],
)
def test_name_fallbacks(
    built: str, cid: int, name: str, first: str | None, last: str | None
) -> None:
    row = customers(built)[cid]
    assert (row["name"], row["first_name"], row["last_name"]) == (name, first, last)


@pytest.mark.parametrize(
    ("cid", "kind"), [(301, "Residential"), (302, "Commercial"), (303, "Residential")]
)
def test_type_defaults_to_residential(built: str, cid: int, kind: str) -> None:
    assert customers(built)[cid]["type"] == kind


# --- st_customers: primary location and address ----------------------------


def address(row: dict) -> tuple:
    return tuple(
        row[k]
        for k in ("address_line1", "address_line2", "city", "state", "postal_code", "country")
    )


def test_without_locations_the_customer_address_is_used_and_country_defaults(built: str) -> None:
    row = customers(built)[401]
    assert row["location_id"] is None
    assert address(row) == ("9 Own St", "B", "Owncity", "NY", "10001", "USA")


def test_active_location_beats_a_lower_inactive_one(built: str) -> None:
    row = customers(built)[402]
    assert row["location_id"] == 4022
    assert row["address_line1"] == "Active High"


def test_only_inactive_locations_take_the_lowest_id(built: str) -> None:
    row = customers(built)[403]
    assert (row["location_id"], row["address_line1"]) == (4030, "Inactive Low")


def test_tie_between_active_locations_takes_lowest_id_with_its_whole_address(built: str) -> None:
    row = customers(built)[404]
    assert row["location_id"] == 4040
    assert address(row) == ("First", "Apt 2", "Toronto", "ON", "M5V", "Canada")


def test_location_country_empty_defaults_to_usa_not_the_customer_country(built: str) -> None:
    row = customers(built)[405]
    assert (row["location_id"], row["country"]) == (4050, "USA")


def test_st_locations_defaults(built: str) -> None:
    row = one(built, "st_locations", 4060)
    assert (row["name"], row["country"], row["customer_id"]) == ("Primary", "USA", 402)
    assert (row["latitude"], row["longitude"]) == (None, None)
    named = one(built, "st_locations", 4040)
    assert named["name"] == "Home"
    assert (named["latitude"], named["longitude"]) == (Decimal("34.05"), Decimal("-118.25"))
    assert (named["address_line1"], named["postal_code"]) == ("First", "M5V")


# --- st_customers: aggregates ----------------------------------------------


def test_job_aggregates_count_active_jobs_only(built: str) -> None:
    row = customers(built)[501]
    assert (row["total_jobs"], row["completed_jobs"]) == (3, 2)
    assert row["last_job_date"] == dt.datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_customers_without_jobs_or_invoices_get_zero_aggregates(built: str) -> None:
    for cid in (101, 502, 601):
        row = customers(built)[cid]
        assert (
            row["total_jobs"],
            row["completed_jobs"],
            row["lifetime_value"],
            row["last_job_date"],
        ) == (0, 0, Decimal("0.00"), None)
        assert row["aggregates_updated_at"] is not None


def test_lifetime_value_sums_active_zero_balance_invoices(built: str) -> None:
    # 100.00 + 50.50 + 0 - 30.25; not the 0.01 balance, the inactive, the null balance
    assert customers(built)[503]["lifetime_value"] == Decimal("120.25")


def test_invoices_belong_by_customer_id_not_by_job(built: str) -> None:
    rows = customers(built)
    assert rows[504]["lifetime_value"] == Decimal("0.00")
    assert rows[504]["total_jobs"] == 1
    assert rows[505]["lifetime_value"] == Decimal("40.00")
    assert rows[505]["total_jobs"] == 0


@pytest.mark.parametrize(
    ("invoice_id", "status"),
    [
        (5031, "Paid"),
        (5032, "Paid"),
        (5033, "Unpaid"),
        (5034, "Unpaid"),
        (5035, "Paid"),
        (5036, "Paid"),
        (5037, "Unpaid"),
        (5041, "Paid"),
        (5099, "Unpaid"),
    ],
)
def test_st_invoices_status(built: str, invoice_id: int, status: str) -> None:
    assert one(built, "st_invoices", invoice_id)["status"] == status


def test_st_invoices_ids_and_money(built: str) -> None:
    row = one(built, "st_invoices", 5041)
    assert (row["customer_id"], row["job_id"], row["location_id"]) == (505, 5041, 1)
    assert (row["total"], row["balance"]) == (Decimal("40.00"), Decimal("0.00"))
    assert one(built, "st_invoices", 5036)["total"] == Decimal("-30.25")


# --- st_customers: record fields ---------------------------------------------


def test_merged_to_id_flags_and_inactive_customers(built: str) -> None:
    rows = customers(built)
    merged = rows[601]
    assert merged["merged_to_id"] == 602
    assert (merged["active"], merged["do_not_mail"], merged["do_not_service"]) == (
        False,
        True,
        True,
    )
    assert rows[602]["merged_to_id"] is None
    assert len(rows) == len(crafted()["customers"])


def test_full_data_is_the_raw_record_without_loader_columns(built: str) -> None:
    row = customers(built)[201]
    assert not [key for key in row["full_data"] if key.startswith("_sdc_")]
    assert row["full_data"]["name"] == 'O\'Brien "Bob" \\ Ñandú 日本; drop table x;--'
    assert row["full_data"]["address"]["street"] == "1 Bill St"
    assert row["st_created_on"] == dt.datetime(2024, 1, 1, tzinfo=UTC)
    assert row["tenant_id"] == TENANT_ID


# --- the other tables --------------------------------------------------------


def test_st_jobs_appointments_estimates_technicians(built: str) -> None:
    job_row = one(built, "st_jobs", 5014)
    assert (
        job_row["customer_id"],
        job_row["location_id"],
        job_row["job_status"],
        job_row["active"],
        job_row["total"],
    ) == (501, 1, "Completed", False, Decimal("100.00"))
    appointment = one(built, "st_appointments", 7001)
    assert (appointment["job_id"], appointment["customer_id"]) == (5011, 501)
    assert appointment["start_on"] == dt.datetime(2024, 3, 2, 9, tzinfo=UTC)
    estimate = one(built, "st_estimates", 8001)
    assert (estimate["job_id"], estimate["status"], estimate["subtotal"], estimate["tax"]) == (
        5011,
        "Open",
        Decimal("100.00"),
        Decimal("8.25"),
    )
    technician = one(built, "st_technicians", 9001)
    assert (technician["name"], technician["first_name"], technician["email"]) == (
        "Tess Tech",
        "Tess",
        "tess@example.com",
    )


def test_every_st_table_has_the_contract_types_and_key(built: str) -> None:
    columns = query(
        built,
        """
        select table_name, column_name, data_type, numeric_precision, numeric_scale
        from information_schema.columns
        where table_schema = 'public' and table_name like 'st\\_%%'
        """,
    )
    by_table: dict[str, dict[str, dict]] = {}
    for column in columns:
        by_table.setdefault(column["table_name"], {})[column["column_name"]] = column
    entity_tables = set(ST_TABLES) | {"st_sync_log"}
    assert entity_tables <= set(by_table)
    # st_payment_applications is keyed by payment and invoice (tests/test_kpi_rules.py)
    for table in sorted(entity_tables):
        cols = by_table[table]
        assert cols["tenant_id"]["data_type"] == "bigint", table
        assert cols["st_id"]["data_type"] == "bigint", table
        for name, column in cols.items():
            if name.endswith(("_at", "_on", "_date")) or name in ("due_date", "paid_on"):
                assert column["data_type"] == "timestamp with time zone", (table, name)
            if name.endswith("_id"):
                assert column["data_type"] == "bigint", (table, name)
        if table != "st_sync_log":
            assert cols["full_data"]["data_type"] == "jsonb", table
    money = [
        ("st_customers", "lifetime_value"),
        ("st_invoices", "total"),
        ("st_invoices", "balance"),
        ("st_jobs", "total"),
        ("st_estimates", "subtotal"),
    ]
    for table, name in money:
        column = by_table[table][name]
        assert (column["data_type"], column["numeric_precision"], column["numeric_scale"]) == (
            "numeric",
            14,
            2,
        )
    keys = query(
        built,
        """
        select tc.table_name, array_agg(kcu.column_name::text order by kcu.ordinal_position) as cols
        from information_schema.table_constraints as tc
        join information_schema.key_column_usage as kcu
            on kcu.constraint_name = tc.constraint_name and kcu.table_schema = tc.table_schema
        where tc.table_schema = 'public' and tc.constraint_type = 'PRIMARY KEY'
            and tc.table_name like 'st\\_%%'
        group by tc.table_name
        """,
    )
    assert {row["table_name"]: row["cols"] for row in keys} == {
        table: ["tenant_id", "st_id"] for table in entity_tables
    }


def test_sync_log_records_the_first_build(built: str) -> None:
    # the KPI models log themselves too (tests/test_kpi_rules.py)
    log = [
        row
        for row in query(built, "select * from public.st_sync_log order by st_id")
        if row["module"] in ST_TABLES
    ]
    assert {row["module"] for row in log} == set(ST_TABLES)
    assert {(row["sync_type"], row["status"]) for row in log} == {("full", "completed")}
    by_module = {row["module"]: row for row in log}
    data = crafted()
    assert by_module["st_jobs"]["records_fetched"] == len(data["jobs"])
    assert by_module["st_invoices"]["records_created"] == len(data["invoices"])
    assert by_module["st_customers"]["records_updated"] == 0
    assert all(row["duration_ms"] >= 0 and row["completed_at"] >= row["started_at"] for row in log)


def test_full_data_equals_the_raw_row_without_loader_columns_in_every_table(built: str) -> None:
    """full_data is the API's record: no _sdc_* columns, no tenant_id (the tap's)."""
    raw_tables = {
        "st_customers": "customers",
        "st_customer_contacts": "customer_contacts",
        "st_locations": "locations",
        "st_jobs": "jobs",
        "st_invoices": "invoices",
        "st_appointments": "appointments",
        "st_estimates": "estimates",
        "st_technicians": "technicians",
    }
    for table, raw in raw_tables.items():
        rows = query(
            built,
            f"""
            select count(*) as n,
                count(*) filter (
                    where st.full_data is distinct from to_jsonb(r) - array[
                        '_sdc_extracted_at', '_sdc_received_at', '_sdc_batched_at',
                        '_sdc_deleted_at', '_sdc_sequence', '_sdc_table_version',
                        '_sdc_sync_started_at', 'tenant_id']
                ) as differing
            from tap_servicetitan.{raw} as r
            left join public.{table} as st on st.st_id = r.id
            """,
        )
        assert rows[0]["n"] > 0, table
        assert rows[0]["differing"] == 0, table
