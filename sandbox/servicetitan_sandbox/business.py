"""The streams behind the KPI tables, consistent with the hand-written dataset.

A real HVAC/plumbing tenant's records hang together: a completed job's
invoice has line items posted to GL accounts, its technicians were assigned
to its appointments, clocked time on them and split its revenue; calls book
jobs for marketing campaigns that cost money every day; payments pay
invoices down to their balance; memberships change status over time.
:class:`Business` builds those collections from a :class:`~.dataset.Dataset`
(the invoice items of its invoices, the assignments of its appointments ...)
and keeps them consistent through :meth:`Business.mutate`, which also
changes some of the dataset's jobs and invoices the way a day of office
work does. Record shapes are in business_records.py; nothing here knows
about HTTP.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable, Iterable
from datetime import datetime, timezone

from servicetitan_catalog.reference import endpoints, url_parts

from . import business_records as br
from .clock import PAST_END_MS, PAST_START_MS, near_midnight
from .collection import Collection
from .dataset import Dataset
from .formats import DAY_MS, SECOND_OF, iso, money, parse_iso_ms
from .invoices import adjustment as adjustment_invoice
from .mutation import pick

ITEMS = "accounting/export/invoice-items"
GL_ACCOUNTS = "accounting/gl-accounts"
JOB_TYPES = "jpm/job-types"
SPLITS = "payroll/export/jobs/splits"
ASSIGNMENTS = "dispatch/export/appointment-assignments"
TIMESHEETS = "payroll/export/jobs/timesheets"
CALLS = "telecom/export/calls"
CAMPAIGNS = "marketing/campaigns"
COSTS = "marketing/costs"
MEMBERSHIPS = "memberships/export/memberships"
STATUS_CHANGES = "memberships/export/membership-status-changes"
MEMBERSHIP_TYPES = "memberships/export/membership-types"
MEMBERSHIP_TYPES_LIST = "memberships/membership-types"
PAYMENTS = "accounting/export/payments"

#: first id (minus one) of the records each business collection numbers itself
ID_BASES = {
    ITEMS: 400_000_000,
    SPLITS: 420_000_000,
    ASSIGNMENTS: 440_000_000,
    TIMESHEETS: 460_000_000,
    CALLS: 480_000_000,
    PAYMENTS: 500_000_000,
    MEMBERSHIPS: 520_000_000,
    STATUS_CHANGES: 540_000_000,
    COSTS: 560_000_000,
    "appliedId": 580_000_000,
}
#: lookups with ids fixed by their tables (the dataset refers to them by number)
LOOKUP_IDS = {
    GL_ACCOUNTS: range(1, len(br.GL_ACCOUNTS) + 1),
    JOB_TYPES: range(1, len(br.JOB_TYPES) + 1),
    CAMPAIGNS: range(1, 41),
    MEMBERSHIP_TYPES: range(1, len(br.MEMBERSHIP_TYPES) + 1),
    MEMBERSHIP_TYPES_LIST: range(1, len(br.MEMBERSHIP_TYPES) + 1),
}
NAMES = frozenset(ID_BASES) - {"appliedId"} | frozenset(LOOKUP_IDS)

#: a membership's next status (None: it stays), weighted by repetition
NEXT_STATUS = {
    "Active": ("Suspended", "Canceled", "Canceled", "Expired", "Expired", None, None, None),
    "Suspended": ("Active", "Active", "Canceled"),
    "Canceled": ("Active", None, None, None, None, None, None, None, None),
    "Expired": ("Active", "Active", None, None, None, None, None, None),
}
COST_MONTHS = 18
#: what the business streams read of the dataset's records (a record a test hook added
#: without them is left alone)
JOB_FIELDS = frozenset(
    [
        "customerId",
        "locationId",
        "jobStatus",
        "completedOn",
        "businessUnitId",
        "campaignId",
        "jobNumber",
        "invoiceId",
        "createdOn",
        "active",
    ]
)
INVOICE_FIELDS = frozenset(
    [
        "invoiceConfiguration",
        "job",
        "businessUnit",
        "customer",
        "referenceNumber",
        "subTotal",
        "total",
        "balance",
        "paidOn",
        "invoiceDate",
        "createdOn",
        "modifiedOn",
    ]
)
APPOINTMENT_FIELDS = frozenset(
    ("jobId", "status", "start", "end", "createdOn", "createdById", "active")
)
APPLIED_BY = ("Zoë Admin", "Front Desk", None)
ITEM_CUM_WEIGHTS = [sum(br.ITEM_WEIGHTS[: n + 1]) for n in range(len(br.ITEM_WEIGHTS))]


def endpoint_of(name: str) -> dict:
    """The reference endpoint of a ``module/resource`` collection name."""
    for url, endpoint in endpoints().items():
        module, _, resource = url_parts(url)
        if f"{module}/{resource}" == name:
            return endpoint
    raise KeyError(name)


_day_ms: dict[str, int] = {}


def stamp_ms(text: str) -> int:
    """Epoch ms of a ``YYYY-MM-DDTHH:MM:SS[.fff]Z`` stamp as :func:`~.formats.iso` writes it
    (fast), or of any other date-time :func:`~.formats.parse_iso_ms` reads."""
    second = SECOND_OF.get(text[11:19])
    if second is None or text[-1:] != "Z" or len(text) not in (20, 24):
        return parse_iso_ms(text)
    day = _day_ms.get(text[:10])
    if day is None:
        day = int(datetime.fromisoformat(text[:10]).replace(tzinfo=timezone.utc).timestamp())
        day = _day_ms[text[:10]] = day * 1000
    ms = day + second * 1000
    return ms + int(text[20:23]) if len(text) == 24 else ms


def month_of(ms: int) -> tuple[int, int]:
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return moment.year, moment.month


class Business:
    """The KPI source collections of one tenant, built from and kept in step with a dataset."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self.rng = random.Random(f"{dataset.seed}:business")
        self.mutations = 0
        self.collections = {
            name: Collection(name, endpoint_of(name), ("id",)) for name in sorted(NAMES)
        }
        self._next = {name: base + 1 for name, base in ID_BASES.items()}
        self._staged: dict[str, list[tuple[int, dict]]] | None = {n: [] for n in NAMES}
        self._changes: dict[str, dict[int, bool]] = {}
        # what has been decided for the dataset's records (so mutate adds only what is new)
        self.job_techs: dict[int, tuple[int, ...]] = {}
        self.assigned: dict[int, range] = {}  # appointment id -> ids of its assignments
        self.timesheeted: set[int] = set()  # appointments with timesheets
        self.split_jobs: set[int] = set()  # completed jobs whose splits are decided
        self.itemized: set[int] = set()  # invoices whose items exist
        self.applied: dict[int, int] = {}  # invoice id -> cents of active payments
        self.members_decided: set[int] = set()  # customers considered for a membership
        self._last_payment: dict | None = None  # while building: may pay a second invoice
        self._build()
        self.watermark = dataset.current_version

    # ------------------------------------------------------------------ ids and output

    def id_pool(self, name: str) -> range:
        """The ids of a collection, for other collections that point at it."""
        if name in LOOKUP_IDS:
            return LOOKUP_IDS[name]
        return range(ID_BASES[name] + 1, self._next[name])

    def _new_id(self, name: str) -> int:
        rid = self._next[name]
        self._next[name] = rid + 1
        return rid

    def _emit(self, name: str, record: dict, ms: int) -> None:
        """A new or changed record: staged while building, else put (a new change version)."""
        if self._staged is not None:
            self._staged[name].append((ms, record))
            return
        collection = self.collections[name]
        key = record["id"]
        changes = self._changes.setdefault(name, {})
        changes.setdefault(key, (key,) not in collection.records)
        collection.put(record)

    def _change(self, name: str, record: dict, **fields: object) -> dict:
        changed = dict(record)
        changed.update(fields)
        if "modifiedOn" in changed and "modifiedOn" not in fields:
            changed["modifiedOn"] = iso(self.dataset.now_ms)
        self._emit(name, changed, self.dataset.now_ms)
        return changed

    # ------------------------------------------------------------------ building

    def _build(self) -> None:
        """Every record the dataset's records call for, in id order (deterministic)."""
        ds = self.dataset
        self._technicians()
        self._lookups()
        jobs, appointments = ds.by_id["jobs"], ds.by_id["appointments"]
        for jid in ds.sorted_ids["jobs"]:
            job = jobs[jid]
            self._job_work(job, appointments)
            if self.rng.random() < 0.6:
                self._booked_call(job, stamp_ms(job["createdOn"]))
        invoices = ds.by_id["invoices"]
        for iid in ds.sorted_ids["invoices"]:
            self._invoice_items(invoices[iid])
            self._invoice_payments(invoices[iid], None)
        self._last_payment = None
        customers = ds.by_id["customers"]
        for cid in ds.sorted_ids["customers"]:
            self._customer_activity(customers[cid], None)
        self._costs_up_to(ds.now_ms)
        staged, self._staged = self._staged, None
        for name, records in (staged or {}).items():
            self.collections[name].load(records)

    def _technicians(self) -> None:
        techs = [t for t in self.dataset.records("technicians") if t["active"]]
        techs = techs or self.dataset.records("technicians")
        self.techs = {t["id"]: t for t in techs}
        self.tech_ids = sorted(self.techs)
        self.techs_by_bu: dict[int, list[int]] = {}
        for t in techs:
            if t["businessUnitId"] is not None:
                self.techs_by_bu.setdefault(t["businessUnitId"], []).append(t["id"])

    def _lookups(self) -> None:
        rng = self.rng
        created = PAST_START_MS - 200 * DAY_MS
        stamps = [PAST_END_MS - rng.randint(1, 300) * DAY_MS for _ in range(4)]
        for account in br.GL_ACCOUNTS:
            record = br.gl_account_record(account, created, rng.choice(stamps))
            self._emit(GL_ACCOUNTS, record, stamp_ms(record["modifiedOn"]))
        for type_id in LOOKUP_IDS[JOB_TYPES]:
            record = br.job_type_record(type_id, rng, created, rng.choice(stamps))
            self._emit(JOB_TYPES, record, stamp_ms(record["modifiedOn"]))
        for campaign_id in LOOKUP_IDS[CAMPAIGNS]:
            made = PAST_START_MS + (campaign_id - 1) // 10 * 365 * DAY_MS
            modified = max(made, rng.choice(stamps)) if rng.random() < 0.6 else made
            record = br.campaign_record(campaign_id, rng, made, modified)
            self._emit(CAMPAIGNS, record, modified)
        for type_id in LOOKUP_IDS[MEMBERSHIP_TYPES]:
            modified = rng.choice(stamps)
            self._emit(
                MEMBERSHIP_TYPES, br.membership_type_record(type_id, created, modified), modified
            )
            self._emit(
                MEMBERSHIP_TYPES_LIST,
                br.membership_type_record(type_id, created, modified),
                modified,
            )

    # ------------------------------------------------------------------ jobs: dispatch, payroll

    def _techs_of(self, job: dict) -> tuple[int, ...]:
        """The technicians who work a job (decided once): one, sometimes two or three."""
        techs = self.job_techs.get(job["id"])
        if techs is not None:
            return techs
        rng = self.rng
        pool = self.techs_by_bu.get(job["businessUnitId"]) or self.tech_ids
        x = rng.random()
        wanted = 1 if x < 0.7 else (2 if x < 0.97 else 3)
        picked: list[int] = []
        for _ in range(wanted * 3):
            tech = pool[int(rng.random() * len(pool))] if pool else None
            if tech is not None and tech not in picked:
                picked.append(tech)
            if len(picked) == wanted:
                break
        techs = self.job_techs[job["id"]] = tuple(picked)
        return techs

    def _job_work(self, job: dict, appointments: dict[int, dict]) -> None:
        """Assignments, timesheets and splits a job's state calls for and it lacks."""
        if not self.tech_ids:
            return
        techs = self._techs_of(job)
        for aid in self.dataset.children["appointments"].get(job["id"], ()):
            appointment = appointments[aid]
            if self._staged is None and not appointment.keys() >= APPOINTMENT_FIELDS:
                continue
            if aid not in self.assigned:
                self._assign(job, appointment, techs)
            elif self._staged is None:
                self._follow_appointment(appointment)
            if aid not in self.timesheeted and appointment["status"] in ("Done", "Working"):
                self._timesheets(appointment, techs)
        if job["jobStatus"] == "Completed" and job["id"] not in self.split_jobs:
            self._splits(job, techs)

    def _follow_appointment(self, appointment: dict) -> None:
        """Active assignments take their appointment's (new) status."""
        status = br.APPOINTMENT_TO_ASSIGNMENT.get(appointment["status"], "Scheduled")
        records = self.collections[ASSIGNMENTS].records
        for rid in self.assigned[appointment["id"]]:
            record = records.get((rid,))
            if record is not None and record["active"] and record["status"] != status:
                self._change(ASSIGNMENTS, record, status=status)

    def _assign(self, job: dict, appointment: dict, techs: tuple[int, ...]) -> None:
        rng = self.rng
        first = self._next[ASSIGNMENTS]
        assigned = stamp_ms(appointment["createdOn"]) + int(rng.random() * 3_600_000)
        live = appointment["active"] and job["active"] and appointment["status"] != "Canceled"
        if rng.random() < 0.04:  # first given to someone else, then reassigned
            other = self.tech_ids[int(rng.random() * len(self.tech_ids))]
            if other not in techs:
                self._assignment(appointment, other, assigned, False)
        for tech in techs:
            self._assignment(appointment, tech, assigned, live)
        self.assigned[appointment["id"]] = range(first, self._next[ASSIGNMENTS])

    def _assignment(self, appointment: dict, tech: int, ms: int, active: bool) -> None:
        rid = self._new_id(ASSIGNMENTS)
        record = br.assignment_record(rid, appointment, self.techs[tech], ms, active)
        self._emit(ASSIGNMENTS, record, ms)

    def _timesheets(self, appointment: dict, techs: tuple[int, ...]) -> None:
        rng = self.rng
        self.timesheeted.add(appointment["id"])
        start, end = stamp_ms(appointment["start"]), stamp_ms(appointment["end"])
        for tech in techs:
            arrived = start + int(rng.random() * 40) * 60_000
            done = None
            if appointment["status"] == "Done" and rng.random() > 0.04:
                done = max(arrived + 900_000, end + int(rng.uniform(-30, 45)) * 60_000)
            rid = self._new_id(TIMESHEETS)
            active = appointment["active"] and rng.random() > 0.02
            record = br.timesheet_record(rid, appointment, tech, arrived, done, active)
            self._emit(TIMESHEETS, record, stamp_ms(record["modifiedOn"]))

    def _splits(self, job: dict, techs: tuple[int, ...]) -> None:
        """How a completed job's revenue is shared; some jobs have no splits at all."""
        rng = self.rng
        self.split_jobs.add(job["id"])
        if not techs or rng.random() < 0.08:
            return
        ms = stamp_ms(job["completedOn"]) if job["completedOn"] else self.dataset.now_ms
        if rng.random() < 0.03:  # an earlier arrangement, replaced
            self._split(job["id"], techs[0], 100.0, ms - 3_600_000, False)
        shares = rng.choice(br.SPLIT_SHARES[len(techs)])
        for tech, share in zip(techs, shares, strict=True):
            self._split(job["id"], tech, share, ms, True)

    def _split(self, job_id: int, tech: int, share: float, ms: int, active: bool) -> None:
        rid = self._new_id(SPLITS)
        self._emit(SPLITS, br.split_record(rid, job_id, tech, share, ms, active), ms)

    # ------------------------------------------------------------------ calls

    def _booked_call(self, job: dict, job_created_ms: int) -> None:
        """The call that booked a job, minutes to hours before it was created."""
        rng = self.rng
        ds = self.dataset
        customer = ds.by_id["customers"].get(job["customerId"])
        location = ds.by_id["locations"].get(job["locationId"])
        facts = br.CallFacts(
            id=self._new_id(CALLS),
            ms=job_created_ms - int(rng.uniform(5, 180) * 60_000),
            direction="Inbound" if rng.random() < 0.9 else "Outbound",
            type="Booked",
            customer=_named(customer),
            location=_named(location),
            campaign_id=job["campaignId"] if rng.random() < 0.9 else None,
            job={"id": job["id"], "number": job["jobNumber"]},
        )
        record = br.call_record(facts, rng)
        self._emit(CALLS, record, stamp_ms(record["modifiedOn"]))

    def _lead_call(self, customer: dict | None, ms: int) -> None:
        """A call that booked nothing: unbooked, excused, not a lead, abandoned, outbound."""
        rng = self.rng
        inbound = rng.random() < 0.75
        if inbound:
            kind = br.CALL_TYPES_INBOUND[int(rng.random() * len(br.CALL_TYPES_INBOUND))]
        else:
            kind = rng.choice(("NotLead", "NotLead", "Unbooked", None))
        if rng.random() < 0.05:
            ms = near_midnight(rng, ms)
        facts = br.CallFacts(
            id=self._new_id(CALLS),
            ms=ms,
            direction="Inbound" if inbound else "Outbound",
            type=kind,
            customer=_named(customer) if rng.random() < 0.8 else None,
            location=None,
            campaign_id=rng.randint(1, 40) if rng.random() < 0.85 else None,
            job=None,
        )
        record = br.call_record(facts, rng)
        self._emit(CALLS, record, stamp_ms(record["modifiedOn"]))

    # ------------------------------------------------------------------ invoices: items, payments

    def _invoice_items(self, invoice: dict) -> None:
        """An invoice's lines: their totals add up to its subtotal (ARImport: no lines)."""
        self.itemized.add(invoice["id"])
        if invoice["invoiceConfiguration"] == "ARImportInvoice":
            return
        job = invoice["job"]
        techs = self.job_techs.get(job["id"]) if job else None
        bu = invoice["businessUnit"]
        ctx = br.ItemContext(
            invoice_id=invoice["id"],
            business_unit=bu["id"] if bu else None,
            created=invoice["createdOn"],
            modified=invoice["modifiedOn"],
            service_date=invoice["invoiceDate"],
            technician_id=techs[0] if techs else None,
        )
        ms = stamp_ms(invoice["modifiedOn"])
        lines = self._item_lines(br.cents(invoice["subTotal"]), invoice["invoiceConfiguration"])
        for order, (kind, total) in enumerate(lines, 1):
            record = br.item_record(self._new_id(ITEMS), order, kind, total, ctx, self.rng)
            self._emit(ITEMS, record, ms)

    def _item_lines(self, subtotal: int, configuration: str) -> list[tuple[br.ItemKind, int]]:
        rng = self.rng
        if subtotal == 0:
            return [] if rng.random() < 0.5 else [(br.NO_CHARGE, 0)]
        if subtotal < 0:
            return [(br.DISCOUNT if rng.random() < 0.4 else br.ITEM_KINDS[0], subtotal)]
        if configuration == "MembershipInvoice":
            return [(br.MEMBERSHIP_DUES, subtotal)]
        x = rng.random()
        count = 1 if x < 0.35 else (2 if x < 0.7 else (3 if x < 0.9 else 4))
        discount = subtotal * rng.randint(5, 15) // 100 if rng.random() < 0.12 else 0
        top = ITEM_CUM_WEIGHTS[-1]
        kinds = [
            br.ITEM_KINDS[bisect_right(ITEM_CUM_WEIGHTS, rng.random() * top)] for _ in range(count)
        ]
        lines = list(zip(kinds, _parts(rng, subtotal + discount, count), strict=True))
        if discount:
            lines.append((br.DISCOUNT, -discount))
        return lines

    def _invoice_payments(self, invoice: dict, now: int | None) -> None:
        """Payments for what of an invoice is paid (total - balance) and not yet applied."""
        total = br.cents(invoice["total"])
        due = total - br.cents(invoice["balance"]) - self.applied.get(invoice["id"], 0)
        if total <= 0 or due <= 0:
            return
        rng = self.rng
        if now is not None:
            self._payment(invoice, due, now)
            return
        created = stamp_ms(invoice["createdOn"])
        paid = invoice["paidOn"]
        last = stamp_ms(paid) if paid else created + int(rng.random() * 30 * DAY_MS)
        last = min(max(last, created), PAST_END_MS - 1000)
        if due > 20_000 and rng.random() < 0.15:  # a deposit first, the rest when paid
            deposit = due * rng.randint(20, 50) // 100
            self._payment(invoice, deposit, created)
            due -= deposit
        self._payment(invoice, due, last)

    def _payment(self, invoice: dict, amount: int, ms: int) -> None:
        rng = self.rng
        by = APPLIED_BY[int(rng.random() * len(APPLIED_BY))]
        entry = br.applied_entry(self._new_id("appliedId"), invoice, amount, ms, by)
        self.applied[invoice["id"]] = self.applied.get(invoice["id"], 0) + amount
        last = self._last_payment if self._staged is not None else None
        if (
            last is not None
            and last["customer"] == invoice["customer"]
            and last["appliedTo"][-1]["appliedTo"] != invoice["id"]
            and rng.random() < 0.3
        ):
            # one check paying two invoices of the same customer
            last["appliedTo"].append(entry)
            last["total"] = money(br.cents(last["total"]) + amount)
            return
        record = br.payment_record(self._new_id(PAYMENTS), invoice, [entry], ms, rng)
        self._emit(PAYMENTS, record, ms)
        self._last_payment = record
        if self._staged is not None and rng.random() < 0.02:  # a voided duplicate
            void = br.payment_record(self._new_id(PAYMENTS), invoice, [dict(entry)], ms, rng)
            void["active"] = False
            self._emit(PAYMENTS, void, ms)

    # ------------------------------------------------------------------ customers: memberships, calls

    def _customer_activity(self, customer: dict, now: int | None) -> None:
        """Calls that booked nothing, and a membership for some customers."""
        rng = self.rng
        self.members_decided.add(customer["id"])
        created = stamp_ms(customer["createdOn"])
        end = now if now is not None else PAST_END_MS - DAY_MS
        if now is None:
            x = rng.random()
            for _ in range(0 if x < 0.55 else (1 if x < 0.85 else 2)):
                self._lead_call(customer, created + int(rng.random() * max(1, end - created)))
        if rng.random() < 0.12:
            self._membership(customer, created, end)
            if rng.random() < 0.15:
                self._membership(customer, created, end)

    def _membership(self, customer: dict, lo: int, end: int) -> None:
        rng = self.rng
        locations = self.dataset.children["locations"].get(customer["id"])
        sold = lo + int(rng.random() * max(1, end - lo)) if end > lo else end
        sale = br.MembershipSale(
            id=self._new_id(MEMBERSHIPS),
            customer_id=customer["id"],
            location_id=locations[0] if locations else None,
            type_id=rng.choice((1, 1, 2, 2, 3, 4, 4, 5, 6, 7, 8)),
            business_unit=rng.choice(br.BUSINESS_UNITS),
            created_ms=sold,
            sold_by=self.tech_ids[int(rng.random() * len(self.tech_ids))]
            if self.tech_ids
            else None,
        )
        history = self._status_history(sold, end)
        if history:
            status, last = history[-1][1], history[-1][2]
        else:  # imported with its status, no changes recorded
            status, last = rng.choice(("Active", "Active", "Active", "Expired")), sold
        for old, new, ms in history:
            self._status_change(sale.id, old, new, ms, sale.sold_by)
        record = br.membership_record(sale, status, max(sold, last), last)
        self._emit(MEMBERSHIPS, record, max(sold, last))

    def _status_history(self, sold: int, end: int) -> list[tuple[str, str, int]]:
        """Status changes from the sale on: activated, then now and then another status."""
        rng = self.rng
        if rng.random() < 0.12:
            return []
        ms = min(sold + int(rng.random() * 2 * DAY_MS), end)
        history = [("Suspended", "Active", ms)]
        status = "Active"
        while True:
            ms += rng.randint(20, 400) * DAY_MS
            following = rng.choice(NEXT_STATUS[status])
            if ms >= end or following is None:
                return history
            history.append((status, following, ms))
            status = following

    def _status_change(
        self, membership_id: int, old: str, new: str, ms: int, by: int | None
    ) -> None:
        rid = self._new_id(STATUS_CHANGES)
        self._emit(
            STATUS_CHANGES, br.status_change_record(rid, membership_id, old, new, ms, by), ms
        )

    # ------------------------------------------------------------------ marketing costs

    def _costs_up_to(self, now: int, months: int = COST_MONTHS) -> None:
        """A daily cost for the campaigns that cost money, for each of the last ``months``
        months up to ``now``'s that has none (a few months are left without)."""
        rng = self.rng
        year, month = month_of(now)
        have = {(r["campaignId"], r["year"], r["month"]) for r in self._cost_records()}
        for campaign_id in LOOKUP_IDS[CAMPAIGNS]:
            if campaign_id % 5 == 4:
                continue  # free campaigns: referrals, repeat customers ...
            base = 500 + (campaign_id * 7919) % 14_500
            for back in range(months - 1, -1, -1):
                y, m = divmod(year * 12 + month - 1 - back, 12)
                if (campaign_id, y, m + 1) in have or rng.random() < 0.05:
                    continue
                self._cost(campaign_id, y, m + 1, int(base * rng.uniform(0.8, 1.2)))
                if rng.random() < 0.02:  # a second entry for the same month: summed
                    self._cost(campaign_id, y, m + 1, int(base * 0.1))

    def _cost_records(self) -> Iterable[dict]:
        if self._staged is not None:
            return (record for _, record in self._staged[COSTS])
        return self.collections[COSTS].records.values()

    def _cost(self, campaign_id: int, year: int, month: int, daily_cents: int) -> None:
        record = br.cost_record(self._new_id(COSTS), campaign_id, year, month, daily_cents)
        self._emit(COSTS, record, 0)

    # ------------------------------------------------------------------ mutation

    def mutate(self, fraction: float = 0.01, seed: int = 1) -> dict:
        """A day of work: office changes to jobs and invoices, then what follows from every
        change of the dataset since the last call (new items, payments, splits ...), then
        calls, status changes and the like. Returns created/updated counts per collection
        and per dataset stream changed here."""
        ds = self.dataset
        with ds.lock:
            self.rng = random.Random(f"{ds.seed}:{seed}:business:{self.mutations}")
            self.mutations += 1
            self._changes = {}
            n = max(1, round(fraction * max(1, ds.count("customers"))))
            summary = self._office_work(n)
            self._follow_the_dataset()
            self._day_of_activity(n, fraction)
            self.watermark = ds.current_version
        for name, changes in self._changes.items():
            created = sum(changes.values())
            summary[name] = {"created": created, "updated": len(changes) - created}
        return summary

    def _untouched(self, stream: str) -> Callable[[dict], bool]:
        """Records the dataset has not changed since the last mutation (counted once)."""
        ds = self.dataset
        fields = JOB_FIELDS if stream == "jobs" else INVOICE_FIELDS
        return lambda r: (
            r.keys() >= fields
            and r["active"]
            and ds.unchanged_since(stream, r["id"], self.watermark)
        )

    def _office_work(self, n: int) -> dict:
        """Changes to the dataset's jobs and invoices: business units and completion times
        corrected, adjustment invoices, partial payments. Counts per dataset stream."""
        ds, rng = self.dataset, self.rng
        next_ids = dict(ds.next_id)
        untouched = self._untouched("jobs")
        completed = pick(
            ds,
            rng,
            "jobs",
            3 * max(1, n // 20),
            lambda j: untouched(j) and j["jobStatus"] == "Completed" and j["completedOn"],
        )
        for job in completed[0::3]:
            others = [bu for bu in br.BUSINESS_UNITS if bu != job["businessUnitId"]]
            ds.change("jobs", job, businessUnitId=rng.choice(others))
        for job in completed[1::3]:
            moved = stamp_ms(job["completedOn"]) + rng.choice((-DAY_MS, 0, DAY_MS))
            moved = max(stamp_ms(job["createdOn"]), near_midnight(rng, moved))
            ds.change("jobs", job, completedOn=iso(moved))
        for job in completed[2::3]:
            self._adjustment(job)
        paying = self._untouched("invoices")
        for invoice in pick(ds, rng, "invoices", max(1, n // 10), paying):
            total, balance = br.cents(invoice["total"]), br.cents(invoice["balance"])
            if total > 0 and balance == total:
                ds.change("invoices", invoice, balance=money(total * rng.randint(30, 70) // 100))
        pending = ds.commit()
        return {
            stream: {
                "created": sum(1 for i in changes if i >= next_ids[stream]),
                "updated": sum(1 for i in changes if i < next_ids[stream]),
            }
            for stream, changes in pending.items()
        }

    def _adjustment(self, job: dict) -> None:
        ds = self.dataset
        original = ds.by_id["invoices"].get(job["invoiceId"])
        customer = ds.by_id["customers"].get(job["customerId"])
        location = ds.by_id["locations"].get(job["locationId"])
        if original is None or customer is None or location is None:
            return
        adjustment_invoice(
            ds.generator, self.rng, customer, location, job, original, ds.now_ms, ds.now_ms
        )

    def _changed(self, stream: str) -> list[dict]:
        page, _, _ = self.dataset.export_page(stream, after_version=self.watermark, limit=10**9)
        return page

    def _follow_the_dataset(self) -> None:
        """What the dataset's changes since the last mutation call for."""
        ds = self.dataset
        now = ds.now_ms
        appointments = ds.by_id["appointments"]
        for job in self._changed("jobs"):
            if not job.keys() >= JOB_FIELDS:
                continue
            is_new = job["id"] not in self.job_techs
            self._job_work(job, appointments)
            if is_new and self.rng.random() < 0.6:
                self._booked_call(job, stamp_ms(job["createdOn"]))
        for invoice in self._changed("invoices"):
            if not invoice.keys() >= INVOICE_FIELDS:
                continue
            if invoice["id"] not in self.itemized:
                self._invoice_items(invoice)
            self._invoice_payments(invoice, now)
        for customer in self._changed("customers"):
            if customer["id"] not in self.members_decided and customer.get("createdOn"):
                self._customer_activity(customer, now)

    def _day_of_activity(self, n: int, fraction: float) -> None:
        """Calls, membership status changes and sales, GL corrections, split changes, costs."""
        ds, rng = self.dataset, self.rng
        now = ds.now_ms
        customers = pick(ds, rng, "customers", max(1, n // 2))
        for customer in customers:
            self._lead_call(customer, now - int(rng.random() * 12 * 3_600_000))
        for membership in self._sample(MEMBERSHIPS, max(1, n // 10)):
            self._next_status(membership, now)
        for customer in customers[: max(1, n // 20)]:
            self._membership(customer, now, now)
        for item in self._sample(ITEMS, max(1, n // 20)):
            if item["generalLedgerAccount"] is not None:
                account = br.GL_BY_ID[rng.choice((*br.INCOME_ACCOUNTS, 8, 10))]
                self._change(ITEMS, item, generalLedgerAccount=br.gl_ref(account, rng))
        for split in self._sample(SPLITS, max(1, n // 40)):
            if split["active"]:
                self._change(SPLITS, split, active=False)
        self._costs_up_to(now, months=1)
        for cost in self._sample(COSTS, 1):
            self._emit(COSTS, dict(cost, dailyCost=round(cost["dailyCost"] * 1.1, 2)), 0)
        touched = max(1, round(fraction * len(LOOKUP_IDS[CAMPAIGNS])))
        for name, count in ((CAMPAIGNS, touched), (JOB_TYPES, 1), (GL_ACCOUNTS, 1)):
            for record in self._sample(name, count):
                self._change(name, record)

    def _sample(self, name: str, k: int) -> list[dict]:
        records = self.collections[name].records
        keys = list(records)  # insertion order: deterministic
        return [records[key] for key in self.rng.sample(keys, min(k, len(keys)))]

    def _next_status(self, membership: dict, now: int) -> None:
        """A status change of a membership; its ``status`` becomes the change's newStatus."""
        old = membership["status"]
        new = self.rng.choice([s for s in NEXT_STATUS.get(old, ("Active",)) if s]) or "Active"
        self._status_change(membership["id"], old, new, now, membership["soldById"])
        fields: dict = {"status": new}
        if new == "Canceled":
            fields["cancellationDate"] = iso(now)
        self._change(MEMBERSHIPS, membership, **fields)


def _named(record: dict | None) -> dict | None:
    return {"id": record["id"], "name": record["name"]} if record is not None else None


def _parts(rng: random.Random, total: int, count: int) -> list[int]:
    """``count`` positive amounts adding up to ``total`` (cents)."""
    if count == 1:
        return [total]
    weights = [rng.random() + 0.3 for _ in range(count)]
    scale = sum(weights)
    parts = [int(total * w / scale) for w in weights[:-1]]
    parts.append(total - sum(parts))
    return parts
