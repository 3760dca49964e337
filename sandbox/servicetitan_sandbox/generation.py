"""Generation of records: the initial tenant's history, and records made later.

:meth:`TenantGenerator.generate` builds a tenant deterministically from a seed:
technicians, then customers with their contacts, locations, jobs,
appointments, estimates and invoices, created between ``PAST_START_MS`` and
``PAST_END_MS``, staged and loaded into the store in ``modifiedOn`` order. The
same makers, given a ``stamp``, add records during a mutation (created and
modified at that moment).
"""

from __future__ import annotations

import random

from . import invoices
from .clock import PAST_END_MS, PAST_START_MS, near_midnight
from .formats import DAY_MS, iso, parse_iso_ms
from .pools import (
    APPT_OPEN,
    CITIES,
    EMAIL_DOMAINS,
    FIRST,
    JOB_STATUS_WEIGHTS,
    JOB_STATUSES,
    LAST,
    MEMOS,
    NON_JOB_CONFIGURATIONS,
    PRIORITIES,
    STREETS,
    SUMMARIES,
    TECH_POSITIONS,
    address,
    customer_name,
    phone,
    preferences,
)
from .store import ID_BASE, STREAMS, RecordStore


class TenantGenerator:
    """Makes the records of one tenant into a store; ``rng`` is the tenant's past."""

    def __init__(self, store: RecordStore, seed: int) -> None:
        self.store = store
        self.rng = rng = random.Random(seed)
        #: a few moments many records were modified at together (imports, bulk edits)
        self.bulk_stamps = sorted(
            (PAST_END_MS - rng.randint(1, 400) * DAY_MS) // 1000 * 1000 for _ in range(12)
        )
        self.tech_ids: list[int] = []
        self._staged: dict[str, list[tuple[int, dict]]] | None = None

    # ------------------------------------------------------------------ stamps

    def between(self, lo: int, hi: int) -> int:
        """A random moment in ``[lo, hi)`` (often on a whole second)."""
        rng = self.rng
        if hi <= lo:
            return lo
        ms = lo + int(rng.random() * (hi - lo))
        if rng.random() < 0.3:
            ms -= ms % 1000
        return ms

    def modified(self, created: int) -> int:
        """A modifiedOn for a record created at ``created``: often shared bulk stamps."""
        rng = self.rng
        x = rng.random()
        if x < 0.2:
            stamp = self.bulk_stamps[int(rng.random() * len(self.bulk_stamps))]
            if stamp >= created:
                return stamp
        if x < 0.45:
            return created
        return self.between(created, PAST_END_MS)

    # ------------------------------------------------------------------ the tenant's past

    def generate(self, customers: int) -> None:
        """Every record of the tenant, loaded into the (empty) store in modifiedOn order."""
        rng = self.rng
        staged: dict[str, list[tuple[int, dict]]] = {s: [] for s in STREAMS}
        self._staged = staged
        techs = [self.technician(rng) for _ in range(max(5, customers // 100))]
        self.tech_ids = [t["id"] for t in techs]
        cust_ids: list[int] = []
        all_jobs: list[dict] = []
        for _ in range(customers):
            cust = self.customer_tree(rng, cust_ids, all_jobs, PAST_START_MS, PAST_END_MS - DAY_MS)
            cust_ids.append(cust["id"])
        # technicians reference jobs/appointments
        for t in techs:
            if all_jobs and rng.random() < 0.5:
                j = all_jobs[int(rng.random() * len(all_jobs))]
                t["jobId"] = j["id"]
                t["appoitmentId"] = j["lastAppointmentId"]
            self.stage("technicians", t, t.pop("_ms"))
        self._staged = None
        self.store.load(staged)

    def stage(self, stream: str, rec: dict, mod_ms: int) -> None:
        """A new record modified at ``mod_ms``: staged while generating, else put in the store."""
        rec["modifiedOn"] = iso(mod_ms)
        if self._staged is not None:
            self._staged[stream].append((mod_ms, rec))
        else:
            self.store.put(stream, rec, parse_iso_ms(rec["modifiedOn"]))

    # ------------------------------------------------------------------ records

    def technician(self, rng: random.Random) -> dict:
        tid = self.store.new_id("technicians")
        first = rng.choice(FIRST)
        last = rng.choice(LAST)
        created = self.between(PAST_START_MS - 400 * DAY_MS, PAST_END_MS - 200 * DAY_MS)
        mod = self.modified(created)
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
            "phoneNumber": phone(rng) if rng.random() < 0.8 else None,
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
            "mobilePhone": phone(rng) if rng.random() < 0.5 else None,
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

    def contact(
        self,
        rng: random.Random,
        stream: str,
        parent_field: str,
        parent_id: int,
        created_lo: int,
        active: bool = True,
    ) -> dict:
        cid = self.store.new_id(stream)
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
            value = phone(rng)
            phone_settings = {"phoneNumber": value, "doNotText": rng.random() < 0.2}
        created = self.between(created_lo, PAST_END_MS - DAY_MS)
        rec = {
            "id": cid,
            "type": ctype,
            "value": value,
            "memo": rng.choice(MEMOS),
            "phoneSettings": phone_settings,
            "modifiedOn": "",
            "createdOn": iso(created),
            "preferences": preferences(rng),
            parent_field: parent_id,
            "active": active if rng.random() > 0.06 else False,
        }
        self.stage(stream, rec, self.modified(created))
        return rec

    def customer_tree(
        self,
        rng: random.Random,
        prior_ids: list[int],
        all_jobs: list[dict] | None,
        lo: int,
        hi: int,
        stamp: int | None = None,
    ) -> dict:
        """A customer with contacts, locations (+contacts), jobs, appointments, invoices,
        estimates. ``stamp`` (mutations): every record created and modified at it."""
        cust, created = self.customer(rng, prior_ids, lo, hi, stamp)
        # customer contacts: 0-3; some customers only have inactive ones
        n_cc = 1 + int(rng.random() * 2.5) if stamp is not None else int(rng.random() * 4)
        only_inactive = stamp is None and rng.random() < 0.05
        for _ in range(n_cc):
            self.contact(
                rng,
                "customer_contacts",
                "customerId",
                cust["id"],
                created,
                active=not only_inactive,
            )
        # locations: ~8% none, else 1-2
        if stamp is not None:
            n_loc = 1
        else:
            y = rng.random()
            n_loc = 0 if y < 0.08 else (1 if y < 0.82 else 2)
        locs = [self.location(rng, cust, k, created, hi, stamp) for k in range(n_loc)]
        # jobs (only for customers with locations)
        if locs:
            n_jobs = (1 + int(rng.random() * 2)) if stamp is not None else int(rng.random() * 7)
            for _ in range(n_jobs):
                loc = locs[int(rng.random() * len(locs))]
                job = self.job(rng, cust, loc, created, hi, stamp)
                if all_jobs is not None:
                    all_jobs.append(job)
        # ~10% invoices without a job
        if stamp is None and rng.random() < 0.1:
            invoices.invoice(
                self,
                rng,
                cust,
                locs[0] if locs else None,
                None,
                self.between(created, hi),
                stamp,
                configuration=rng.choice(NON_JOB_CONFIGURATIONS),
            )
        return cust

    def customer(
        self, rng: random.Random, prior_ids: list[int], lo: int, hi: int, stamp: int | None
    ) -> tuple[dict, int]:
        """A customer (some inactive or merged into an earlier one) and when it was created."""
        cid = self.store.new_id("customers")
        ctype = "Commercial" if rng.random() < 0.2 else "Residential"
        created = stamp if stamp is not None else self.between(lo, hi)
        x = rng.random()
        active = True
        merged_to = None
        if stamp is None:
            if x < 0.015 and prior_ids:
                active = False
                merged_to = prior_ids[int(rng.random() * len(prior_ids))]
            elif x < 0.07:
                active = False
        addr = address(rng, lat_null=rng.random() < 0.3)
        credit = round(rng.random() * 5000, 2) if rng.random() < 0.1 else None
        cust = {
            "id": cid,
            "active": active,
            "name": customer_name(rng, ctype),
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
            "createdById": self.tech_ids[int(rng.random() * len(self.tech_ids))],
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
        self.stage("customers", cust, stamp if stamp is not None else self.modified(created))
        return cust, created

    def location(
        self, rng: random.Random, cust: dict, k: int, created: int, hi: int, stamp: int | None
    ) -> dict:
        """The ``k``-th location of a customer created at ``created``, with its contacts."""
        lid = self.store.new_id("locations")
        lcreated = created if (k == 0 or stamp is not None) else self.between(created, hi)
        laddr = dict(cust["address"]) if (k == 0 and rng.random() < 0.7) else address(rng)
        loc = {
            "taxZoneId": rng.randint(1, 9) if rng.random() < 0.3 else None,
            "id": lid,
            "customerId": cust["id"],
            "active": (stamp is not None or rng.random() > 0.05) and (cust["active"] or k > 0),
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
        self.stage("locations", loc, stamp if stamp is not None else self.modified(lcreated))
        n_lc = 1 if stamp is not None else int(rng.random() * 3)
        for _ in range(n_lc):
            self.contact(rng, "location_contacts", "locationId", lid, lcreated)
        return loc

    def job(
        self, rng: random.Random, cust: dict, loc: dict, lo: int, hi: int, stamp: int | None
    ) -> dict:
        jid = self.store.new_id("jobs")
        created = stamp if stamp is not None else self.between(lo, hi)
        if stamp is not None:
            status = "Scheduled"
        else:
            status = rng.choices(JOB_STATUSES, JOB_STATUS_WEIGHTS)[0]
        techs = self.tech_ids
        n_appt = 1 if rng.random() < 0.6 else 2
        appt_ids = []
        start = created + int(rng.random() * 5 * DAY_MS)
        completed = None
        last_ms = created
        job_active = stamp is not None or rng.random() > 0.03
        for k in range(n_appt):
            aid = self.store.new_id("appointments")
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
            amod = stamp if stamp is not None else self.modified(created)
            self.stage("appointments", appt, amod)
            appt_ids.append(aid)
        if status == "Completed":
            completed = min(last_ms, PAST_END_MS - 1000)
            if rng.random() < 0.1:
                completed = max(created, min(near_midnight(rng, completed), PAST_END_MS - 1000))
        # estimates 0-2
        n_est = 0 if stamp is not None else int(rng.random() * 3)
        est_ids = []
        for _ in range(n_est):
            est_ids.append(invoices.estimate(self, rng, cust, loc, jid, created, hi)["id"])
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
        inv = invoices.invoice(
            self, rng, cust, loc, job, completed or created, stamp, sub_cents=sub_cents
        )
        job["invoiceId"] = inv["id"]
        if completed is not None and rng.random() < 0.05:
            invoices.adjustment(self, rng, cust, loc, job, inv, completed, stamp)
        if stamp is not None:
            jmod = stamp
        else:
            jmod = min(max(self.modified(created), completed or 0), PAST_END_MS)
        self.stage("jobs", job, jmod)
        return job
