"""What generated records are made of: names, addresses, phones, texts.

Pools of values (with the awkward ones real tenants have: accents, quotes,
backslashes, tabs, CJK) and small makers that draw from them.
"""

from __future__ import annotations

import random

FIRST = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "José",
    "Zoë",
    "François",
    "Björn",
    "Siobhán",
    "Renée",
    "Chloé",
    "Łukasz",
    "Mónica",
    "Ñando",
    "Anh",
    "Wei",
    "明",
    "Priya",
    "Olu",
    "D'Andre",
    "Mary-Kate",
    "Jean Luc",
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Núñez",
    "O'Brien",
    "O'Connor",
    "McDonald",
    "Müller",
    "Øyen",
    "Nguyen",
    "Li",
    "van der Berg",
    "St. James",
    "Smith-Jones",
    "王",
    "Kowalski",
    "D'Angelo",
    "Hernández",
    "Zoë-Lee",
    "Back\\slash",
]
COMPANY = [
    "Smith & Sons",
    '"Big Al\'s" HVAC',
    "北京 Plumbing",
    "Acme Heating & Air",
    "O'Brien Mechanical",
    "Back\\slash Electric",
    "Zoë's Café",
    "Núñez Properties LLC",
    "Main St. Dental",
    "Sunrise Apartments",
    "Café Ünïcödé",
    "Tab\tCorp",
    'Quote "Unquote" Inc.',
    "A&B <Holdings>",
    "Les Œuvres",
    "Percent 100% Roofing",
    "Semi;Colon Storage",
    "Comma, Inc.",
]
STREETS = [
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Cedar Ln",
    "Elm St",
    "Pine Rd",
    "Washington Blvd",
    "Lake Shore Dr",
    "Calle Señora",
    "Rue de l'Église",
    "King's Rd",
    "1st Ave",
    "Broadway",
]
CITIES = [
    ("Los Angeles", "CA", "900"),
    ("Phoenix", "AZ", "850"),
    ("Dallas", "TX", "752"),
    ("Houston", "TX", "770"),
    ("Denver", "CO", "802"),
    ("Miami", "FL", "331"),
    ("Atlanta", "GA", "303"),
    ("Seattle", "WA", "981"),
    ("San José", "CA", "951"),
    ("Coeur d'Alene", "ID", "838"),
    ("Chicago", "IL", "606"),
    ("Boston", "MA", "021"),
]
UNITS = [None, None, None, None, "Apt 2", "Suite 100", "#5", "Unit B", ""]
EMAIL_DOMAINS = ["example.com", "mail.example.org", "example.net"]
PHONE_FORMATS = [
    "({a}) {b}-{c}",
    "{a}.{b}.{c}",
    "+1 ({a}) {b}-{c}",
    "1-{a}-{b}-{c}",
    "{a}{b}{c}",
    "{b}-{c}",
    "({a}) {b}-{c} x12",
    "{a}-{b}-{c}",
    "+1{a}{b}{c}",
    "({a}) {b}-{c}",
]
MEMOS = [None, None, None, "", "Primary", "Office", "Call after 5pm", "Spouse", "Billing"]
JOB_STATUSES = ["Scheduled", "Dispatched", "InProgress", "Hold", "Completed", "Canceled"]
JOB_STATUS_WEIGHTS = [10, 4, 3, 2, 70, 11]
PRIORITIES = ["Normal", "High", "Low", "Urgent"]
APPT_OPEN = {
    "Scheduled": "Scheduled",
    "Dispatched": "Dispatched",
    "InProgress": "Working",
    "Hold": "Hold",
    "Completed": "Done",
    "Canceled": "Canceled",
}
EST_STATUS = [(0, "Open"), (1, "Sold"), (2, "Dismissed")]
#: ``invoiceConfiguration`` of invoices without a job (weighted by repetition)
NON_JOB_CONFIGURATIONS = (
    "CounterSales",
    "CounterSales",
    "MembershipInvoice",
    "MembershipInvoice",
    "ARImportInvoice",
    "InterestChargeInvoice",
)
TECH_POSITIONS = ["Installer", "Service", "Sales", "Maintenance", "Helper"]
SUMMARIES = [
    None,
    "",
    "<p>No heat upstairs</p>",
    'AC not cooling; customer says "it\'s loud"',
    "Annual maintenance",
    "Water heater leaking — urgent",
    "Replace filter & inspect",
    "<b>Callback</b> requested",
    "Línea de gas: revisar",
]


def phone(rng: random.Random) -> str:
    a = rng.randint(201, 989)
    b = rng.randint(200, 999)
    c = rng.randint(0, 9999)
    return rng.choice(PHONE_FORMATS).format(a=a, b=b, c=f"{c:04d}")


def address(rng: random.Random, lat_null: bool = False) -> dict:
    city, state, zp = rng.choice(CITIES)
    return {
        "street": f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
        "unit": rng.choice(UNITS),
        "city": city,
        "state": state,
        "zip": f"{zp}{rng.randint(0, 99):02d}",
        "country": "" if rng.random() < 0.03 else ("USA" if rng.random() < 0.9 else "US"),
        "latitude": None if lat_null else round(25 + rng.random() * 22, 6),
        "longitude": None if lat_null else round(-122 + rng.random() * 50, 6),
    }


def preferences(rng: random.Random) -> dict | None:
    if rng.random() < 0.3:
        return None
    return {
        "jobRemindersEnabled": rng.random() < 0.8,
        "marketingUpdatesEnabled": rng.random() < 0.4,
        "invoiceStatementNotification": rng.random() < 0.5,
        "invoiceNotification": rng.random() < 0.6,
        "statementNotification": rng.random() < 0.3,
    }


def customer_name(rng: random.Random, ctype: str) -> str:
    """A customer's name: a company, "Last, First", "First Last", or blank now and then."""
    x = rng.random()
    if x < 0.015:
        return ""
    if x < 0.02:
        return "   "
    if ctype == "Commercial":
        return rng.choice(COMPANY)
    if x < 0.1:
        return f"{rng.choice(LAST)}, {rng.choice(FIRST)}"
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"
