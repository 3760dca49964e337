"""Per-parent endpoints (``customers/{id}/notes`` ...): children generated per parent.

Nothing here knows about HTTP beyond building the answer of one request. A
parent's children are generated the first time they are asked for, from a
seed and the parent's id and ``createdOn`` only, so they are the same
whatever the order of requests. :meth:`Children.mutate` changes and adds
children the way a day of work would, without touching their parents'
``modifiedOn`` (a note added to an old customer does not change the
customer). Latency, the rate limit (429 with ``Retry-After``) and request
counters come from the server's fault wrappers and route table, as for
every endpoint.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from .dataset import DAY_MS, PAST_END_MS, Dataset, iso, parse_iso_ms

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
    pattern: str  # with {id} for the parent's id
    parent: str  # the dataset stream of the parents
    scope: str
    make: Maker
    most: int  # children per parent: 0 to ``most``
    modified_filter: bool = False  # takes modifiedOnOrAfter
    active_filter: bool = False  # takes active (True by default)


KINDS = (
    ChildKind("customer_notes", "crm", "customers/{id}/notes", "customers",
              "tn.crm.customers:r", _note, 3, modified_filter=True),
    ChildKind("location_notes", "crm", "locations/{id}/notes", "locations",
              "tn.crm.locations:r", _note, 2, modified_filter=True),
    ChildKind("job_canceled_log", "jpm", "jobs/{id}/canceled-log", "jobs",
              "tn.jpm.jobs:r", _canceled_log, 1),
    ChildKind("job_notes", "jpm", "jobs/{id}/notes", "jobs", "tn.jpm.jobs:r", _job_note, 2),
    ChildKind("job_splits", "payroll", "jobs/{id}/splits", "jobs", "tn.prl.jobs:r", _split, 2,
              modified_filter=True),
    ChildKind("job_timesheets", "payroll", "jobs/{id}/timesheets", "jobs", "tn.prl.jobs:r",
              _timesheet, 2, modified_filter=True, active_filter=True),
    ChildKind("invoice_tasks", "accounting", "invoices/{id}/tasks", "invoices",
              "tn.acc.invoices:r", _invoice_task, 1),
    ChildKind("technician_payrolls", "payroll", "technicians/{id}/payrolls", "technicians",
              "tn.prl.technicians:r", _payroll, 4, modified_filter=True, active_filter=True),
)  # fmt: skip

CHILD_SCOPES = frozenset(kind.scope for kind in KINDS)


class Children:
    """The children of every parent, generated on first use, changed by :meth:`mutate`."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self._lock = threading.Lock()
        self._by_parent: dict[tuple[str, int], list[dict]] = {}

    def of(self, kind: ChildKind, parent_id: int) -> list[dict]:
        """The children of one parent (none when the parent does not exist)."""
        with self._lock:
            return list(self._children(kind, parent_id))

    def _children(self, kind: ChildKind, parent_id: int) -> list[dict]:
        key = (kind.name, parent_id)
        children = self._by_parent.get(key)
        if children is None:
            parent = self.dataset.get(kind.parent, parent_id)
            children = self._generate(kind, parent) if parent is not None else []
            self._by_parent[key] = children
        return children

    def _generate(self, kind: ChildKind, parent: dict) -> list[dict]:
        rng = random.Random(f"{self.dataset.seed}:{kind.name}:{parent['id']}")
        created = parse_iso_ms(parent["createdOn"])
        latest = max(created, PAST_END_MS)
        out = []
        for n in range(rng.randint(0, kind.most)):
            ms = min(latest, created + int(rng.random() * 30 * DAY_MS))
            out.append(kind.make(rng, parent, parent["id"] * MAX_CHILDREN + n, ms))
        return out

    def mutate(self, fraction: float = 0.01, seed: int = 1) -> dict:
        """Change and add children of random parents, leaving the parents as they are."""
        ds = self.dataset
        summary = {}
        with ds.lock, self._lock:
            rng = random.Random(f"children:{ds.seed}:{seed}:{ds.mutations}")
            for kind in KINDS:
                ids = ds.sorted_ids[kind.parent]
                count = max(1, round(fraction * len(ids)))
                created = updated = 0
                for _ in range(count):
                    parent = ds.by_id[kind.parent][ids[int(rng.random() * len(ids))]]
                    children = self._children(kind, parent["id"])
                    ds.now_ms += 1000
                    if children and rng.random() < 0.5:
                        k = int(rng.random() * len(children))
                        children[k] = _changed(children[k], kind, rng, ds.now_ms)
                        updated += 1
                    elif len(children) < MAX_CHILDREN:  # children are never removed
                        cid = parent["id"] * MAX_CHILDREN + len(children)
                        children.append(kind.make(rng, parent, cid, ds.now_ms))
                        created += 1
                summary[kind.name] = {"created": created, "updated": updated}
            ds.now_ms += 60_000
        return summary

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


def _changed(child: dict, kind: ChildKind, rng: random.Random, ms: int) -> dict:
    """A new version of ``child``: edited (or deactivated) now."""
    new = dict(child)
    if "text" in new:
        new["text"] = f"{rng.choice(NOTE_TEXTS)} (edited)"
    elif "status" in new:
        new["status"] = "Paid" if new["status"] != "Paid" else "Approved"
    elif "memo" in new:
        new["memo"] = "Edited memo"
    if kind.active_filter and rng.random() < 0.3:
        new["active"] = False
    if "modifiedOn" in new:
        new["modifiedOn"] = iso(ms)
    return new
