"""Mutation over time: one simulated day of a live tenant between two syncs.

A day moves the clock a day on, then creates customers (with contacts,
locations, jobs, invoices), renames, moves, deactivates and merges customers,
edits and adds contacts, books and completes jobs, pays invoices, sells
estimates and changes a technician, each change at a slightly later moment.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .formats import DAY_MS, iso
from .pools import address, customer_name, phone
from .store import STREAMS, Changes, RecordStore

if TYPE_CHECKING:
    from .dataset import Dataset

OPEN_JOB_STATES = ("Scheduled", "Dispatched", "InProgress")


def pick(
    store: RecordStore,
    rng: random.Random,
    stream: str,
    k: int,
    cond: Callable[[dict], object] | None = None,
    tries: int = 4,
) -> list[dict]:
    """Up to ``k`` distinct random records of ``stream`` meeting ``cond``."""
    ids = store.sorted_ids[stream]
    if not ids:
        return []
    out: dict[int, dict] = {}
    for _ in range(k * tries):
        if len(out) >= k:
            break
        rid = ids[int(rng.random() * len(ids))]
        rec = store.by_id[stream][rid]
        if rid not in out and (cond is None or cond(rec)):
            out[rid] = rec
    return list(out.values())


def _active(record: dict) -> object:
    return record["active"]


def mutate(ds: Dataset, fraction: float, seed: int) -> dict:
    """One day of changes to about ``fraction`` of the customers; created/updated per stream."""
    with ds.lock:
        rng = random.Random(f"{ds.seed}:{seed}:{ds.mutations}")
        ds.mutations += 1
        ds.clock.next_day(rng)
        next_ids = dict(ds.next_id)
        day = Day(ds, rng, max(1, round(fraction * max(1, ds.count("customers")))))
        day.new_customers()
        day.change_customers()
        day.change_contacts()
        day.move_locations()
        day.book_jobs()
        day.complete_jobs()
        day.add_appointments()
        day.pay_invoices()
        day.decide_estimates()
        day.change_a_technician()
        summary = counts(ds.commit(), next_ids)
        ds.clock.now_ms += 60_000
        return summary


def counts(changes: Changes, next_ids: dict[str, int]) -> dict[str, dict[str, int]]:
    """Created and updated records per stream (ids from ``next_ids`` on are new)."""
    summary = {}
    for s in STREAMS:
        changed = set(changes.get(s, {}))
        created = {i for i in changed if i >= next_ids[s]}
        summary[s] = {"created": len(created), "updated": len(changed - created)}
    return summary


@dataclass
class Day:
    """The changes of one mutation; ``n`` sizes them (a share of the customers)."""

    ds: Dataset
    rng: random.Random
    n: int

    def pick(self, stream: str, k: int, cond: Callable[[dict], object] | None = None) -> list:
        return pick(self.ds, self.rng, stream, k, cond)

    def change(self, stream: str, old: dict, **fields: object) -> dict:
        """A change a moment (sometimes) after the last one."""
        self.ds.clock.tick(self.rng)
        return self.ds.change(stream, old, **fields)

    def new_customers(self) -> None:
        """New customers with contacts, a location, jobs, invoices."""
        ds, rng = self.ds, self.rng
        for _ in range(max(1, self.n // 4)):
            stamp = ds.clock.tick(rng)
            ds.generator.customer_tree(
                rng, ds.sorted_ids["customers"], None, stamp, stamp, stamp=stamp
            )

    def change_customers(self) -> None:
        """Renamed, moved, mailing changed; deactivated; merged into another customer."""
        rng, n = self.rng, self.n
        for c in self.pick("customers", max(1, n // 2), _active):
            what = rng.random()
            if what < 0.4:
                self.change("customers", c, name=customer_name(rng, c["type"]) or "Renamed")
            elif what < 0.7:
                self.change("customers", c, address=address(rng))
            else:
                self.change("customers", c, doNotMail=not c["doNotMail"])
        for c in self.pick("customers", max(1, n // 10), _active):
            self.change("customers", c, active=False)
        actives = self.pick("customers", 8, _active)
        for c in self.pick("customers", max(1, n // 20), _active):
            target = next((a for a in actives if a["id"] != c["id"]), None)
            if target is not None:
                self.change("customers", c, active=False, mergedToId=target["id"])

    def change_contacts(self) -> None:
        """Contacts edited, deactivated and added without touching their parent."""
        ds, rng, n = self.ds, self.rng, self.n
        for stream, pf, pstream in (
            ("customer_contacts", "customerId", "customers"),
            ("location_contacts", "locationId", "locations"),
        ):
            for c in self.pick(stream, max(1, n // 2), _active):
                if c["type"] == "Email":
                    self.change(stream, c, value=f"changed.{rng.randint(1, 10**6)}@example.com")
                else:
                    v = phone(rng)
                    settings = {"phoneNumber": v, "doNotText": False}
                    self.change(stream, c, value=v, phoneSettings=settings)
            for c in self.pick(stream, max(1, n // 4), _active):
                self.change(stream, c, active=False)
            for p in self.pick(pstream, max(1, n // 4)):
                ds.clock.tick(rng)
                ds.generator.contact(rng, stream, pf, p["id"], ds.now_ms)

    def move_locations(self) -> None:
        for loc in self.pick("locations", max(1, self.n // 8), _active):
            self.change("locations", loc, address=address(self.rng))

    def book_jobs(self) -> None:
        """New jobs on existing customers that have locations."""
        ds, rng = self.ds, self.rng
        located = ds.children["locations"]
        for c in self.pick(
            "customers", max(1, self.n // 2), lambda r: r["active"] and located.get(r["id"])
        ):
            location = ds.by_id["locations"][located[c["id"]][0]]
            stamp = ds.clock.tick(rng)
            ds.generator.job(rng, c, location, stamp, stamp, stamp)

    def complete_jobs(self) -> None:
        """Open jobs completed, their last appointment done."""
        ds = self.ds
        for j in self.pick("jobs", max(1, self.n // 2), _open_job):
            now = ds.clock.tick(self.rng)
            self.change("jobs", j, jobStatus="Completed", completedOn=iso(now))
            a = ds.by_id["appointments"].get(j["lastAppointmentId"])
            if a is not None:
                self.change("appointments", a, status="Done")

    def add_appointments(self) -> None:
        """Another visit for open jobs, a day from now."""
        ds = self.ds
        for j in self.pick("jobs", max(1, self.n // 4), _open_job):
            now = ds.clock.tick(self.rng)
            aid = ds.new_id("appointments")
            start = now + DAY_MS
            ds.change(
                "appointments",
                ds.by_id["appointments"][j["firstAppointmentId"]],
                id=aid,
                appointmentNumber=f"{j['jobNumber']}-x",
                start=iso(start),
                end=iso(start + 7_200_000),
                status="Scheduled",
                createdOn=iso(now),
                active=True,
            )
            count = j["appointmentCount"] + 1
            self.change("jobs", j, appointmentCount=count, lastAppointmentId=aid)

    def pay_invoices(self) -> None:
        for inv in self.pick("invoices", max(1, self.n // 2), _owing):
            now = self.ds.clock.tick(self.rng)
            self.change("invoices", inv, balance="0.00", paidOn=iso(now))

    def decide_estimates(self) -> None:
        """Estimates sold (mostly) or dismissed."""
        ds, rng = self.ds, self.rng
        for e in self.pick("estimates", max(1, self.n // 4), _active):
            if rng.random() < 0.8:
                sold = {"value": 1, "name": "Sold"}
                seller = ds.generator.tech_ids[0]
                self.change("estimates", e, status=sold, soldOn=iso(ds.now_ms), soldBy=seller)
            else:
                self.change("estimates", e, active=False)

    def change_a_technician(self) -> None:
        rng = self.rng
        for t in self.pick("technicians", 1):
            status = rng.choice(["Idle", "Dispatched", "Working", "Meal"])
            self.change("technicians", t, status=status, hourlyRate=round(t["hourlyRate"] + 1.5, 2))


def _open_job(record: dict) -> bool:
    return record["active"] and record["jobStatus"] in OPEN_JOB_STATES


def _owing(record: dict) -> bool:
    balance = record["balance"]
    return record["active"] and balance not in ("0", "0.00") and not balance.startswith("-")
