"""Generation of the money side of jobs: estimates, invoices, adjustment invoices.

Makers used by :class:`~.generation.TenantGenerator` (the tenant's past, and jobs
booked during a mutation) and by the business streams' office work (an
adjustment invoice to a completed job). ``stamp`` (a mutation): the record is
created and modified at it.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Protocol

from .clock import PAST_END_MS
from .formats import DAY_MS, iso, money, parse_iso_ms
from .pools import EST_STATUS, SUMMARIES
from .store import ID_BASE

if TYPE_CHECKING:
    from .store import RecordStore


class TenantGenerator(Protocol):
    """What the makers use of generation.TenantGenerator (which imports them)."""

    store: RecordStore
    tech_ids: list[int]

    def between(self, lo: int, hi: int) -> int: ...

    def modified(self, created: int) -> int: ...

    def stage(self, stream: str, rec: dict, mod_ms: int) -> None: ...


def estimate(
    gen: TenantGenerator, rng: random.Random, cust: dict, loc: dict, jid: int, lo: int, hi: int
) -> dict:
    eid = gen.store.new_id("estimates")
    created = gen.between(lo, min(hi, lo + 30 * DAY_MS))
    sval, sname = EST_STATUS[0 if rng.random() < 0.5 else (1 if rng.random() < 0.6 else 2)]
    sub = round(rng.random() * 20000, 2)
    sold = sname == "Sold"
    est = {
        "id": eid,
        "jobId": jid,
        "projectId": None,
        "locationId": loc["id"],
        "customerId": cust["id"],
        "name": rng.choice([None, "Option A", "Good / Better / Best", "Repair", "Replace"]),
        "jobNumber": str(jid - ID_BASE["jobs"] + 10000),
        "status": {"value": sval, "name": sname},
        "reviewStatus": rng.choice(["None", "NeedsApproval", "Approved", "NotApproved"]),
        "summary": rng.choice([None, "", "New 3-ton condenser", "Flush & refill"]),
        "createdOn": iso(created),
        "modifiedOn": "",
        "soldOn": iso(created + DAY_MS) if sold else None,
        "soldBy": gen.tech_ids[int(rng.random() * len(gen.tech_ids))] if sold else None,
        "active": rng.random() > 0.04,
        "items": [],
        "externalLinks": [],
        "subtotal": sub,
        "tax": round(sub * 0.0825, 2),
        "businessUnitId": rng.randint(101, 110) if rng.random() > 0.1 else None,
        "businessUnitName": rng.choice(["HVAC Service", "Plumbing", "Électricité"]),
        "isRecommended": rng.random() < 0.3,
        "budgetCodeId": None,
        "isChangeOrder": rng.random() < 0.05,
        "proposalTagName": None,
        "depositAmount": round(sub * 0.1, 2) if rng.random() < 0.2 else None,
        "depositPercent": 10.0 if rng.random() < 0.1 else None,
        "requireDepositOnSignature": rng.choice([None, False, True]),
    }
    gen.stage("estimates", est, gen.modified(created))
    return est


def invoice(
    gen: TenantGenerator,
    rng: random.Random,
    cust: dict,
    loc: dict | None,
    job: dict | None,
    when: int,
    stamp: int | None,
    sub_cents: int | None = None,
    configuration: str | None = None,
    adjustment_to: int | None = None,
) -> dict:
    iid = gen.store.new_id("invoices")
    created = stamp if stamp is not None else min(when, PAST_END_MS - 1000)
    if sub_cents is None:
        sub_cents = int(rng.random() * 150_000)
    x = rng.random()
    if x < 0.03:
        sub_cents = 0
    elif x < 0.06:
        sub_cents = -int(rng.random() * 50_000) - 1  # credit
    tax = sub_cents * 825 // 10000 if rng.random() < 0.6 else 0
    disc = int(sub_cents * 0.1) if sub_cents > 0 and rng.random() < 0.1 else 0
    total = sub_cents + tax - disc
    y = rng.random()
    paid_on = None
    if stamp is not None:
        balance = money(total)
    elif y < 0.6 or total == 0:
        balance = "0.00" if rng.random() < 0.7 else "0"
    elif y < 0.75 and total > 0:
        balance = money(int(total * rng.random()))
    else:
        balance = money(total)
    if balance in ("0", "0.00"):
        paid_on = iso(gen.between(created, min(created + 40 * DAY_MS, PAST_END_MS - 1000)))
    bu = rng.randint(101, 110)
    cust_addr = cust["address"]
    loc_addr = loc["address"] if loc else None
    inv = {
        "summary": rng.choice(SUMMARIES),
        "items": [
            {
                "id": iid * 10 + 1,
                "description": rng.choice(["Service call", "Labor", "Filter 16x25", "Diagnostic"]),
                "quantity": "1",
                "cost": money(abs(sub_cents) // 3),
                "totalCost": money(abs(sub_cents) // 3),
                "price": money(sub_cents),
                "skuName": "SVC-1",
                "skuId": rng.randint(1000, 9999),
                "total": money(sub_cents),
                "type": "Service",
                "order": 1,
            }
        ]
        if sub_cents and rng.random() < 0.8
        else [],
        "customFields": None if rng.random() < 0.5 else [],
        "active": rng.random() > 0.03,
        "discountTotal": money(disc) if disc or rng.random() < 0.5 else None,
        "importId": None,
        "exportId": None,
        "materialSkuId": None,
        "membershipId": None,
        "paidOn": paid_on,
        "invoiceConfiguration": configuration or ("JobInvoice" if job else "CounterSales"),
        "id": iid,
        "syncStatus": rng.choice(["Pending", "Posted", "Exported"]),
        "budgetCodeId": None,
        "referenceNumber": str(iid - ID_BASE["invoices"] + 50000),
        "invoiceDate": iso(created - created % DAY_MS),
        "dueDate": (iso(created - created % DAY_MS + 30 * DAY_MS) if rng.random() > 0.08 else None),
        "subTotal": money(sub_cents),
        "salesTax": money(tax),
        "salesTaxCode": ({"id": 3, "name": "CA 8.25%", "taxRate": 0.0825} if tax else None),
        "taxZoneId": loc.get("taxZoneId") if loc else None,
        "total": money(total),
        "balance": balance,
        "invoiceType": None if rng.random() < 0.5 else {"id": 1, "name": "Service"},
        "customer": {"id": cust["id"], "name": cust["name"]},
        "customerAddress": {
            k: cust_addr[k] for k in ("street", "unit", "city", "state", "zip", "country")
        },
        "location": {"id": loc["id"], "name": loc["name"]} if loc else None,
        "locationAddress": (
            {k: loc_addr[k] for k in ("street", "unit", "city", "state", "zip", "country")}
            if loc_addr
            else None
        ),
        "businessUnit": {"id": bu, "name": f"BU {bu}"},
        "termName": rng.choice([None, "Due Upon Receipt", "Net 30"]),
        "createdBy": rng.choice([None, "sandbox", "Zoë Admin"]),
        "batch": None
        if rng.random() < 0.7
        else {"id": rng.randint(1, 300), "number": str(rng.randint(1, 300)), "name": "Batch"},
        "depositedOn": None,
        "createdOn": iso(created),
        "modifiedOn": "",
        "adjustmentToId": adjustment_to,
        "job": ({"id": job["id"], "number": job["jobNumber"], "type": "Service"} if job else None),
        "projectId": None,
        "royalty": None,
        "employeeInfo": None,
        "commissionEligibilityDate": None,
        "sentStatus": rng.choice(["NotSent", "Sent", "Opened"]),
        "reviewStatus": rng.choice(["NeedsReview", "Reviewed", "Invoiced"]),
        "assignedTo": None,
    }
    mod = stamp if stamp is not None else gen.modified(created)
    if paid_on is not None:
        mod = max(mod, parse_iso_ms(paid_on))
    gen.stage("invoices", inv, mod)
    return inv


def adjustment(
    gen: TenantGenerator,
    rng: random.Random,
    cust: dict,
    loc: dict,
    job: dict,
    original: dict,
    after_ms: int,
    stamp: int | None,
) -> dict:
    """An adjustment invoice to ``original`` (same job), dated days to weeks later."""
    when = stamp if stamp is not None else after_ms + rng.randint(1, 60) * DAY_MS
    # a credit (refund, warranty, discount), or extra work billed afterwards
    credit = rng.random() < 0.6
    sub_cents = -rng.randint(2_000, 40_000) if credit else rng.randint(5_000, 60_000)
    return invoice(
        gen, rng, cust, loc, job, when, stamp, sub_cents=sub_cents, adjustment_to=original["id"]
    )
