"""Records for every endpoint the hand-written dataset does not cover, generated from
the reference's field types.

One :class:`Collection` per tenant-wide endpoint (export feed or list) of the
reference: its records keyed by their key fields, kept in change-version
order so an export page is a ``bisect`` plus a slice, as in :mod:`.dataset`.
:class:`GenericTenant` builds them all for a :class:`~.dataset.Dataset`, with
identifiers that agree with it (a ``customerId`` is one of its customers, a
``businessUnitId`` one of the business units served here, and so on), and
changes some of every collection's records between runs (:meth:`GenericTenant.mutate`).
Nothing here knows about HTTP.
"""

from __future__ import annotations

import random
import threading
import uuid

from .business import Business
from .collection import Collection, modified_ms
from .dataset import DAY_MS, ID_BASE, PAST_END_MS, PAST_START_MS, Dataset, iso, money
from .reference import decimal_string_fields, endpoints, url_parts

#: Records without an ``id``: the fields that identify them.
KEYS = {
    "customer-interactions/export/technician-ratings": ("jobId", "technicianId"),
    "jpm/export/job-history": ("jobId",),
    "payroll/export/payroll-settings": ("employeeId",),
    "payroll/locations/rates": ("locationId", "laborTypeCode"),
}

#: Collections the hand-written dataset already refers to by number: their ids.
FIXED_IDS = {
    "settings/export/business-units": range(101, 111),
    "jpm/job-types": range(1, 26),
    "marketing/campaigns": range(1, 41),
    "dispatch/zones": range(1, 21),
    "settings/export/tag-types": range(1, 31),
    "accounting/tax-zones": range(1, 10),
    "accounting/payment-terms": range(1, 6),
    "jpm/export/projects": range(1, 501),
}

#: What an ``<x>Id`` field (or an ``<x>`` object with an ``id``) points at.
LINKS = {
    "customer": "customers",
    "location": "locations",
    "job": "jobs",
    "appointment": "appointments",
    "invoice": "invoices",
    "estimate": "estimates",
    "technician": "technicians",
    "employee": "settings/export/employees",
    "businessUnit": "settings/export/business-units",
    "jobType": "jpm/job-types",
    "campaign": "marketing/campaigns",
    "membership": "memberships/export/memberships",
    "membershipType": "memberships/export/membership-types",
    "project": "jpm/export/projects",
    "zone": "dispatch/zones",
    "payment": "accounting/export/payments",
    "lead": "crm/export/leads",
    "booking": "crm/export/bookings",
    "vendor": "inventory/vendors",
    "warehouse": "inventory/warehouses",
    "truck": "inventory/trucks",
    "taxZone": "accounting/tax-zones",
    "paymentTerm": "accounting/payment-terms",
    "paymentType": "accounting/payment-types",
    "glAccount": "accounting/gl-accounts",
    "team": "dispatch/teams",
    "form": "forms/forms",
    "purchaseOrder": "inventory/export/purchase-orders",
    "serviceAgreement": "service-agreements/export/service-agreements",
    "recurringService": "memberships/export/recurring-services",
    "call": "telecom/export/calls",
}

#: Collections of the hand-written dataset whose size grows with the tenant.
TENANT_SIZED = frozenset(
    {"customers", "locations", "jobs", "appointments", "invoices", "estimates"}
)

REFERENCE_TABLE_SIZE = 8
#: A collection that points at customers, jobs ... has one record per this many customers.
CUSTOMERS_PER_RECORD = 10
#: Arrays this deep are left empty (nested objects are always complete).
NESTING_LIMIT = 3


def collection_name(url: str) -> str:
    """``module/resource`` of a reference URL: the sandbox's name of its collection."""
    module, _, resource = url_parts(url)
    return f"{module}/{resource}"


def is_export(endpoint: dict) -> bool:
    """An export feed: ``continueFrom`` pages (telecom's calls feed is listed as a list)."""
    return "continueFrom" in endpoint["envelope"]


def _stem(name: str) -> str | None:
    if name.endswith("Ids"):
        return name[:-3]
    if name.endswith("Id"):
        return name[:-2]
    return None


class RecordMaker:
    """Records of one endpoint from its reference fields, linked to the tenant's ids."""

    def __init__(self, endpoint: dict, id_pools: dict[str, range], rng: random.Random) -> None:
        self.endpoint = endpoint
        self.objects = endpoint.get("objects") or {}
        self.decimal_strings = decimal_string_fields(endpoint["url"])
        self.id_pools = id_pools
        self.rng = rng

    def record(self, key_values: dict, created_ms: int, modified_ms: int) -> dict:
        record = self._object(self.endpoint["fields"], "", 0, self.decimal_strings)
        record.update(key_values)
        if "createdOn" in record:
            record["createdOn"] = iso(created_ms)
        if "modifiedOn" in record:
            record["modifiedOn"] = iso(modified_ms)
        if isinstance(record.get("active"), bool):
            record["active"] = self.rng.random() > 0.1
        return record

    def linked_id(self, stem: str) -> int | None:
        pool = self.id_pools.get(LINKS.get(stem, ""))
        if not pool:
            return None
        return pool[int(self.rng.random() * len(pool))]

    def _object(
        self, fields: dict, parent: str, depth: int, decimal_strings: frozenset = frozenset()
    ) -> dict:
        out = {}
        for name, spec in fields.items():
            if spec["nullable"] and not spec["required"] and self.rng.random() < 0.15:
                out[name] = None
            elif name in decimal_strings:
                out[name] = money(int(self.rng.random() * 200_000))
            else:
                out[name] = self._value(name, spec["type"], parent, depth)
        return out

    def _value(self, name: str, typ: str, parent: str, depth: int) -> object:
        rng = self.rng
        if typ.startswith("["):
            count = 0 if depth >= NESTING_LIMIT else int(rng.random() * 3)
            stem = _stem(name)
            return [self._value(stem or name, typ[1:-1], parent, depth + 1) for _ in range(count)]
        if typ.startswith("object "):
            nested = self.objects.get(typ.split(" ", 1)[1])
            if nested is None:
                return {}
            value = self._object(nested, name, depth + 1)
            if isinstance(value.get("id"), int) and name in LINKS:
                value["id"] = self.linked_id(name) or value["id"]
            return value
        if typ in ("int64", "int32"):
            stem = _stem(name) or (parent if name == "id" else None) or name
            return self.linked_id(stem) or int(rng.random() * 1000) + 1
        if typ == "bool":
            return rng.random() < 0.5
        if typ in ("decimal", "double"):
            return round(rng.random() * 1000, 2)
        if typ == "string(date-time)":
            return iso(
                PAST_START_MS + int(rng.random() * (PAST_END_MS - PAST_START_MS)) // 1000 * 1000
            )
        if typ == "string(date)":
            return iso(PAST_START_MS + int(rng.random() * 2000) * DAY_MS)[:10]
        if typ == "string(guid)":
            return str(uuid.UUID(int=rng.getrandbits(128)))
        if typ == "string(duration)":
            return f"00:{int(rng.random() * 60):02d}:{int(rng.random() * 60):02d}"
        if typ == "string(email)":
            return f"user{int(rng.random() * 10_000)}@example.com"
        if typ == "string(phone)":
            return f"555{int(rng.random() * 10_000_000):07d}"
        if typ.startswith("enum("):
            return rng.choice(typ[5:-1].split("|"))
        return f"{name} {int(rng.random() * 10_000)}"


class GenericTenant:
    """Every keyed reference collection the dataset does not hold, generated to match it.

    Per-parent endpoints and records without a key (reports such as
    marketingads' performance, which the tap does not sync) are left out.
    """

    def __init__(self, dataset: Dataset, skip: set[str]) -> None:
        self.dataset = dataset
        self.lock = threading.RLock()
        self.mutations = 0
        sized = max(REFERENCE_TABLE_SIZE, dataset.customers_count // CUSTOMERS_PER_RECORD)
        chosen = {
            collection_name(url): endpoint
            for url, endpoint in endpoints().items()
            if endpoint["kind"] != "per-parent"
            and collection_name(url) not in skip
            and ("id" in endpoint["fields"] or collection_name(url) in KEYS)
        }
        #: the KPI source collections, consistent with the dataset and each other
        self.business = Business(dataset)
        self.id_pools = self._core_pools()
        for index, (name, endpoint) in enumerate(sorted(chosen.items())):
            count = sized if self._points_at_the_tenant(endpoint) else REFERENCE_TABLE_SIZE
            start = 100_000_000 + index * 1_000_000 + 1
            self.id_pools[name] = FIXED_IDS.get(name, range(start, start + count))
            if name in self.business.collections:
                self.id_pools[name] = self.business.id_pool(name)
        self.collections = {
            name: self.business.collections.get(name) or self._generate(name, endpoint)
            for name, endpoint in sorted(chosen.items())
        }

    def _core_pools(self) -> dict[str, range]:
        ds = self.dataset
        return {stream: range(ID_BASE[stream] + 1, ds._next_id[stream]) for stream in ID_BASE}

    @staticmethod
    def _points_at_the_tenant(endpoint: dict) -> bool:
        return any(LINKS.get(_stem(n) or n) in TENANT_SIZED for n in endpoint["fields"])

    def _keys(self, name: str) -> tuple[str, ...]:
        return KEYS.get(name, ("id",))

    def _generate(self, name: str, endpoint: dict) -> Collection:
        rng = random.Random(f"{self.dataset.seed}:{name}")
        maker = RecordMaker(endpoint, self.id_pools, rng)
        keys = self._keys(name)
        collection = Collection(name, endpoint, keys)
        # a few shared stamps, so records modified at the same moment are common
        stamps = [PAST_END_MS - int(rng.random() * 300) * DAY_MS for _ in range(4)]
        staged = []
        for position, rid in enumerate(self.id_pools[name]):
            created = PAST_START_MS + int(rng.random() * (PAST_END_MS - PAST_START_MS))
            modified = rng.choice(stamps) if rng.random() < 0.3 else created
            key_values = self._key_values(keys, position, rid, maker)
            staged.append(maker.record(key_values, created, max(created, modified)))
        staged.sort(key=modified_ms)
        for record in staged:
            collection.put(record)
        return collection

    def _key_values(
        self, keys: tuple[str, ...], position: int, rid: int, maker: RecordMaker
    ) -> dict:
        if keys == ("id",):
            is_text = maker.endpoint["fields"]["id"]["type"].startswith("string")
            return {"id": str(rid) if is_text else rid}
        # the first key field is unique: the position-th id of what it points at
        first, *others = keys
        pool = self.id_pools.get(LINKS.get(_stem(first) or "", ""), range(1, 10**9))
        values: dict = {first: pool[position % len(pool)] if position < len(pool) else rid}
        for other in others:
            values[other] = maker.linked_id(_stem(other) or "") or f"{other}-{position % 3}"
        return values

    def mutate(self, fraction: float = 0.01, seed: int = 1) -> dict:
        """Change, deactivate and add records of every collection, at the dataset's clock.

        The business collections change the way a day of work changes them
        (:meth:`.business.Business.mutate`), which also changes some of the
        dataset's jobs and invoices: their counts are under the streams' names.
        """
        with self.dataset.lock, self.lock:
            rng = random.Random(f"{self.dataset.seed}:{seed}:generic:{self.mutations}")
            self.mutations += 1
            summary = {}
            for name, collection in self.collections.items():
                if name in self.business.collections:
                    summary[name] = {"created": 0, "updated": 0}
                else:
                    summary[name] = self._mutate_one(collection, fraction, rng)
            summary.update(self.business.mutate(fraction=fraction, seed=seed))
            for name in self.business.collections:
                if name in self.collections:
                    self.id_pools[name] = self.business.id_pool(name)
            return summary

    def _mutate_one(self, collection: Collection, fraction: float, rng: random.Random) -> dict:
        now = self.dataset.now_ms
        keys = sorted(collection.records)
        changed = max(1, round(fraction * len(keys)))
        for key in rng.sample(keys, min(changed, len(keys))):
            record = dict(collection.records[key])
            if "modifiedOn" in record:
                record["modifiedOn"] = iso(now)
            if isinstance(record.get("active"), bool) and rng.random() < 0.3:
                record["active"] = not record["active"]
            collection.put(record)
        created = 0
        if collection.keys == ("id",):
            maker = RecordMaker(collection.endpoint, self.id_pools, rng)
            rid = max(int(key[0]) for key in keys) + 1 if keys else 1
            is_text = collection.endpoint["fields"]["id"]["type"].startswith("string")
            collection.put(maker.record({"id": str(rid) if is_text else rid}, now, now))
            created = 1
        return {"created": created, "updated": min(changed, len(keys))}
