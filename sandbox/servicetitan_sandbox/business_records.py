"""Record shapes of the business streams (business.py): lookups and per-event records.

Pure functions: each builds one record, shaped like the API reference
(endpoints.json) for its endpoint, from what the caller decided (ids,
amounts, instants in epoch ms). Money the reference types ``string`` is a
decimal string (``money``); nested objects the reference names are complete.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

from .formats import DAY_MS, iso, money

#: The business units the dataset uses (``businessUnitId`` 101..110).
BUSINESS_UNITS = tuple(range(101, 111))


@cache
def business_unit_ref(bu: int) -> dict:
    """``{id, name}`` of a business unit, named as the dataset's invoices name it.

    Nested objects like this one are shared by the records that carry them (a
    change replaces a record's object, never edits it): hundreds of thousands
    of records then cost no more than their own fields.
    """
    return {"id": bu, "name": f"BU {bu}"}


# --------------------------------------------------------------------------- GL accounts


@dataclass(frozen=True)
class GLAccount:
    id: int
    number: str
    name: str
    type: str | None  # as gl_accounts sends it
    detail: str
    default: str | None  # defaultAccountType
    item_type: str | None = "same"  # the type an invoice item's snapshot carries


GL_ACCOUNTS = (
    GLAccount(1, "4000", "Service Income", "Income", "ServiceFeeIncome", "Revenue"),
    GLAccount(2, "4010", "Installation Income", "income ", "SalesOfProductIncome", None),
    GLAccount(3, "4020", "Equipment Sales", "Income", "SalesOfProductIncome", None),
    GLAccount(4, "4030", "Materials Income", "INCOME", "SalesOfProductIncome", None),
    GLAccount(5, "4090", "Discounts Given", "Income", "DiscountsRefundsGiven", "Refunds"),
    GLAccount(6, "4100", "Membership Revenue", "Income", "ServiceFeeIncome", "MembershipRevenue"),
    # the items' snapshot carries no type: the account's type decides
    GLAccount(7, "4200", "Warranty Income", "Income", "OtherPrimaryIncome", None, None),
    GLAccount(8, "2400", "Customer Deposits", "Liability", "OtherCurrentLiabilities", None),
    GLAccount(
        9,
        "2450",
        "Membership Deferred Revenue",
        "Liability",
        "DeferredRevenue",
        "MembershipAgreements",
    ),
    GLAccount(10, "5000", "Permits & Fees", "Cost of Goods Sold", "OtherCostsOfServiceCos", None),
    GLAccount(11, "5010", "Materials COGS", "Cost of Goods Sold", "SuppliesMaterialsCogs", None),
    GLAccount(12, "5020", "Equipment COGS", "Cost of Goods Sold", "EquipmentRentalCos", None),
    GLAccount(13, "2200", "Sales Tax Payable", "Liability", "SalesTaxPayable", "SalesTaxPayable"),
    GLAccount(14, "1200", "Accounts Receivable", "Accounts Receivable", "AccountsReceivable", None),
    GLAccount(15, "1010", "Undeposited Funds", "Bank", "UndepositedFunds", "UndepositedFunds"),
    # no type anywhere: never income
    GLAccount(16, "6999", "Suspense", None, "OtherMiscellaneousExpense", None, None),
)
GL_BY_ID = {account.id: account for account in GL_ACCOUNTS}
UNDEPOSITED_FUNDS = 15
INCOME_ACCOUNTS = tuple(a.id for a in GL_ACCOUNTS if (a.type or "").strip().lower() == "income")


def gl_account_record(account: GLAccount, created_ms: int, modified_ms: int) -> dict:
    return {
        "id": account.id,
        "name": account.name,
        "number": account.number,
        "description": None if account.id % 3 else f"{account.name} ({account.number})",
        "type": account.type,
        "subtype": account.detail,
        "active": account.id != 16,
        "isIntacctGroup": False,
        "isIntacctBankAccount": account.id == UNDEPOSITED_FUNDS,
        "source": "AccountingSystem" if account.id < 14 else "ManuallyCreated",
        "defaultAccountType": account.default,
        "createdOn": iso(created_ms),
        "modifiedOn": iso(modified_ms),
    }


def gl_ref(account: GLAccount, rng: random.Random) -> dict:
    """The ``generalLedgerAccount`` an item or payment carries: a snapshot whose type
    is now and then missing or blank (the account's own type then applies)."""
    if account.item_type is None:
        snapshot = None
    else:
        x = rng.random()
        snapshot = None if x < 0.06 else ("" if x < 0.09 else account.type)
    return _gl_snapshot(account, snapshot)


@cache
def _gl_snapshot(account: GLAccount, snapshot: str | None) -> dict:
    return {
        "id": account.id,
        "name": account.name,
        "number": account.number,
        "type": snapshot,
        "detailType": account.detail,
    }


# --------------------------------------------------------------------------- job types

#: (name, class, soldThreshold, noCharge): thresholds null, 0 and positive
JOB_TYPES = (
    ("Service Call", "Service", None, False),
    ("Diagnostic", "Service", None, False),
    ("No Heat", "Service", None, False),
    ("No Cool", "Service", 0.0, False),
    ("Drain Cleaning", "Service", 0.0, False),
    ("Water Heater Repair", "Service", 100.0, False),
    ("Leak Repair", "Service", 100.0, False),
    ("Electrical Repair", "Service", 150.0, False),
    ("AC Maintenance", "Maintenance", 0.0, False),
    ("Furnace Tune-Up", "Maintenance", None, False),
    ("Membership Visit", "Maintenance", 50.0, True),
    ("Plumbing Inspection", "Maintenance", 250.0, False),
    ("AC Install", "Install", 500.0, False),
    ("Furnace Install", "Install", 500.0, False),
    ("Water Heater Install", "Install", 500.0, False),
    ("Panel Upgrade", "Install", 1000.0, False),
    ("Repipe", "Install", 1000.0, False),
    ("HVAC Sales Estimate", "Sales", 250.0, False),
    ("Plumbing Sales Estimate", "Sales", 250.0, False),
    ("Generator Estimate", "Sales", 500.0, False),
    ("Warranty Callback", "Service", None, True),
    ("Recall", "Service", 0.0, True),
    ("Commercial PM", "Maintenance", 250.0, False),
    ("Duct Cleaning", "Service", 100.0, False),
    ("Legacy Import", "Service", None, False),  # inactive
)


def job_type_record(type_id: int, rng: random.Random, created_ms: int, modified_ms: int) -> dict:
    name, klass, threshold, no_charge = JOB_TYPES[type_id - 1]
    return {
        "id": type_id,
        "name": name,
        "businessUnitIds": sorted(rng.sample(BUSINESS_UNITS, rng.randint(1, 3))),
        "skills": [],
        "tagTypeIds": [],
        "priority": "High" if "No " in name else "Normal",
        "duration": 3600 * (4 if klass == "Install" else 1),
        "soldThreshold": threshold,
        "class": klass,
        "summary": "",
        "noCharge": no_charge,
        "enforceRecurringServiceEventSelection": None,
        "invoiceSignaturesRequired": klass == "Install",
        "modifiedOn": iso(modified_ms),
        "createdOn": iso(created_ms),
        "externalData": [],
        "active": type_id != len(JOB_TYPES),
        "isSmartDispatched": klass == "Service",
        "defaultEstimateSoldAction": "None",
        "customFieldTypeIds": [],
    }


# --------------------------------------------------------------------------- campaigns, costs

CAMPAIGN_SOURCES = (
    ("Google Ads", "Online", "PPC"),
    ("Google LSA", "Online", "LSA"),
    ("Yelp", "Online", "Directory"),
    ("Facebook", "Online", "Social"),
    ("Direct Mail", "Offline", "Mail"),
    ("Radio", "Offline", "Radio"),
    ("Truck Wrap", "Offline", "Vehicle"),
    ("Referral", "Referral", "Word of mouth"),
    ("Website", "Online", "Organic"),
    ("Repeat Customer", "Existing", "Existing"),
)


def campaign_name(campaign_id: int) -> str:
    source = CAMPAIGN_SOURCES[(campaign_id - 1) % len(CAMPAIGN_SOURCES)][0]
    return f"{source} {2019 + (campaign_id - 1) // len(CAMPAIGN_SOURCES)}"


@cache
def campaign_ref(campaign_id: int) -> dict:
    return {"id": campaign_id, "name": campaign_name(campaign_id)}


def campaign_record(
    campaign_id: int, rng: random.Random, created_ms: int, modified_ms: int
) -> dict:
    source, category, medium = CAMPAIGN_SOURCES[(campaign_id - 1) % len(CAMPAIGN_SOURCES)]
    category_id = 1 + [c[1] for c in CAMPAIGN_SOURCES].index(category)
    return {
        "id": campaign_id,
        "name": campaign_name(campaign_id),
        "modifiedOn": iso(modified_ms),
        "createdOn": iso(created_ms),
        "active": campaign_id % 9 != 0,
        "isDefaultCampaign": campaign_id == 1,
        "category": {"id": category_id, "name": category, "active": True},
        "source": source,
        "otherSource": None,
        "businessUnit": None if rng.random() < 0.5 else f"BU {rng.choice(BUSINESS_UNITS)}",
        "medium": medium,
        "otherMedium": None,
        "campaignPhoneNumbers": [f"800555{campaign_id:04d}"] if rng.random() < 0.7 else [],
    }


def cost_record(cost_id: int, campaign_id: int, year: int, month: int, daily_cents: int) -> dict:
    return {
        "id": cost_id,
        "year": year,
        "month": month,
        "dailyCost": daily_cents / 100,
        "campaignId": campaign_id,
    }


# --------------------------------------------------------------------------- memberships

MEMBERSHIP_TYPES = (
    "Comfort Club Silver",
    "Comfort Club Gold",
    "Comfort Club Platinum",
    "Plumbing Protection Plan",
    "Whole Home Plan",
    "Commercial PM Agreement",
    "Water Heater Care",
    "Legacy Plan",
)


def membership_type_record(type_id: int, created_ms: int, modified_ms: int) -> dict:
    name = MEMBERSHIP_TYPES[type_id - 1]
    return {
        "id": type_id,
        "createdOn": iso(created_ms),
        "createdById": None,
        "modifiedOn": iso(modified_ms),
        "importId": None,
        "billingTemplateId": None,
        "discount": float(5 * (type_id % 4)),
        "durationBilling": [],
        "discounts": [],
        "recurringServices": [],
        "tagTypeIds": [],
        "name": name,
        "displayName": name,
        "active": type_id != len(MEMBERSHIP_TYPES),
        "discountMode": "Basic",
        "locationTarget": "SingleLocation",
        "revenueRecognitionMode": "Deferred" if type_id % 2 else "PointOfSale",
        "autoCalculateInvoiceTemplates": False,
        "useMembershipPricingTable": type_id % 3 == 0,
        "showMembershipSavings": True,
    }


@dataclass(frozen=True)
class MembershipSale:
    id: int
    customer_id: int
    location_id: int | None
    type_id: int
    business_unit: int
    created_ms: int
    sold_by: int | None


def membership_record(sale: MembershipSale, status: str, modified_ms: int, end_ms: int) -> dict:
    created = iso(sale.created_ms)
    to = iso(sale.created_ms + 365 * DAY_MS)
    return {
        "id": sale.id,
        "createdOn": created,
        "createdById": sale.sold_by,
        "modifiedOn": iso(modified_ms),
        "followUpOn": iso(sale.created_ms + 330 * DAY_MS),
        "cancellationDate": iso(end_ms) if status == "Canceled" else None,
        "from": created,
        "nextScheduledBillDate": iso(sale.created_ms + 30 * DAY_MS) if status == "Active" else None,
        "to": to,
        "billingFrequency": "Monthly" if sale.id % 3 else "Annual",
        "renewalBillingFrequency": None,
        "status": status,
        "followUpStatus": "NotAttempted",
        "active": sale.id % 37 != 0,
        "initialDeferredRevenue": 0.0,
        "duration": 12,
        "renewalDuration": 12 if sale.id % 2 else None,
        "businessUnitId": sale.business_unit,
        "customerId": sale.customer_id,
        "membershipTypeId": sale.type_id,
        "activatedById": sale.sold_by,
        "activatedFromId": None,
        "billingTemplateId": None,
        "cancellationBalanceInvoiceId": None,
        "cancellationInvoiceId": None,
        "followUpCustomStatusId": None,
        "locationId": sale.location_id,
        "paymentMethodId": None,
        "paymentTypeId": None,
        "recurringLocationId": sale.location_id,
        "renewalMembershipTaskId": None,
        "renewedById": None,
        "soldById": sale.sold_by,
        "customerPo": None,
        "importId": None,
        "memo": None,
        "customFields": [],
    }


def status_change_record(
    change_id: int, membership_id: int, old: str, new: str, ms: int, by: int | None
) -> dict:
    return {
        "id": change_id,
        "oldStatus": old,
        "newStatus": new,
        "note": None if new == "Active" else f"{new} by office",
        "createdOn": iso(ms),
        "createdById": by,
        "membershipId": membership_id,
    }


# --------------------------------------------------------------------------- invoice items


@dataclass(frozen=True)
class ItemKind:
    """A kind of invoice line: its API ``type``, sku, GL account and sold hours."""

    type: str
    sku: str
    account: int | None
    hours: float  # most sold hours of one line (0: none)
    cost_of_sale: int | None = None

    @property
    def html(self) -> str:
        return HTML_DESCRIPTIONS.setdefault(self.sku, f"<p>{self.sku}</p>")


HTML_DESCRIPTIONS: dict[str, str] = {}
QUANTITIES = {n: f"{n}.00" for n in range(1, 5)}


ITEM_KINDS = (
    ItemKind("Service", "Repair labor", 1, 4.0),
    ItemKind("Service", "Diagnostic", 1, 1.0),
    ItemKind("Service", "Installation labor", 2, 8.0),
    ItemKind("Material", "Capacitor 45/5 MFD", 4, 0.0, 11),
    ItemKind("Material", "Copper fittings", 4, 0.0, 11),
    ItemKind("Equipment", "3-ton condenser", 3, 0.0, 12),
    ItemKind("Equipment", "50 gal water heater", 3, 0.0, 12),
    ItemKind("Service", "Warranty labor", 7, 2.0),
    ItemKind("Service", "City permit", 10, 0.0),
    ItemKind("Service", "Membership sale", 9, 0.0),
    ItemKind("Service", "Deposit", 8, 0.0),
    ItemKind("Unspecified", "Misc. charge", None, 0.0),
    ItemKind("Service", "Adjustment", 16, 0.0),
)
#: how often each kind is picked for a positive line (same order as ITEM_KINDS)
ITEM_WEIGHTS = (30, 14, 10, 14, 8, 6, 4, 3, 3, 2, 2, 2, 2)
DISCOUNT = ItemKind("PriceModifier", "Discount", 5, 0.0)
MEMBERSHIP_DUES = ItemKind("Service", "Membership dues", 6, 0.0)
NO_CHARGE = ItemKind("Service", "Diagnostic - no charge", 1, 1.0)


SKU_IDS = {kind.sku: 1000 + n for n, kind in enumerate((*ITEM_KINDS, DISCOUNT, MEMBERSHIP_DUES))}


@dataclass
class ItemContext:
    """What the items of one invoice share."""

    invoice_id: int
    business_unit: int | None
    created: str
    modified: str
    service_date: str | None
    technician_id: int | None


def item_record(
    item_id: int,
    order: int,
    kind: ItemKind,
    total_cents: int,
    ctx: ItemContext,
    rng: random.Random,
) -> dict:
    quantity = 1 if kind.type != "Material" or rng.random() < 0.5 else 2 + int(rng.random() * 3)
    price = total_cents // quantity
    cost = abs(total_cents) // 3 if kind.type in ("Material", "Equipment") else 0
    zero_cost = cost == 0
    account = GL_BY_ID.get(kind.account) if kind.account is not None else None
    cos = GL_BY_ID.get(kind.cost_of_sale) if kind.cost_of_sale is not None else None
    hours = round(rng.uniform(0.25, kind.hours) * 4) / 4 if kind.hours else 0.0
    return {
        "id": item_id,
        "description": kind.sku if rng.random() < 0.8 else kind.html,
        "quantity": QUANTITIES[quantity],
        "cost": "0.00" if zero_cost else money(cost // quantity),
        "totalCost": "0.00" if zero_cost else money(cost),
        "budgetCodeId": None,
        "inventoryLocationId": None,
        "inventoryLocation": None,
        "price": money(price),
        "type": kind.type,
        "skuName": kind.sku,
        "skuId": SKU_IDS.get(kind.sku, 999),
        "total": money(total_cents),
        "inventory": kind.type in ("Material", "Equipment"),
        "taxable": kind.type in ("Material", "Equipment"),
        "isChargeable": True,
        "generalLedgerAccount": gl_ref(account, rng) if account is not None else None,
        "costOfSaleAccount": gl_ref(cos, rng) if cos is not None else None,
        "assetAccount": None,
        "membershipTypeId": 0,
        "itemGroup": None,
        "displayName": kind.sku,
        "soldHours": hours if hours or rng.random() < 0.7 else None,
        "createdOn": ctx.created,
        "modifiedOn": ctx.modified,
        "serviceDate": ctx.service_date,
        "order": order,
        "businessUnit": _item_business_unit(ctx.business_unit, rng),
        "createdById": ctx.technician_id,
        "displayInAmount": True,
        "importId": None,
        "exportId": None,
        "inventoryStatus": None,
        "addOn": False,
        "memberPrice": None,
        "technicianId": ctx.technician_id,
        "installedEquipmentId": None,
        "estimateItemId": None,
        "active": rng.random() > 0.03,
        "invoiceId": ctx.invoice_id,
    }


def _item_business_unit(invoice_bu: int | None, rng: random.Random) -> dict | None:
    """Mostly the invoice's business unit; sometimes none (the invoice's applies), or another."""
    x = rng.random()
    if x < 0.15 or invoice_bu is None:
        return None
    if x < 0.23:
        return business_unit_ref(rng.choice(BUSINESS_UNITS))
    return business_unit_ref(invoice_bu)


# --------------------------------------------------------------------------- payments

PAYMENT_TYPES = (("Credit Card", "1"), ("Check", "2"), ("Cash", "3"), ("ACH", "4"))


def applied_entry(applied_id: int, invoice: dict, cents: int, ms: int, by: str | None) -> dict:
    return {
        "appliedId": applied_id,
        "appliedTo": invoice["id"],
        "appliedAmount": money(cents),
        "appliedOn": iso(ms),
        "appliedBy": by,
        "appliedToReferenceNumber": invoice["referenceNumber"],
    }


def payment_record(
    payment_id: int, invoice: dict, applied: list[dict], ms: int, rng: random.Random
) -> dict:
    kind, type_id = PAYMENT_TYPES[int(rng.random() * len(PAYMENT_TYPES))]
    total = sum(cents(entry["appliedAmount"]) for entry in applied)
    stamp = iso(ms)
    return {
        "active": True,
        "appliedTo": applied,
        "authCode": f"A{payment_id % 1_000_000:06d}" if kind == "Credit Card" else None,
        "batch": None,
        "businessUnit": invoice["businessUnit"],
        "checkNumber": str(1000 + payment_id % 9000) if kind == "Check" else None,
        "createdBy": applied[0]["appliedBy"],
        "createdOn": stamp,
        "customer": invoice["customer"],
        "customFields": [],
        "date": stamp,
        "deposit": None,
        "generalLedgerAccount": gl_ref(GL_BY_ID[UNDEPOSITED_FUNDS], rng),
        "id": payment_id,
        "memo": None,
        "modifiedOn": stamp,
        "referenceNumber": str(payment_id % 10_000_000),
        "refundedPaymentId": None,
        "syncStatus": "Posted" if rng.random() < 0.7 else "Pending",
        "total": money(total),
        "type": kind,
        "typeId": type_id,
        "unappliedAmount": "0.00",
    }


def cents(text: str | None) -> int:
    """A decimal string (``"-12.5"``, ``"0"``, ``"1234.56"``) as integer cents."""
    if not text:
        return 0
    negative = text.startswith("-")
    whole, _, frac = text.lstrip("-").partition(".")
    value = int(whole or 0) * 100 + int((frac + "00")[:2])
    return -value if negative else value


# --------------------------------------------------------------------------- dispatch, payroll

APPOINTMENT_TO_ASSIGNMENT = {
    "Scheduled": "Scheduled",
    "Hold": "Scheduled",
    "Dispatched": "Dispatched",
    "Working": "Working",
    "Done": "Done",
    "Canceled": "Scheduled",
}


def assignment_record(
    assignment_id: int, appointment: dict, technician: dict, assigned_ms: int, active: bool
) -> dict:
    assigned = iso(assigned_ms)
    return {
        "id": assignment_id,
        "technicianId": technician["id"],
        "technicianName": technician["name"],
        "assignedById": appointment["createdById"],
        "assignedOn": assigned,
        "status": APPOINTMENT_TO_ASSIGNMENT.get(appointment["status"], "Scheduled"),
        "isPaused": False,
        "jobId": appointment["jobId"],
        "appointmentId": appointment["id"],
        "createdOn": assigned,
        "modifiedOn": assigned,
        "active": active,
    }


def timesheet_record(
    timesheet_id: int,
    appointment: dict,
    technician_id: int,
    arrived_ms: int,
    done_ms: int | None,
    active: bool,
) -> dict:
    dispatched, arrived = iso(arrived_ms - 1_800_000), iso(arrived_ms)
    done = iso(done_ms) if done_ms is not None else None
    return {
        "id": timesheet_id,
        "jobId": appointment["jobId"],
        "appointmentId": appointment["id"],
        "technicianId": technician_id,
        "dispatchedOn": dispatched,
        "arrivedOn": arrived,
        "canceledOn": None,
        "doneOn": done,
        "createdOn": dispatched,
        "modifiedOn": done or arrived,
        "active": active,
    }


def split_record(
    split_id: int, job_id: int, technician_id: int, share: float, ms: int, active: bool
) -> dict:
    stamp = iso(ms)
    return {
        "id": split_id,
        "jobId": job_id,
        "technicianId": technician_id,
        "split": share,
        "createdOn": stamp,
        "modifiedOn": stamp,
        "active": active,
    }


#: how a job's revenue is shared among its technicians, by their number
SPLIT_SHARES = {
    1: ((100.0,),),
    2: ((50.0, 50.0), (50.0, 50.0), (70.0, 30.0), (60.0, 40.0)),
    3: ((50.0, 25.0, 25.0), (40.0, 30.0, 30.0)),
}


# --------------------------------------------------------------------------- calls

CALL_TYPES_INBOUND = ("Unbooked", "Unbooked", "Excused", "NotLead", "Abandoned")
CALL_REASONS = ((1, "Service request"), (2, "Quote"), (3, "Billing question"), (4, "Wrong number"))
AGENTS = ((501, "Front Desk"), (502, "CSR Team"), (503, "After Hours"))
CALL_REASON_REFS = tuple({"id": i, "name": name} for i, name in CALL_REASONS)
AGENT_REFS = tuple({"id": i, "name": name} for i, name in AGENTS)


@dataclass(frozen=True)
class CallFacts:
    """Who called whom about what: the parts of a call a caller decides."""

    id: int
    ms: int
    direction: str
    type: str | None
    customer: dict | None
    location: dict | None
    campaign_id: int | None
    job: dict | None


def call_record(facts: CallFacts, rng: random.Random) -> dict:
    seconds = 0 if facts.type == "Abandoned" else rng.randint(25, 900)
    reason = CALL_REASON_REFS[int(rng.random() * len(CALL_REASON_REFS))]
    agent = AGENT_REFS[int(rng.random() * len(AGENT_REFS))]
    number = f"{rng.randint(201, 989)}555{rng.randint(0, 9999):04d}"
    office = "8005550100"
    inbound = facts.direction == "Inbound"
    return {
        "id": facts.id,
        "duration": f"00:{seconds // 60:02d}:{seconds % 60:02d}",
        "from": number if inbound else office,
        "to": office if inbound else number,
        "direction": facts.direction,
        "status": "Completed" if seconds else "Ringing",
        "type": facts.type,
        "recordingUrl": None if not seconds else f"https://recordings.example.com/{facts.id}.mp3",
        "voiceMailPath": None,
        "createdOn": iso(facts.ms),
        "modifiedOn": iso(facts.ms + seconds * 1000),
        "reason": reason if facts.type != "Abandoned" else None,
        "customer": facts.customer,
        "location": facts.location,
        "campaign": campaign_ref(facts.campaign_id) if facts.campaign_id is not None else None,
        "job": facts.job,
        "agent": agent,
        "createdBy": agent,
        "excuseMemo": "Spam caller" if facts.type == "Excused" else "",
        "tag": "",
        "active": rng.random() > 0.02,
        "lead": None,
    }
