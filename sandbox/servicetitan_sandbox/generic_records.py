"""Records for every endpoint the hand-written dataset does not cover: the KPI sources
from business.py, every other one generated from the reference's field types.

One :class:`Collection` per tenant-wide endpoint (export feed or list) of the
reference: its records keyed by their key fields, kept in change-version
order so an export page is a ``bisect`` plus a slice, as in :mod:`.dataset`.
:class:`GenericTenant` builds them all for a :class:`~.dataset.Dataset`, with
identifiers that agree with it (a ``customerId`` is one of its customers, a
``businessUnitId`` one of the business units served here, and so on), and
changes some of every collection's records between runs (:meth:`GenericTenant.mutate`).
The collections behind the KPI tables (invoice items, payments, splits, calls,
memberships ...) are :class:`~.business.Business`'s, consistent with the dataset
and with each other rather than random.
Nothing here knows about HTTP.
"""

from __future__ import annotations

import gc
import random
import threading
import uuid
from collections.abc import Callable

from servicetitan_catalog.reference import decimal_string_fields, endpoints, url_parts

from .business import Business
from .clock import PAST_END_MS, PAST_START_MS
from .collection import Collection, modified_ms
from .dataset import Dataset
from .formats import DAY_MS, iso, money
from .store import ID_BASE

#: Records without an ``id``: the fields that identify them.
KEYS = {
    "customer-interactions/export/technician-ratings": ("jobId", "technicianId"),
    "jpm/export/job-history": ("jobId",),
    "marketingreputation/reviews": ("externalId", "platform"),
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


Generator = Callable[["RecordMaker"], object]
#: one field of a compiled object: name, may be null, is a decimal string, its value maker
Plan = list[tuple[str, bool, bool, Generator]]
_plans: dict[tuple, Plan] = {}


class RecordMaker:
    """Records of one endpoint from its reference fields, linked to the tenant's ids.

    Each object's fields are compiled once (per endpoint, parent name and depth)
    into a plan of value makers, so a record is a loop of calls rather than a
    walk of the reference's type strings.
    """

    def __init__(self, endpoint: dict, id_pools: dict[str, range], rng: random.Random) -> None:
        self.endpoint = endpoint
        self.objects = endpoint.get("objects") or {}
        self.decimal_strings = decimal_string_fields(endpoint["url"])
        self.id_pools = id_pools
        self.rng = rng

    def record(self, key_values: dict, created_ms: int, modified_ms: int) -> dict:
        plan = self._plan(self.endpoint["fields"], "", 0, self.decimal_strings)
        record = self._object(plan)
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

    def _object(self, plan: Plan) -> dict:
        rng = self.rng
        out = {}
        for name, nullable, decimal, make in plan:
            if nullable and rng.random() < 0.15:
                out[name] = None
            elif decimal:
                out[name] = money(int(rng.random() * 200_000))
            else:
                out[name] = make(self)
        return out

    def _plan(
        self, fields: dict, parent: str, depth: int, decimal_strings: frozenset = frozenset()
    ) -> Plan:
        key = (self.endpoint["url"], id(fields), parent, depth, decimal_strings)
        plan = _plans.get(key)
        if plan is None:
            plan = _plans[key] = [
                (
                    name,
                    spec["nullable"] and not spec["required"],
                    name in decimal_strings,
                    self._maker(name, spec["type"], parent, depth),
                )
                for name, spec in fields.items()
            ]
        return plan

    def _maker(self, name: str, typ: str, parent: str, depth: int) -> Generator:
        """What makes one value of a field of type ``typ`` (the same random draws each time)."""
        if typ.startswith("["):
            if depth >= NESTING_LIMIT:
                return lambda m: []
            item = self._maker(_stem(name) or name, typ[1:-1], parent, depth + 1)
            return lambda m: [item(m) for _ in range(int(m.rng.random() * 3))]
        if typ.startswith("object "):
            nested = self.objects.get(typ.split(" ", 1)[1])
            if nested is None:
                return lambda m: {}
            return self._object_maker(self._plan(nested, name, depth + 1), name)
        if typ in ("int64", "int32"):
            stem = _stem(name) or (parent if name == "id" else None) or name
            return lambda m: m.linked_id(stem) or int(m.rng.random() * 1000) + 1
        if typ.startswith("enum("):
            choices: list = typ[5:-1].split("|")
            if all(choice.isdigit() for choice in choices):
                choices = [int(choice) for choice in choices]  # numeric enums are sent as numbers
            return lambda m: m.rng.choice(choices)
        simple = SIMPLE_MAKERS.get(typ)
        if simple is not None:
            return simple
        return lambda m: f"{name} {int(m.rng.random() * 10_000)}"

    @staticmethod
    def _object_maker(plan: Plan, name: str) -> Generator:
        linked = name in LINKS

        def make(m: RecordMaker) -> dict:
            value = m._object(plan)
            if linked and isinstance(value.get("id"), int):
                value["id"] = m.linked_id(name) or value["id"]
            return value

        return make


SPAN_MS = PAST_END_MS - PAST_START_MS
SIMPLE_MAKERS: dict[str, Generator] = {
    "bool": lambda m: m.rng.random() < 0.5,
    "decimal": lambda m: round(m.rng.random() * 1000, 2),
    "double": lambda m: round(m.rng.random() * 1000, 2),
    "string(date-time)": lambda m: iso(
        PAST_START_MS + int(m.rng.random() * SPAN_MS) // 1000 * 1000
    ),
    "string(date)": lambda m: iso(PAST_START_MS + int(m.rng.random() * 2000) * DAY_MS)[:10],
    "string(guid)": lambda m: str(uuid.UUID(int=m.rng.getrandbits(128))),
    "string(duration)": lambda m: (
        f"00:{int(m.rng.random() * 60):02d}:{int(m.rng.random() * 60):02d}"
    ),
    "string(email)": lambda m: f"user{int(m.rng.random() * 10_000)}@example.com",
    "string(phone)": lambda m: f"555{int(m.rng.random() * 10_000_000):07d}",
}


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
        was_enabled = gc.isenabled()
        gc.disable()  # as in Dataset: millions of small dicts the cyclic GC would rescan
        try:
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
        finally:
            if was_enabled:
                gc.enable()

    def _core_pools(self) -> dict[str, range]:
        ds = self.dataset
        return {stream: range(ID_BASE[stream] + 1, ds.next_id[stream]) for stream in ID_BASE}

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
        if maker.endpoint["fields"][first]["type"].startswith("string"):
            values[first] = str(values[first])
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
