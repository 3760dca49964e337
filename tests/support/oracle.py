"""The st_* rules (docs/st-tables.md) computed in plain Python from the sandbox's own dataset.

The end-to-end tests compare st_customers, column by column, with what this
module derives independently of the SQL.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

PHONE_TYPES = {"Phone", "MobilePhone"}


def normalize_phone(value: str | None) -> str | None:
    if value is None:
        return None
    digits = re.sub(r"[^0-9]", "", value)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    elif len(digits) != 10:
        return value
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def timestamp(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(dt.timezone.utc)


def _blank_to_none(value: str | None) -> str | None:
    return value.strip() or None if value else None


def _first(candidates: list[dict]) -> dict | None:
    """Active first, then lowest id."""
    return min(candidates, key=lambda r: (not r["active"], r["id"]), default=None)


def _group(records: list[dict], key) -> dict[int, list[dict]]:
    groups: dict[int, list[dict]] = {}
    for record in records:
        parent = key(record)
        if parent is not None:
            groups.setdefault(parent, []).append(record)
    return groups


def expected_customers(dataset) -> dict[int, dict]:
    """st_customers rows keyed by st_id, as docs/st-tables.md defines them."""
    contacts = _group(dataset.records("customer_contacts"), lambda r: r["customerId"])
    locations = _group(dataset.records("locations"), lambda r: r["customerId"])
    jobs = _group([j for j in dataset.records("jobs") if j["active"]], lambda r: r["customerId"])
    paid = _group(
        [
            i
            for i in dataset.records("invoices")
            if i["active"] and i["balance"] is not None and Decimal(i["balance"]) == 0
        ],
        lambda r: (r.get("customer") or {}).get("id"),
    )
    rows = {}
    for customer in dataset.records("customers"):
        cid = customer["id"]
        own = contacts.get(cid, [])
        email = _first([c for c in own if c["type"] == "Email"])
        phone = _first([c for c in own if c["type"] in PHONE_TYPES])
        location = _first(locations.get(cid, []))
        address = (location or customer)["address"] or {}
        counted = jobs.get(cid, [])
        # blank counts as empty; the chosen name is trimmed
        name = (
            _blank_to_none(customer.get("name"))
            or _blank_to_none(
                " ".join(
                    p.strip()
                    for p in (customer.get("firstName"), customer.get("lastName"))
                    if p and p.strip()
                )
            )
            or f"Customer {cid}"
        )
        rows[cid] = {
            "st_id": cid,
            "name": name,
            "type": _blank_to_none(customer.get("type")) or "Residential",
            "email": email["value"] if email else None,
            "phone": normalize_phone(phone["value"]) if phone else None,
            "location_id": location["id"] if location else None,
            "address_line1": address.get("street"),
            "address_line2": address.get("unit"),
            "city": address.get("city"),
            "state": address.get("state"),
            "postal_code": address.get("zip"),
            "country": address.get("country") or "USA",
            "active": customer["active"],
            "do_not_mail": customer["doNotMail"],
            "do_not_service": customer["doNotService"],
            "merged_to_id": customer.get("mergedToId"),
            "st_created_on": timestamp(customer["createdOn"]),
            "st_modified_on": timestamp(customer["modifiedOn"]),
            "total_jobs": len(counted),
            "completed_jobs": sum(1 for j in counted if j["jobStatus"] == "Completed"),
            "lifetime_value": sum(
                (Decimal(i["total"]) for i in paid.get(cid, []) if i["total"] is not None),
                Decimal("0.00"),
            ),
            "last_job_date": max((timestamp(j["createdOn"]) for j in counted), default=None),
        }
    return rows
