"""In-memory state of one sandbox tenant: records, change versions, a simulated clock.

Nothing here knows about HTTP. The server translates requests into calls on a
:class:`Dataset`; tests can call it directly (``records``, ``ids``, ``update``,
``add``, ``mutate``).

Every record carries an internal change version (a counter shared by the whole
dataset, bumped on each change). Per stream the records are kept in version
order in three parallel lists (versions, modifiedOn in ms, records) so an
export page is a ``bisect`` plus a slice. The simulated clock only moves
forward, so within a stream ``modifiedOn`` is non-decreasing in version order
and a ``from=<date>`` request is a ``bisect`` too (unless a test hook wrote an
older ``modifiedOn``; then that stream falls back to a scan).
"""

from __future__ import annotations

import gc
import random
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import datetime, timezone

from .credentials import TENANT_ID

STREAMS = (
    "customers",
    "customer_contacts",
    "locations",
    "location_contacts",
    "jobs",
    "appointments",
    "invoices",
    "estimates",
    "technicians",
)

ID_BASE = {
    "customers": 10_000_000,
    "locations": 20_000_000,
    "customer_contacts": 30_000_000,
    "location_contacts": 40_000_000,
    "jobs": 50_000_000,
    "appointments": 60_000_000,
    "invoices": 70_000_000,
    "estimates": 80_000_000,
    "technicians": 90_000_000,
}

# parent field used by the per-parent indexes
PARENT_FIELD = {
    "customer_contacts": "customerId",
    "locations": "customerId",
    "location_contacts": "locationId",
    "jobs": "customerId",
    "appointments": "jobId",
}

DAY_MS = 86_400_000
PAST_START_MS = int(datetime(2019, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)
PAST_END_MS = int(datetime(2025, 6, 1, tzinfo=timezone.utc).timestamp() * 1000)

_day_cache: dict[int, str] = {}
#: ``HH:MM:SS`` of every second of a day (formatting a stamp is then a lookup)
CLOCK = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)]
#: the second of the day of each ``HH:MM:SS``
SECOND_OF = {text: s for s, text in enumerate(CLOCK)}


def iso(ms: int) -> str:
    """Format epoch milliseconds like ServiceTitan: ``2024-03-05T14:07:09.123Z`` or ``...09Z``."""
    day, rem = divmod(ms, DAY_MS)
    d = _day_cache.get(day)
    if d is None:
        d = datetime.fromtimestamp(day * 86400, tz=timezone.utc).strftime("%Y-%m-%dT")
        _day_cache[day] = d
    sec, milli = divmod(rem, 1000)
    if milli:
        return f"{d}{CLOCK[sec]}.{milli:03d}Z"
    return f"{d}{CLOCK[sec]}Z"


def parse_iso_ms(value: str) -> int:
    """Parse a date or date-time (``Z``/offset/naive=UTC) into epoch milliseconds."""
    v = value.strip()
    if v.endswith(("Z", "z")):
        v = v[:-1] + "+00:00"
    dt = datetime.fromisoformat(v)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    c = abs(cents)
    return f"{sign}{c // 100}.{c % 100:02d}"


#: Offsets from a UTC midnight whose local date differs from the UTC one somewhere:
#: 23:30 the day before, 00:30, and 04:30-07:30 (local midnight in US time zones).
MIDNIGHT_OFFSETS_MS = tuple(m * 60_000 for m in (-30, 30, 270, 330, 390, 450))


def near_midnight(rng: random.Random, ms: int) -> int:
    """An instant on ``ms``'s UTC day that a time zone moves to another date."""
    return ms - ms % DAY_MS + rng.choice(MIDNIGHT_OFFSETS_MS)


# --------------------------------------------------------------------------- pools

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


def _phone(rng: random.Random) -> str:
    a = rng.randint(201, 989)
    b = rng.randint(200, 999)
    c = rng.randint(0, 9999)
    return rng.choice(PHONE_FORMATS).format(a=a, b=b, c=f"{c:04d}")


def _addr(rng: random.Random, lat_null: bool = False) -> dict:
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


def _prefs(rng: random.Random) -> dict | None:
    if rng.random() < 0.3:
        return None
    return {
        "jobRemindersEnabled": rng.random() < 0.8,
        "marketingUpdatesEnabled": rng.random() < 0.4,
        "invoiceStatementNotification": rng.random() < 0.5,
        "invoiceNotification": rng.random() < 0.6,
        "statementNotification": rng.random() < 0.3,
    }


class Dataset:
    """All records of one tenant, generated deterministically from ``seed``."""

    def __init__(self, customers: int = 1000, seed: int = 42, tenant_id: int = TENANT_ID):
        self.customers_count = int(customers)
        self.seed = int(seed)
        self.tenant_id = int(tenant_id)
        self.lock = threading.RLock()
        self._version = 0
        self.now_ms = PAST_END_MS
        self.mutations = 0
        self.by_id: dict[str, dict[int, dict]] = {s: {} for s in STREAMS}
        self.sorted_ids: dict[str, list[int]] = {s: [] for s in STREAMS}
        self.children: dict[str, dict[int, list[int]]] = {s: {} for s in PARENT_FIELD}
        self.job_invoices: dict[int, list[int]] = {}
        self.job_estimates: dict[int, list[int]] = {}
        self._next_id = {s: ID_BASE[s] + 1 for s in STREAMS}
        # export structures: parallel lists in version order
        self._vl: dict[str, list[int]] = {}
        self._tl: dict[str, list[int]] = {}
        self._rl: dict[str, list[dict]] = {}
        self._ver: dict[str, dict[int, int]] = {s: {} for s in STREAMS}
        self._mono: dict[str, bool] = dict.fromkeys(STREAMS, True)
        self.generation: dict[str, int] = dict.fromkeys(STREAMS, 0)
        self._pending: dict[str, dict[int, tuple[int, int, dict]]] | None = None
        self._list_cache: dict[tuple[str, str], tuple[int, list[dict]]] = {}
        self._staged: dict[str, list[tuple[int, dict]]] | None = None
        was_enabled = gc.isenabled()
        gc.disable()  # millions of small dicts: the cyclic GC would rescan them over and over
        try:
            self._generate()
        finally:
            if was_enabled:
                gc.enable()

    # ------------------------------------------------------------------ read API

    def records(self, stream: str) -> list[dict]:
        """Current records of ``stream`` (as the export feed sends them), by id."""
        with self.lock:
            d = self.by_id[stream]
            return [d[i] for i in self.sorted_ids[stream]]

    def ids(self, stream: str) -> set[int]:
        with self.lock:
            return set(self.by_id[stream])

    def get(self, stream: str, rid: int) -> dict | None:
        return self.by_id[stream].get(rid)

    def count(self, stream: str) -> int:
        return len(self.by_id[stream])

    def total_records(self) -> int:
        return sum(len(v) for v in self.by_id.values())

    def version_of(self, stream: str, rid: int) -> int:
        return self._ver[stream][rid]

    def unchanged_since(self, stream: str, rid: int, version: int) -> bool:
        """Whether the record's last change was committed at or before ``version``
        (False for a record whose first version is still being written)."""
        committed = self._ver[stream].get(rid)
        return committed is not None and committed <= version

    @property
    def current_version(self) -> int:
        return self._version

    def export_page(
        self,
        stream: str,
        after_version: int | None = None,
        since_ms: int | None = None,
        limit: int = 500,
    ) -> tuple[list[dict], bool, int]:
        """One export page: ``(records, has_more, resume_version)``.

        ``after_version``: records with a greater version; ``since_ms``: records
        whose modifiedOn >= it; neither: from the beginning.
        """
        with self.lock:
            vl = self._vl[stream]
            rl = self._rl[stream]
            if since_ms is not None:
                tl = self._tl[stream]
                if not self._mono[stream]:
                    # a test hook wrote an older modifiedOn: scan (rare)
                    sel = [k for k in range(len(tl)) if tl[k] >= since_ms]
                    page = [rl[k] for k in sel[:limit]]
                    has_more = len(sel) > limit
                    resume = vl[sel[len(page) - 1]] if page else self._version
                    return page, has_more, resume
                i = bisect_left(tl, since_ms)
                base = vl[i - 1] if i > 0 else 0
            elif after_version is not None:
                i = bisect_right(vl, after_version)
                base = after_version
            else:
                i = 0
                base = 0
            j = i + limit
            page = rl[i:j]
            n = len(vl)
            has_more = j < n
            # an empty page means everything of this stream up to now has been seen
            resume = vl[i + len(page) - 1] if page else max(base, self._version)
            return page, has_more, resume

    def list_view(self, stream: str, active: str = "True") -> list[dict]:
        """Records sorted by id, filtered by ``active`` (True/False/Any); cached per change."""
        key = (stream, active)
        with self.lock:
            gen = self.generation[stream]
            hit = self._list_cache.get(key)
            if hit is not None and hit[0] == gen:
                return hit[1]
            d = self.by_id[stream]
            recs = [d[i] for i in self.sorted_ids[stream]]
            if active == "True":
                recs = [r for r in recs if r.get("active", True)]
            elif active == "False":
                recs = [r for r in recs if not r.get("active", True)]
            self._list_cache[key] = (gen, recs)
            return recs

    def children_of(self, stream: str, parent_id: int) -> list[int]:
        return self.children[stream].get(parent_id, [])

    # ------------------------------------------------------------------ write API

    def update(self, stream: str, rid: int, **fields: object) -> dict:
        """Change fields of a record; bumps its version and modifiedOn. Returns the new record."""
        with self.lock:
            old = self.by_id[stream][rid]
            self.now_ms += 1000  # each hook call is a distinct, later moment
            rec = dict(old)
            rec.update(fields)
            self._put(stream, rec, keep_modified="modifiedOn" in fields)
            self._commit()
            return rec

    def add(self, stream: str, record: dict) -> dict:
        """Add a record (an ``id`` is assigned when missing); versioned like a change."""
        with self.lock:
            self.now_ms += 1000
            rec = dict(record)
            if rec.get("id") is None:
                rec["id"] = self._new_id(stream)
            else:
                self._next_id[stream] = max(self._next_id[stream], int(rec["id"]) + 1)
            if "createdOn" not in rec:
                rec["createdOn"] = iso(self.now_ms)
            self._put(stream, rec, keep_modified="modifiedOn" in rec)
            self._commit()
            return rec

    def delete(self, stream: str, rid: int) -> dict:
        """Deactivate a record the way ServiceTitan reports deletions (``active: false``)."""
        return self.update(stream, rid, active=False)

    # ------------------------------------------------------------------ internals

    def _new_id(self, stream: str) -> int:
        i = self._next_id[stream]
        self._next_id[stream] = i + 1
        return i

    def _index(self, stream: str, rec: dict, is_new: bool, bulk: bool = False) -> None:
        rid = rec["id"]
        if is_new:
            ids = self.sorted_ids[stream]
            if bulk or not ids or ids[-1] < rid:
                ids.append(rid)
            else:
                ids.insert(bisect_left(ids, rid), rid)
            pf = PARENT_FIELD.get(stream)
            if pf is not None:
                pid = rec.get(pf)
                if pid is not None:
                    self.children[stream].setdefault(pid, []).append(rid)
            if stream == "invoices" and rec.get("job"):
                self.job_invoices.setdefault(rec["job"]["id"], []).append(rid)
            if stream == "estimates" and rec.get("jobId") is not None:
                self.job_estimates.setdefault(rec["jobId"], []).append(rid)
        self.by_id[stream][rid] = rec

    def _put(self, stream: str, rec: dict, keep_modified: bool = False) -> None:
        """Stage a new/changed record (new version, modifiedOn = simulated now)."""
        self._version += 1
        v = self._version
        if keep_modified and rec.get("modifiedOn"):
            ms = parse_iso_ms(rec["modifiedOn"])
        else:
            ms = self.now_ms
            rec["modifiedOn"] = iso(ms)
        rid = rec["id"]
        is_new = rid not in self.by_id[stream]
        self._index(stream, rec, is_new)
        if self._pending is None:
            self._pending = {}
        self._pending.setdefault(stream, {})[rid] = (v, ms, rec)

    def _commit(self) -> None:
        pending = self._pending or {}
        self._pending = None
        for stream, changes in pending.items():
            vl, tl, rl = self._vl[stream], self._tl[stream], self._rl[stream]
            ver = self._ver[stream]
            if len(changes) <= 32:
                for rid in changes:
                    old_v = ver.get(rid)
                    if old_v is not None:
                        k = bisect_left(vl, old_v)
                        del vl[k], tl[k], rl[k]
            else:
                keep = [k for k, r in enumerate(rl) if r["id"] not in changes]
                vl = [vl[k] for k in keep]
                tl = [tl[k] for k in keep]
                rl = [rl[k] for k in keep]
            for rid, (v, ms, rec) in sorted(changes.items(), key=lambda kv: kv[1][0]):
                if tl and ms < tl[-1]:
                    self._mono[stream] = False
                vl.append(v)
                tl.append(ms)
                rl.append(rec)
                ver[rid] = v
            self._vl[stream], self._tl[stream], self._rl[stream] = vl, tl, rl
            self.generation[stream] += 1

    # ------------------------------------------------------------------ generation

    def _ts(self, lo: int, hi: int) -> int:
        rng = self._rng
        if hi <= lo:
            return lo
        ms = lo + int(rng.random() * (hi - lo))
        if rng.random() < 0.3:
            ms -= ms % 1000
        return ms

    def _mod(self, created: int) -> int:
        """A modifiedOn for a record created at ``created``: often shared bulk stamps."""
        rng = self._rng
        x = rng.random()
        if x < 0.2:
            stamp = self._bulk_stamps[int(rng.random() * len(self._bulk_stamps))]
            if stamp >= created:
                return stamp
        if x < 0.45:
            return created
        return self._ts(created, PAST_END_MS)

    def _generate(self) -> None:
        self._rng = rng = random.Random(self.seed)
        self._bulk_stamps = sorted(
            (PAST_END_MS - rng.randint(1, 400) * DAY_MS) // 1000 * 1000 for _ in range(12)
        )
        staged: dict[str, list[tuple[int, dict]]] = {s: [] for s in STREAMS}
        self._staged = staged
        n_tech = max(5, self.customers_count // 100)
        techs = []
        for _ in range(n_tech):
            techs.append(self._gen_technician(rng))
        self._tech_ids = [t["id"] for t in techs]
        cust_ids: list[int] = []
        all_jobs: list[dict] = []
        all_appts: list[int] = []
        for _ in range(self.customers_count):
            cust = self._gen_customer_tree(
                rng, cust_ids, all_jobs, all_appts, PAST_START_MS, PAST_END_MS - DAY_MS
            )
            cust_ids.append(cust["id"])
        # technicians reference jobs/appointments
        for t in techs:
            if all_jobs and rng.random() < 0.5:
                j = all_jobs[int(rng.random() * len(all_jobs))]
                t["jobId"] = j["id"]
                t["appoitmentId"] = j["lastAppointmentId"]
            self._stage("technicians", t, t.pop("_ms"))
        # assign versions per stream in modifiedOn order
        for stream in STREAMS:
            items = staged[stream]
            items.sort(key=lambda it: (it[0], it[1]["id"]))
            vl, tl, rl = [], [], []
            ver = self._ver[stream]
            v = self._version
            for ms, rec in items:
                v += 1
                vl.append(v)
                tl.append(ms)
                rl.append(rec)
                ver[rec["id"]] = v
                self._index(stream, rec, True, bulk=True)
            self._version = v
            self._vl[stream], self._tl[stream], self._rl[stream] = vl, tl, rl
            self.sorted_ids[stream].sort()
        self._staged = None

    def _stage(self, stream: str, rec: dict, mod_ms: int) -> None:
        rec["modifiedOn"] = iso(mod_ms)
        if self._staged is not None:
            self._staged[stream].append((mod_ms, rec))
        else:
            self._put(stream, rec, keep_modified=True)

    def _gen_technician(self, rng: random.Random) -> dict:
        tid = self._new_id("technicians")
        first = rng.choice(FIRST)
        last = rng.choice(LAST)
        created = self._ts(PAST_START_MS - 400 * DAY_MS, PAST_END_MS - 200 * DAY_MS)
        mod = self._mod(created)
        active = rng.random() > 0.1
        login = f"{first[:1]}{last}".lower().replace(" ", "").replace("'", "")
        return {
            "id": tid,
            "userId": tid + 500_000,
            "name": f"{first} {last}",
            "roleIds": [rng.randint(1, 9)] if rng.random() < 0.8 else None,
            "businessUnitId": rng.randint(101, 110) if rng.random() < 0.9 else None,
            "mainZoneId": rng.randint(1, 20) if rng.random() < 0.7 else None,
            "zoneIds": [rng.randint(1, 20) for _ in range(rng.randint(0, 3))],
            "createdOn": iso(created),
            "modifiedOn": "",
            "email": f"{login}@example.com" if rng.random() < 0.8 else None,
            "phoneNumber": _phone(rng) if rng.random() < 0.8 else None,
            "loginName": login if rng.random() < 0.9 else None,
            "home": None
            if rng.random() < 0.3
            else {
                "street": f"{rng.randint(1, 999)} {rng.choice(STREETS)}",
                "unit": None,
                "country": "USA",
                "city": rng.choice(CITIES)[0],
                "state": "CA",
                "zip": f"9{rng.randint(0, 9999):04d}",
                "streetAddress": None,
                "latitude": None,
                "longitude": None,
            },
            "dailyGoal": round(rng.random() * 3000, 2),
            "isManagedTech": rng.random() < 0.9,
            "licenseType": rng.choice(["ManagedTech", "NonManagedTech", "ManagedInstaller", None]),
            "customFields": [],
            "active": active,
            "aadUserId": None,
            "burdenRate": round(rng.random() * 40, 2),
            "team": rng.choice([None, "Blue", "Red", "Install"]),
            "jobFilter": rng.choice([None, "AllScheduledDispatchedWorking", "DispatchedWorking"]),
            "permissions": [],
            "accountLocked": rng.random() < 0.05,
            "commissionRate": round(rng.random() * 0.2, 2),
            "currentValue": None,
            "firstName": first,
            "lastName": last,
            "hourlyRate": round(18 + rng.random() * 40, 2),
            "jobId": None,
            "mobilePhone": _phone(rng) if rng.random() < 0.5 else None,
            "outboundCallerId": None,
            "payrollId": f"P{tid % 100000:05d}" if rng.random() < 0.5 else None,
            "payrollProfileId": None,
            "appoitmentId": None,
            "shiftStart": "08:00:00" if rng.random() < 0.7 else None,
            "shiftEnd": "17:00:00" if rng.random() < 0.7 else None,
            "soldByRate": round(rng.random() * 0.1, 2),
            "startDate": iso(created) if rng.random() < 0.8 else None,
            "status": rng.choice(["Idle", "Dispatched", "Working", "Meal"]),
            "skills": [],
            "positions": rng.sample(TECH_POSITIONS, rng.randint(0, 2)),
            "location": None,
            "bio": None,
            "memo": None,
            "_ms": mod,
        }

    def _gen_contact(
        self,
        rng: random.Random,
        stream: str,
        parent_field: str,
        parent_id: int,
        created_lo: int,
        active: bool = True,
    ) -> dict:
        cid = self._new_id(stream)
        x = rng.random()
        if x < 0.45:
            ctype = "Phone"
        elif x < 0.7:
            ctype = "MobilePhone"
        elif x < 0.95:
            ctype = "Email"
        else:
            ctype = "Fax"
        if ctype == "Email":
            value = (
                (f"{rng.choice(FIRST)}.{rng.randint(1, 9999)}@{rng.choice(EMAIL_DOMAINS)}")
                .lower()
                .replace(" ", "")
            )
            if rng.random() < 0.05:
                value = value.upper()
            phone_settings = {"phoneNumber": "", "doNotText": True}
        else:
            value = _phone(rng)
            phone_settings = {"phoneNumber": value, "doNotText": rng.random() < 0.2}
        created = self._ts(created_lo, PAST_END_MS - DAY_MS)
        rec = {
            "id": cid,
            "type": ctype,
            "value": value,
            "memo": rng.choice(MEMOS),
            "phoneSettings": phone_settings,
            "modifiedOn": "",
            "createdOn": iso(created),
            "preferences": _prefs(rng),
            parent_field: parent_id,
            "active": active if rng.random() > 0.06 else False,
        }
        self._stage(stream, rec, self._mod(created))
        return rec

    def _customer_name(self, rng: random.Random, ctype: str) -> str:
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

    def _gen_customer_tree(
        self,
        rng: random.Random,
        prior_ids: list[int],
        all_jobs: list[dict] | None,
        all_appts: list[int] | None,
        lo: int,
        hi: int,
        stamp: int | None = None,
    ) -> dict:
        """A customer with contacts, locations (+contacts), jobs, appointments, invoices,
        estimates. ``stamp`` (mutations): every record created and modified at it."""
        cid = self._new_id("customers")
        ctype = "Commercial" if rng.random() < 0.2 else "Residential"
        created = stamp if stamp is not None else self._ts(lo, hi)
        x = rng.random()
        active = True
        merged_to = None
        if stamp is None:
            if x < 0.015 and prior_ids:
                active = False
                merged_to = prior_ids[int(rng.random() * len(prior_ids))]
            elif x < 0.07:
                active = False
        addr = _addr(rng, lat_null=rng.random() < 0.3)
        credit = round(rng.random() * 5000, 2) if rng.random() < 0.1 else None
        cust = {
            "id": cid,
            "active": active,
            "name": self._customer_name(rng, ctype),
            "type": ctype,
            "address": addr,
            "customFields": (
                [
                    {
                        "typeId": 1,
                        "name": "Referral",
                        "value": rng.choice(["Yelp", "Google", "Neighbor", None]),
                    }
                ]
                if rng.random() < 0.2
                else []
            ),
            "balance": round(rng.random() * 800, 2) if rng.random() < 0.25 else 0.0,
            "taxExempt": rng.random() < 0.05,
            "tagTypeIds": [rng.randint(1, 30)] if rng.random() < 0.2 else [],
            "doNotMail": rng.random() < 0.1,
            "doNotService": rng.random() < 0.02,
            "nationalAccount": ctype == "Commercial" and rng.random() < 0.1,
            "createdOn": iso(created),
            "createdById": self._tech_ids[int(rng.random() * len(self._tech_ids))],
            "modifiedOn": "",
            "mergedToId": merged_to,
            "paymentTermId": rng.randint(1, 5) if rng.random() < 0.3 else None,
            "creditLimit": credit,
            "creditLimitBalance": round(credit * rng.random(), 2) if credit else None,
            "externalData": (
                [{"key": "legacyId", "value": str(rng.randint(1, 10**6))}]
                if rng.random() < 0.1
                else []
            ),
        }
        self._stage("customers", cust, stamp if stamp is not None else self._mod(created))
        # customer contacts: 0-3; some customers only have inactive ones
        n_cc = 1 + int(rng.random() * 2.5) if stamp is not None else int(rng.random() * 4)
        only_inactive = stamp is None and rng.random() < 0.05
        for _ in range(n_cc):
            self._gen_contact(
                rng, "customer_contacts", "customerId", cid, created, active=not only_inactive
            )
        # locations: ~8% none, else 1-2
        if stamp is not None:
            n_loc = 1
        else:
            y = rng.random()
            n_loc = 0 if y < 0.08 else (1 if y < 0.82 else 2)
        locs = []
        for k in range(n_loc):
            lid = self._new_id("locations")
            lcreated = created if (k == 0 or stamp is not None) else self._ts(created, hi)
            laddr = dict(addr) if (k == 0 and rng.random() < 0.7) else _addr(rng)
            loc = {
                "taxZoneId": rng.randint(1, 9) if rng.random() < 0.3 else None,
                "id": lid,
                "customerId": cid,
                "active": (stamp is not None or rng.random() > 0.05) and (active or k > 0),
                "name": (
                    rng.choice(
                        [
                            "Primary",
                            "Home",
                            "Office",
                            "Rental - 2nd St",
                            "Warehouse #2",
                            "",
                            "Zoë's flat",
                        ]
                    )
                    if rng.random() < 0.6
                    else (cust["name"] or "Primary")
                ),
                "address": laddr,
                "customFields": [],
                "createdOn": iso(lcreated),
                "createdById": cust["createdById"],
                "modifiedOn": "",
                "mergedToId": None,
                "zoneId": rng.randint(1, 20) if rng.random() < 0.6 else None,
                "taxExempt": cust["taxExempt"],
                "tagTypeIds": [],
                "externalData": [],
            }
            self._stage("locations", loc, stamp if stamp is not None else self._mod(lcreated))
            locs.append(loc)
            n_lc = 1 if stamp is not None else int(rng.random() * 3)
            for _ in range(n_lc):
                self._gen_contact(rng, "location_contacts", "locationId", lid, lcreated)
        # jobs (only for customers with locations)
        if locs:
            n_jobs = (1 + int(rng.random() * 2)) if stamp is not None else int(rng.random() * 7)
            for _ in range(n_jobs):
                loc = locs[int(rng.random() * len(locs))]
                job = self._gen_job(rng, cust, loc, created, hi, stamp)
                if all_jobs is not None:
                    all_jobs.append(job)
        # ~10% invoices without a job
        if stamp is None and rng.random() < 0.1:
            self._gen_invoice(
                rng,
                cust,
                locs[0] if locs else None,
                None,
                self._ts(created, hi),
                stamp,
                configuration=rng.choice(NON_JOB_CONFIGURATIONS),
            )
        return cust

    def _gen_job(
        self, rng: random.Random, cust: dict, loc: dict, lo: int, hi: int, stamp: int | None
    ) -> dict:
        jid = self._new_id("jobs")
        created = stamp if stamp is not None else self._ts(lo, hi)
        if stamp is not None:
            status = "Scheduled"
        else:
            status = rng.choices(JOB_STATUSES, JOB_STATUS_WEIGHTS)[0]
        techs = self._tech_ids
        n_appt = 1 if rng.random() < 0.6 else 2
        appt_ids = []
        start = created + int(rng.random() * 5 * DAY_MS)
        completed = None
        last_ms = created
        job_active = stamp is not None or rng.random() > 0.03
        for k in range(n_appt):
            aid = self._new_id("appointments")
            a_start = start + k * (DAY_MS + int(rng.random() * 3 * DAY_MS))
            a_start -= a_start % (15 * 60_000)
            a_end = a_start + 3_600_000 * (1 + int(rng.random() * 4))
            if k < n_appt - 1:
                astatus = "Done" if status not in ("Canceled",) else "Canceled"
            else:
                astatus = APPT_OPEN[status]
            last_ms = max(last_ms, a_end)
            window = rng.random() < 0.7
            appt = {
                "appointmentSummaries": None,
                "id": aid,
                "jobId": jid,
                "appointmentNumber": f"{jid - ID_BASE['jobs']}-{k + 1}",
                "start": iso(a_start),
                "end": iso(a_end),
                "arrivalWindowStart": iso(a_start) if window else None,
                "arrivalWindowEnd": iso(a_start + 7_200_000) if window else None,
                "status": astatus,
                "specialInstructions": rng.choice(
                    [None, None, "", "Gate code 1234#", "Dog in yard — call first"]
                ),
                "createdOn": iso(created),
                "modifiedOn": "",
                "customerId": cust["id"],
                "unused": rng.random() < 0.02,
                "createdById": techs[int(rng.random() * len(techs))],
                "isConfirmed": rng.random() < 0.6,
                "active": job_active and rng.random() > 0.02,
            }
            amod = stamp if stamp is not None else self._mod(created)
            self._stage("appointments", appt, amod)
            appt_ids.append(aid)
        if status == "Completed":
            completed = min(last_ms, PAST_END_MS - 1000)
            if rng.random() < 0.1:
                completed = max(created, min(near_midnight(rng, completed), PAST_END_MS - 1000))
        # estimates 0-2
        n_est = 0 if stamp is not None else int(rng.random() * 3)
        est_ids = []
        for _ in range(n_est):
            est_ids.append(self._gen_estimate(rng, cust, loc, jid, created, hi)["id"])
        sub_cents = int(rng.random() * 250_000) if rng.random() > 0.05 else 0
        job = {
            "summary": rng.choice(SUMMARIES),
            "customFields": [],
            "externalData": [],
            "summaryOfWork": rng.choice([None, "", "Replaced capacitor", "Inspected unit"]),
            "id": jid,
            "jobNumber": str(jid - ID_BASE["jobs"] + 10000),
            "projectId": rng.randint(1, 500) if rng.random() < 0.05 else None,
            "customerId": cust["id"],
            "locationId": loc["id"],
            "jobStatus": status,
            "completedOn": iso(completed) if completed is not None else None,
            "businessUnitId": rng.randint(101, 110),
            "jobTypeId": rng.randint(1, 25),
            "priority": rng.choice(PRIORITIES),
            "campaignId": rng.randint(1, 40),
            "appointmentCount": n_appt,
            "firstAppointmentId": appt_ids[0],
            "lastAppointmentId": appt_ids[-1],
            "recallForId": None,
            "warrantyId": None,
            "jobGeneratedLeadSource": (
                None
                if rng.random() < 0.5
                else {"jobId": None, "employeeId": techs[int(rng.random() * len(techs))]}
            ),
            "noCharge": sub_cents == 0 or rng.random() < 0.03,
            "notificationsEnabled": rng.random() < 0.8,
            "createdOn": iso(created),
            "createdById": techs[int(rng.random() * len(techs))],
            "modifiedOn": "",
            "tagTypeIds": [rng.randint(1, 30)] if rng.random() < 0.15 else [],
            "leadCallId": rng.randint(10**6, 10**7) if rng.random() < 0.3 else None,
            "partnerLeadCallId": None,
            "bookingId": rng.randint(10**5, 10**6) if rng.random() < 0.1 else None,
            "soldById": techs[int(rng.random() * len(techs))] if rng.random() < 0.6 else None,
            "customerPo": "" if rng.random() < 0.9 else f"PO-{rng.randint(100, 99999)}",
            "invoiceId": 0,
            "membershipId": None,
            "total": round(sub_cents / 100, 2) if rng.random() < 0.95 else None,
            "createdFromEstimateId": est_ids[0] if est_ids and rng.random() < 0.2 else None,
            "estimateIds": est_ids,
            "equipmentIds": [],
            "isAutoDispatched": rng.choice([None, False, True]),
            "active": job_active,
        }
        inv = self._gen_invoice(
            rng, cust, loc, job, completed or created, stamp, sub_cents=sub_cents
        )
        job["invoiceId"] = inv["id"]
        if completed is not None and rng.random() < 0.05:
            self._gen_adjustment(rng, cust, loc, job, inv, completed, stamp)
        if stamp is not None:
            jmod = stamp
        else:
            jmod = min(max(self._mod(created), completed or 0), PAST_END_MS)
        self._stage("jobs", job, jmod)
        return job

    def _gen_estimate(
        self, rng: random.Random, cust: dict, loc: dict, jid: int, lo: int, hi: int
    ) -> dict:
        eid = self._new_id("estimates")
        created = self._ts(lo, min(hi, lo + 30 * DAY_MS))
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
            "soldBy": self._tech_ids[int(rng.random() * len(self._tech_ids))] if sold else None,
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
        self._stage("estimates", est, self._mod(created))
        return est

    def _gen_invoice(
        self,
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
        iid = self._new_id("invoices")
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
            paid_on = iso(self._ts(created, min(created + 40 * DAY_MS, PAST_END_MS - 1000)))
        bu = rng.randint(101, 110)
        cust_addr = cust["address"]
        loc_addr = loc["address"] if loc else None
        inv = {
            "summary": rng.choice(SUMMARIES),
            "items": [
                {
                    "id": iid * 10 + 1,
                    "description": rng.choice(
                        ["Service call", "Labor", "Filter 16x25", "Diagnostic"]
                    ),
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
            "dueDate": (
                iso(created - created % DAY_MS + 30 * DAY_MS) if rng.random() > 0.08 else None
            ),
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
            "job": (
                {"id": job["id"], "number": job["jobNumber"], "type": "Service"} if job else None
            ),
            "projectId": None,
            "royalty": None,
            "employeeInfo": None,
            "commissionEligibilityDate": None,
            "sentStatus": rng.choice(["NotSent", "Sent", "Opened"]),
            "reviewStatus": rng.choice(["NeedsReview", "Reviewed", "Invoiced"]),
            "assignedTo": None,
        }
        mod = stamp if stamp is not None else self._mod(created)
        if paid_on is not None:
            mod = max(mod, parse_iso_ms(paid_on))
        self._stage("invoices", inv, mod)
        return inv

    def _gen_adjustment(
        self,
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
        return self._gen_invoice(
            rng, cust, loc, job, when, stamp, sub_cents=sub_cents, adjustment_to=original["id"]
        )

    # ------------------------------------------------------------------ mutation

    def _tick(self, rng: random.Random) -> int:
        """Advance the clock a little now and then, so many records share a stamp."""
        if rng.random() < 0.05:
            self.now_ms += 1000 * rng.randint(1, 90)
        return self.now_ms

    def _pick(
        self,
        rng: random.Random,
        stream: str,
        k: int,
        cond: Callable[[dict], object] | None = None,
        tries: int = 4,
    ) -> list[dict]:
        ids = self.sorted_ids[stream]
        if not ids:
            return []
        out: dict[int, dict] = {}
        for _ in range(k * tries):
            if len(out) >= k:
                break
            rid = ids[int(rng.random() * len(ids))]
            rec = self.by_id[stream][rid]
            if rid not in out and (cond is None or cond(rec)):
                out[rid] = rec
        return list(out.values())

    def _change(self, stream: str, old: dict, **fields: object) -> dict:
        rec = dict(old)
        rec.update(fields)
        self._put(stream, rec)
        return rec

    def mutate(self, fraction: float = 0.01, seed: int = 1) -> dict:
        """Simulate a live tenant between two syncs. Returns created/updated counts per stream."""
        with self.lock:
            rng = random.Random(f"{self.seed}:{seed}:{self.mutations}")
            self.mutations += 1
            self.now_ms = max(self.now_ms, PAST_END_MS) + DAY_MS + rng.randint(0, 3600) * 1000
            n_before = {s: self._next_id[s] for s in STREAMS}
            n = max(1, round(fraction * max(1, len(self.by_id["customers"]))))
            self._pending = {}

            def ch(stream: str, old: dict, **f: object) -> dict:
                self._tick(rng)
                return self._change(stream, old, **f)

            # new customers with contacts, a location, jobs, invoices
            for _ in range(max(1, n // 4)):
                stamp = self._tick(rng)
                self._gen_customer_tree(
                    rng, self.sorted_ids["customers"], None, None, stamp, stamp, stamp=stamp
                )
            # changed customers
            for c in self._pick(rng, "customers", max(1, n // 2), lambda r: r["active"]):
                what = rng.random()
                if what < 0.4:
                    ch("customers", c, name=self._customer_name(rng, c["type"]) or "Renamed")
                elif what < 0.7:
                    ch("customers", c, address=_addr(rng))
                else:
                    ch("customers", c, doNotMail=not c["doNotMail"])
            for c in self._pick(rng, "customers", max(1, n // 10), lambda r: r["active"]):
                ch("customers", c, active=False)
            actives = self._pick(rng, "customers", 8, lambda r: r["active"])
            for c in self._pick(rng, "customers", max(1, n // 20), lambda r: r["active"]):
                target = next((a for a in actives if a["id"] != c["id"]), None)
                if target is not None:
                    ch("customers", c, active=False, mergedToId=target["id"])
            # contacts change without touching their parent
            for stream, pf, pstream in (
                ("customer_contacts", "customerId", "customers"),
                ("location_contacts", "locationId", "locations"),
            ):
                for c in self._pick(rng, stream, max(1, n // 2), lambda r: r["active"]):
                    if c["type"] == "Email":
                        ch(stream, c, value=f"changed.{rng.randint(1, 10**6)}@example.com")
                    else:
                        v = _phone(rng)
                        ch(stream, c, value=v, phoneSettings={"phoneNumber": v, "doNotText": False})
                for c in self._pick(rng, stream, max(1, n // 4), lambda r: r["active"]):
                    ch(stream, c, active=False)
                for p in self._pick(rng, pstream, max(1, n // 4)):
                    self._tick(rng)
                    self._gen_contact(rng, stream, pf, p["id"], self.now_ms)
            # locations: a few address changes
            for loc in self._pick(rng, "locations", max(1, n // 8), lambda r: r["active"]):
                ch("locations", loc, address=_addr(rng))
            # new jobs on existing customers that have locations
            for c in self._pick(
                rng,
                "customers",
                max(1, n // 2),
                lambda r: r["active"] and self.children["locations"].get(r["id"]),
            ):
                lid = self.children["locations"][c["id"]][0]
                stamp = self._tick(rng)
                self._gen_job(rng, c, self.by_id["locations"][lid], stamp, stamp, stamp)
            # complete open jobs
            open_states = ("Scheduled", "Dispatched", "InProgress")
            for j in self._pick(
                rng, "jobs", max(1, n // 2), lambda r: r["active"] and r["jobStatus"] in open_states
            ):
                now = self._tick(rng)
                ch("jobs", j, jobStatus="Completed", completedOn=iso(now))
                a = self.by_id["appointments"].get(j["lastAppointmentId"])
                if a is not None:
                    ch("appointments", a, status="Done")
            # add appointments to open jobs
            for j in self._pick(
                rng, "jobs", max(1, n // 4), lambda r: r["active"] and r["jobStatus"] in open_states
            ):
                now = self._tick(rng)
                aid = self._new_id("appointments")
                start = now + DAY_MS
                appt = dict(self.by_id["appointments"][j["firstAppointmentId"]])
                appt.update(
                    {
                        "id": aid,
                        "appointmentNumber": f"{j['jobNumber']}-x",
                        "start": iso(start),
                        "end": iso(start + 7_200_000),
                        "status": "Scheduled",
                        "createdOn": iso(now),
                        "active": True,
                    }
                )
                self._put("appointments", appt)
                ch("jobs", j, appointmentCount=j["appointmentCount"] + 1, lastAppointmentId=aid)
            # pay invoices
            for inv in self._pick(
                rng,
                "invoices",
                max(1, n // 2),
                lambda r: (
                    r["active"]
                    and r["balance"] not in ("0", "0.00")
                    and not r["balance"].startswith("-")
                ),
            ):
                now = self._tick(rng)
                ch("invoices", inv, balance="0.00", paidOn=iso(now))
            # estimates
            for e in self._pick(rng, "estimates", max(1, n // 4), lambda r: r["active"]):
                if rng.random() < 0.8:
                    ch(
                        "estimates",
                        e,
                        status={"value": 1, "name": "Sold"},
                        soldOn=iso(self.now_ms),
                        soldBy=self._tech_ids[0],
                    )
                else:
                    ch("estimates", e, active=False)
            # a technician
            for t in self._pick(rng, "technicians", 1):
                ch(
                    "technicians",
                    t,
                    status=rng.choice(["Idle", "Dispatched", "Working", "Meal"]),
                    hourlyRate=round(t["hourlyRate"] + 1.5, 2),
                )
            pend = self._pending or {}
            self._commit()
            summary = {}
            for s in STREAMS:
                changed = set(pend.get(s, {}))
                created = {i for i in changed if i >= n_before[s]}
                summary[s] = {"created": len(created), "updated": len(changed - created)}
            self.now_ms += 60_000
            return summary
