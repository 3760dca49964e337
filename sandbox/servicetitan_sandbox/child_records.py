"""Per-parent endpoints (``customers/{id}/notes`` ...): children generated per parent.

Nothing here knows about HTTP beyond building the answer of one request. A
parent is a record of the hand-written dataset (``customers``) or of a
generated collection (``accounting/bank-deposits``, see generic_records.py).
A parent's children are generated the first time they are asked for, from a
seed and the parent's id and ``createdOn`` only, so they are the same
whatever the order of requests: by a hand-written maker, or from the
endpoint's reference fields (:class:`~.generic_records.RecordMaker`). :meth:`Children.mutate` changes and adds
children the way a day of work would, without touching their parents'
``modifiedOn`` (a note added to an old customer does not change the
customer), but for parents that embed their children (a membership type's
items, see embedded.py): those change with them. Latency, the rate limit (429 with ``Retry-After``) and request
counters come from the server's fault wrappers and route table, as for
every endpoint.
"""

from __future__ import annotations

import random
import threading
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property

from servicetitan_catalog.reference import endpoints

from .clock import PAST_END_MS
from .dataset import Dataset
from .embedded import EMBEDDED, entries, parent_collections
from .formats import DAY_MS, iso, parse_iso_ms
from .generic_records import GenericTenant, RecordMaker, collection_name

#: At most this many children per parent (ids are ``parent id * 16 + n``).
MAX_CHILDREN = 16
NOTE_TEXTS = [
    "Customer prefers morning visits.",
    "Gate code 4411.",
    "Dog in the back yard.",
    "Called to confirm the appointment.",
    "Asked for a quote on a new unit.",
    "Left a voicemail.",
]

Maker = Callable[[random.Random, dict, int, int], dict]


def _note(rng: random.Random, parent: dict, cid: int, ms: int) -> dict:
    return {
        "id": cid,
        "text": rng.choice(NOTE_TEXTS),
        "isPinned": rng.random() < 0.1,
        "createdById": rng.randint(1000, 1100),
        "createdOn": iso(ms),
        "modifiedOn": iso(ms),
    }


def _job_note(rng: random.Random, parent: dict, cid: int, ms: int) -> dict:
    note = _note(rng, parent, cid, ms)
    del note["id"]  # the API's job notes have no id
    return note


def _canceled_log(rng: random.Random, parent: dict, cid: int, ms: int) -> dict:
    return {
        "id": cid,
        "jobId": parent["id"],
        "reasonId": rng.randint(1, 9),
        "memo": rng.choice([None, "Customer canceled", "Rescheduled"]),
        "createdOn": iso(ms),
        "createdById": rng.randint(1000, 1100),
        "active": True,
    }


def _split(rng: random.Random, parent: dict, cid: int, ms: int) -> dict:
    return {
        "id": cid,
        "jobId": parent["id"],
        "technicianId": rng.randint(90_000_001, 90_000_020),
        "split": rng.choice([25.0, 50.0, 100.0]),
        "createdOn": iso(ms),
        "modifiedOn": iso(ms),
    }


def _booked_log(rng: random.Random, parent: dict, cid: int, ms: int) -> dict:
    """When and by whom a job was booked, for its first appointment (its later rebookings)."""
    booked = parse_iso_ms(parent["createdOn"]) if cid % MAX_CHILDREN == 0 else ms
    start = booked + rng.randint(1, 14) * DAY_MS
    window = start - start % (2 * 3_600_000)  # arrival windows start on even hours
    return {
        "id": cid,
        "jobId": parent["id"],
        "jobAppointmentId": parent.get("firstAppointmentId") or 0,
        "start": iso(start),
        "arrivalWindowStart": iso(window),
        "arrivalWindowEnd": iso(window + 4 * 3_600_000),
        "createdOn": iso(booked),
        "createdById": parent.get("createdById") or rng.randint(1000, 1100),
        "active": True,
    }


def _membership_discount(rng: random.Random, parent: dict, cid: int, ms: int) -> dict:
    """A membership type's discount on one business unit's work (``links``: a real one)."""
    return {
        "targetId": 0,
        "discount": rng.choice([5.0, 10.0, 15.0, 20.0]),
        "id": cid,
        "createdOn": iso(ms),
        "createdById": rng.randint(1000, 1100),
    }


def _duration_billing_item(rng: random.Random, parent: dict, cid: int, ms: int) -> dict:
    """A membership type's duration and billing option, priced by the month."""
    duration = rng.choice([12, 24, None])
    monthly = rng.choice([14.99, 19.99, 24.99, 29.99])
    frequency = rng.choice(["Monthly", "Annual"])
    price = round(monthly * (12 if frequency == "Annual" else 1), 2)
    return {
        "duration": duration,
        "billingFrequency": frequency,
        "salePrice": round(monthly * (duration or 12), 2),
        "billingPrice": price,
        "renewalPrice": price,
        "id": cid,
        "importId": None,
        "active": rng.random() < 0.9,
        "createdOn": iso(ms),
        "createdById": rng.randint(1000, 1100),
    }


def _recurring_service_item(rng: random.Random, parent: dict, cid: int, ms: int) -> dict:
    """A visit a membership type includes: a recurring service type (``links``: a real one)."""
    return {
        "membershipTypeId": parent["id"],
        "recurringServiceTypeId": 0,
        "offset": rng.choice([0, 1, 6]),
        "offsetType": "Months",
        "allocation": rng.choice([25.0, 50.0, 100.0]),
        "id": cid,
        "importId": None,
        "createdOn": iso(ms),
        "createdById": rng.randint(1000, 1100),
    }


def _timesheet(rng: random.Random, parent: dict, cid: int, ms: int) -> dict:
    return {
        "id": cid,
        "jobId": parent["id"],
        "appointmentId": parent.get("lastAppointmentId") or 0,
        "technicianId": rng.randint(90_000_001, 90_000_020),
        "dispatchedOn": iso(ms),
        "arrivedOn": iso(ms + 1_800_000),
        "canceledOn": None,
        "doneOn": iso(ms + 5_400_000),
        "createdOn": iso(ms),
        "modifiedOn": iso(ms),
        "active": True,
    }


def _invoice_task(rng: random.Random, parent: dict, cid: int, ms: int) -> dict:
    task_id = str(uuid.UUID(int=cid))
    return {
        "taskId": task_id,
        "type": "Collections",
        "name": rng.choice(["Follow up", "Send reminder", "Call customer"]),
        "status": rng.choice(["Open", "Done"]),
        "assigneeId": None,
        "dueDate": iso(ms + 7 * DAY_MS),
        "description": None,
        "templateId": None,
        "reason": None,
        "relations": [{"type": "Invoice", "taskId": task_id}],
    }


def _payroll(rng: random.Random, parent: dict, cid: int, ms: int) -> dict:
    return {
        "id": cid,
        "startedOn": iso(ms - 14 * DAY_MS),
        "endedOn": iso(ms),
        "employeeId": parent["id"],
        "employeeType": "Technician",
        "status": rng.choice(["Pending", "Approved", "Paid"]),
        "burdenRate": None,
        "managerApprovedOn": None,
        "createdOn": iso(ms),
        "modifiedOn": iso(ms),
        "active": True,
    }


@dataclass(frozen=True)
class ChildKind:
    """One per-parent endpoint of the sandbox."""

    name: str
    module: str
    pattern: str  # with {id} for a numeric parent id, {key} for a text one
    parent: str  # the dataset stream, or the generated collection, of the parents
    scope: str
    make: Maker | None  # None: generated from the endpoint's reference fields
    most: int  # children per parent: 0 to ``most``
    modified_filter: bool = False  # takes modifiedOnOrAfter
    active_filter: bool = False  # takes active (True by default)
    url: str = ""  # the reference URL (generated kinds)
    least: int = 0  # children per parent: at least this many
    #: what an answer is: a page of children, the parent's latest child alone
    #: (``one``, 404 when none) or a JSON array of every child (``array``)
    shape: str = "page"
    #: fields holding an id of a generated collection (field -> collection): the maker's
    #: value is replaced by one of the collection's ids
    links: tuple[tuple[str, str], ...] = ()

    @cached_property
    def endpoint(self) -> dict:
        """The endpoint's reference entry (generated kinds)."""
        return endpoints()[self.url]


def generated(name: str, url: str, parent: str, most: int) -> ChildKind:
    """A kind whose children come from the reference fields of ``url``."""
    endpoint = endpoints()[url]
    module, resource = url.split("/v2/tenant/{tenant}/")
    placeholder = "{key}" if has_text_ids(parent) else "{id}"
    path = "/".join(placeholder if "{" in part else part for part in resource.split("/"))
    return ChildKind(
        name, module.strip("/"), path, parent, endpoint["scopes"][0], None, most,
        modified_filter="modifiedOnOrAfter" in endpoint["query"],
        active_filter="active" in endpoint["query"],
        url=url,
    )  # fmt: skip


@cache
def has_text_ids(parent: str) -> bool:
    """Whether the ids of a generated collection are text (guids, slugs), not numbers."""
    return any(
        collection_name(url) == parent and endpoint["fields"]["id"]["type"].startswith("string")
        for url, endpoint in endpoints().items()
        if endpoint["kind"] != "per-parent" and "id" in endpoint["fields"]
    )


KINDS = (
    ChildKind("customer_notes", "crm", "customers/{id}/notes", "customers",
              "tn.crm.customers:r", _note, 3, modified_filter=True),
    ChildKind("location_notes", "crm", "locations/{id}/notes", "locations",
              "tn.crm.locations:r", _note, 2, modified_filter=True),
    ChildKind("job_canceled_log", "jpm", "jobs/{id}/canceled-log", "jobs",
              "tn.jpm.jobs:r", _canceled_log, 1),
    ChildKind("job_booked_log", "jpm", "jobs/{id}/booked-log", "jobs", "tn.jpm.jobs:r",
              _booked_log, 1, least=1, shape="one"),
    ChildKind("membership_type_discounts", "memberships", "membership-types/{id}/discounts",
              "memberships/export/membership-types", "tn.mem.membershiptypes:r",
              _membership_discount, 3, shape="array",
              links=(("targetId", "settings/export/business-units"),)),
    ChildKind("membership_type_duration_billing_items", "memberships",
              "membership-types/{id}/duration-billing-items",
              "memberships/export/membership-types", "tn.mem.membershiptypes:r",
              _duration_billing_item, 3, least=1, active_filter=True, shape="array"),
    ChildKind("membership_type_recurring_service_items", "memberships",
              "membership-types/{id}/recurring-service-items",
              "memberships/export/membership-types", "tn.mem.membershiptypes:r",
              _recurring_service_item, 2, shape="array",
              links=(("recurringServiceTypeId", "memberships/export/recurring-service-types"),)),
    ChildKind("job_notes", "jpm", "jobs/{id}/notes", "jobs", "tn.jpm.jobs:r", _job_note, 2),
    ChildKind("job_splits", "payroll", "jobs/{id}/splits", "jobs", "tn.prl.jobs:r", _split, 2,
              modified_filter=True),
    ChildKind("job_timesheets", "payroll", "jobs/{id}/timesheets", "jobs", "tn.prl.jobs:r",
              _timesheet, 2, modified_filter=True, active_filter=True),
    ChildKind("invoice_tasks", "accounting", "invoices/{id}/tasks", "invoices",
              "tn.acc.invoices:r", _invoice_task, 1),
    ChildKind("technician_payrolls", "payroll", "technicians/{id}/payrolls", "technicians",
              "tn.prl.technicians:r", _payroll, 4, modified_filter=True, active_filter=True),
    # Children of generated collections, from the reference's fields.
    generated("bank_deposit_transactions",
              "/accounting/v2/tenant/{tenant}/bank-deposits/{id}/transactions",
              "accounting/bank-deposits", 3),
    generated("journal_entry_details", "/accounting/v2/tenant/{tenant}/journal-entries/{id}/details",
              "accounting/journal-entries", 4),
    generated("journal_entry_summaries",
              "/accounting/v2/tenant/{tenant}/journal-entries/{id}/summary",
              "accounting/journal-entries", 2),
    generated("booking_contacts", "/crm/v2/tenant/{tenant}/bookings/{id}/contacts",
              "crm/export/bookings", 2),
    generated("contact_relationships", "/crm/v2/tenant/{tenant}/contacts/{contactId}/relationships",
              "crm/contacts", 2),
    generated("lead_notes", "/crm/v2/tenant/{tenant}/leads/{id}/notes", "crm/export/leads", 3),
    generated("location_finding_attachments",
              "/findings/v2/tenant/{tenant}/location-findings/{id}/attachments",
              "findings/location-findings", 2),
    generated("project_notes", "/jpm/v2/tenant/{tenant}/projects/{id}/notes",
              "jpm/export/projects", 2),
    generated("wbs_project_budget_codes",
              "/jpm/v2/tenant/{tenant}/work-breakdown-structure/projects/{projectId}/budget-codes",
              "jpm/export/projects", 2),
    generated("wbs_project_segments",
              "/jpm/v2/tenant/{tenant}/work-breakdown-structure/projects/{projectId}/segments",
              "jpm/export/projects", 2),
    generated("wbs_segment_items",
              "/jpm/v2/tenant/{tenant}/work-breakdown-structure/segments/{segmentId}/items",
              "jpm/work-breakdown-structure/segments", 4),
    generated("campaign_costs", "/marketing/v2/tenant/{tenant}/campaigns/{id}/costs",
              "marketing/campaigns", 3),
    generated("employee_payrolls", "/payroll/v2/tenant/{tenant}/employees/{employee}/payrolls",
              "settings/export/employees", 3),
    generated("report_category_reports",
              "/reporting/v2/tenant/{tenant}/report-category/{report_category}/reports",
              "reporting/report-categories", 3),
    generated("scheduler_sessions", "/schedulingpro/v2/tenant/{tenant}/schedulers/{id}/sessions",
              "schedulingpro/schedulers", 3),
)  # fmt: skip

CHILD_SCOPES = frozenset(kind.scope for kind in KINDS)


class Children:
    """The children of every parent, generated on first use, changed by :meth:`mutate`."""

    def __init__(self, dataset: Dataset, generic: GenericTenant) -> None:
        self.dataset = dataset
        self.generic = generic
        self._lock = threading.Lock()
        self._by_parent: dict[tuple[str, int | str], list[dict]] = {}
        for kind in KINDS:
            if kind.name in EMBEDDED:
                for parent_id in self.parent_ids(kind):
                    self._embed(kind, parent_id, None)

    def parent_ids(self, kind: ChildKind) -> list:
        """Every parent's id, sorted."""
        if kind.parent in self.dataset.sorted_ids:
            return list(self.dataset.sorted_ids[kind.parent])
        with self.generic.lock:
            return sorted(self.generic.collections[kind.parent].ids())

    def parent_id(self, kind: ChildKind, text: str) -> int | str:
        """A parent id as it appears in a request path."""
        return text if has_text_ids(kind.parent) else int(text)

    def of(self, kind: ChildKind, parent_id: int | str) -> list[dict]:
        """The children of one parent (none when the parent does not exist)."""
        with self._lock:
            return list(self._children(kind, parent_id))

    def _parent(self, kind: ChildKind, parent_id: int | str) -> dict | None:
        if kind.parent in self.dataset.sorted_ids:
            return self.dataset.get(kind.parent, parent_id)  # type: ignore[arg-type]
        with self.generic.lock:
            return self.generic.collections[kind.parent].records.get((parent_id,))

    def _children(self, kind: ChildKind, parent_id: int | str) -> list[dict]:
        key = (kind.name, parent_id)
        children = self._by_parent.get(key)
        if children is None:
            parent = self._parent(kind, parent_id)
            children = self._generate(kind, parent) if parent is not None else []
            self._by_parent[key] = children
        return children

    def _generate(self, kind: ChildKind, parent: dict) -> list[dict]:
        rng = random.Random(f"{self.dataset.seed}:{kind.name}:{parent['id']}")
        stamp = parent.get("createdOn")
        created = parse_iso_ms(stamp) if stamp else PAST_END_MS - 60 * DAY_MS
        latest = max(created, PAST_END_MS)
        out = []
        for n in range(rng.randint(kind.least, kind.most)):
            ms = min(latest, created + int(rng.random() * 30 * DAY_MS))
            out.append(self._make(kind, rng, parent, n, ms))
        return out

    def _make(self, kind: ChildKind, rng: random.Random, parent: dict, n: int, ms: int) -> dict:
        """The ``n``-th child of ``parent``, created at ``ms``."""
        cid = _number(parent["id"]) * MAX_CHILDREN + n
        if kind.make is not None:
            child = kind.make(rng, parent, cid, ms)
            for name, collection in kind.links:
                pool = self.generic.id_pools[collection]
                child[name] = pool[cid % len(pool)]
            return child
        maker = RecordMaker(kind.endpoint, self.generic.id_pools, rng)
        fields = kind.endpoint["fields"]
        key = {}
        if "id" in fields:
            id_type = fields["id"]["type"]
            key["id"] = (
                str(uuid.UUID(int=cid)) if id_type == "string(guid)"
                else str(cid) if id_type.startswith("string") else cid
            )  # fmt: skip
        return maker.record(key, ms, ms)

    def mutate(self, fraction: float = 0.01, seed: int = 1) -> dict:
        """Change and add children of random parents, leaving the parents as they are
        (but for parents embedding their children: those change with them)."""
        ds = self.dataset
        summary = {}
        embedding: dict[str, set] = {}
        with ds.lock, self._lock:
            rng = random.Random(f"children:{ds.seed}:{seed}:{ds.mutations}")
            for kind in KINDS:
                ids = self.parent_ids(kind)
                count = max(1, round(fraction * len(ids)))
                created = updated = 0
                for _ in range(count):
                    parent = self._parent(kind, ids[int(rng.random() * len(ids))])
                    assert parent is not None
                    children = self._children(kind, parent["id"])
                    ds.now_ms += 1000
                    if children and rng.random() < 0.5:
                        k = int(rng.random() * len(children))
                        children[k] = _changed(children[k], kind, rng, ds.now_ms)
                        updated += 1
                    elif len(children) < MAX_CHILDREN:  # children are never removed
                        children.append(self._make(kind, rng, parent, len(children), ds.now_ms))
                        created += 1
                    else:
                        continue
                    for name in self._embed(kind, parent["id"], ds.now_ms):
                        embedding.setdefault(name, set()).add(parent["id"])
                summary[kind.name] = {"created": created, "updated": updated}
            ds.now_ms += 60_000
        for name, parents in embedding.items():
            summary[name] = {"created": 0, "updated": len(parents)}
        return summary

    def _embed(self, kind: ChildKind, parent_id: int | str, ms: int | None) -> list[str]:
        """Write a parent's children into the parent's records (:data:`~.embedded.EMBEDDED`):
        in place when ``ms`` is None (the sandbox starting), else as a new version of each,
        modified at ``ms``. Returns the names of the collections changed."""
        if kind.name not in EMBEDDED:
            return []
        field, _ = EMBEDDED[kind.name]
        children = self._children(kind, parent_id)
        changed = []
        with self.generic.lock:
            for name in parent_collections(kind.parent):
                collection = self.generic.collections.get(name)
                record = collection.records.get((parent_id,)) if collection else None
                if collection is None or record is None:
                    continue
                items = entries(kind.name, children, kind.active_filter)
                if ms is None:
                    record[field] = items
                else:
                    collection.put(record | {field: items, "modifiedOn": iso(ms)})
                    changed.append(name)
        return changed

    def answer(self, kind: ChildKind, parent_id: int, query: dict[str, str]) -> list[dict] | str:
        """The children one request asks for, or the message of a 400."""
        records = self.of(kind, parent_id)
        since = query.get("modifiedOnOrAfter")
        if since and kind.modified_filter:
            try:
                ms = parse_iso_ms(since)
            except ValueError:
                return "modifiedOnOrAfter is not a valid date-time"
            records = [r for r in records if parse_iso_ms(r["modifiedOn"]) >= ms]
        if kind.active_filter:
            active = (query.get("active") or "True").lower()
            if active not in ("true", "false", "any"):
                return "active must be True, Any or False"
            if active != "any":
                records = [r for r in records if r["active"] is (active == "true")]
        return records


#: Fields a change edits, the first a child has (text the API lets users change).
EDITABLE = ("description", "name", "value", "fileName", "notes", "code", "typeName")


def _number(parent_id: int | str) -> int:
    """A parent id as a number (text ids hashed), the base of its children's ids."""
    return parent_id if isinstance(parent_id, int) else zlib.crc32(parent_id.encode())


def _changed(child: dict, kind: ChildKind, rng: random.Random, ms: int) -> dict:
    """A new version of ``child``: edited (or deactivated) now."""
    new = dict(child)
    editable = next((name for name in EDITABLE if isinstance(new.get(name), str)), None)
    if "text" in new:
        new["text"] = f"{rng.choice(NOTE_TEXTS)} (edited)"
    elif "status" in new:
        new["status"] = "Paid" if new["status"] != "Paid" else "Approved"
    elif editable is not None:
        new[editable] = f"{new[editable]} (edited {ms})"
    elif "memo" in new:
        new["memo"] = f"Edited memo {ms}"
    elif "dailyCost" in new:
        new["dailyCost"] = round(float(new["dailyCost"]) + 1, 2)
    elif isinstance(new.get("discount"), float):  # a membership type's discount
        new["discount"] = 25.0 if new["discount"] != 25.0 else 10.0
    elif isinstance(new.get("allocation"), float):  # a membership type's recurring service
        new["allocation"] = 50.0 if new["allocation"] != 50.0 else 100.0
    elif isinstance(new.get("billingPrice"), float):  # a membership type's billing option
        new["billingPrice"] = new["renewalPrice"] = round(new["billingPrice"] + 1.0, 2)
    if kind.active_filter and rng.random() < 0.3:
        new["active"] = False
    if "modifiedOn" in new:
        new["modifiedOn"] = iso(ms)
    return new
