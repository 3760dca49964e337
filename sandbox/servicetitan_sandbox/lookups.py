"""Endpoints that are not collections: business hours, capacity, the marketing reports.

Each answer is computed from the request (its window) and the tenant's
records: campaigns (``marketing/campaigns``, ids 1 to 40), business units
(101 to 110), technicians, jobs, customers and calls of the dataset. The
same request gets the same answer; a report row for a campaign and day is
seeded by them, so the rows of a window are the rows of its days. The
``*_rows`` functions are the answers' records, for tests to compute from.

- ``dispatch/business-hours``: one object, the hours of weekdays, Saturday, Sunday;
- ``dispatch/capacity`` (POST ``startsOnOrAfter``/``endsOnOrBefore``): a time frame
  per arrival window (8-12, 12-16) and day, per business unit, with its technicians;
- ``marketingads/performance`` (``fromUtc``/``toUtc``/``performanceSegmentationType``):
  a row per campaign (ad group, keyword) and day of the window; one campaign of
  the ads platform is not linked to a ServiceTitan campaign (``campaign.id`` null);
- ``marketingads/attributed-leads``: leads of the window, of each lead type;
- ``marketingads/capacity-warnings``: the current warnings, one a campaign of a few;
- ``marketing/campaign-cost-summary``, ``marketing/email-channel-cost`` (``from``/``to``):
  each campaign's cost (the daily costs of the window's days), the e-mail channel's;
- ``dispatch/technician-tracking`` (``technicianId``/``appointmentId``): the link that
  follows a technician to an appointment, for a pair of an appointment assignment
  (404 for another pair).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import orjson

from .dataset import Dataset
from .faults import Response, error_response
from .formats import iso, parse_iso_ms
from .generic_records import GenericTenant
from .protocol import Request, bad_request, json_response

ASSIGNMENTS = "dispatch/export/appointment-assignments"
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
#: A window of a report is at most this long (the API's own limit is larger).
MAX_WINDOW_DAYS = 400
BUSINESS_UNITS = tuple(range(101, 111))
#: Ads campaigns: ServiceTitan campaigns 1 to 6, and one the ads platform alone knows.
AD_CAMPAIGNS = (1, 2, 3, 4, 5, 6, None)
AD_GROUPS_PER_CAMPAIGN = 2
KEYWORDS_PER_GROUP = 2
SEGMENTATIONS = ("Campaign", "AdGroup", "Keyword")
ARRIVAL_WINDOWS = ((8, 12), (12, 16))

Handler = Callable[[Request], Response]


def _days(start_ms: int, end_ms: int) -> list[int]:
    """Midnights (UTC, in ms) of the days that start in ``[start_ms, end_ms)``."""
    first = start_ms - start_ms % DAY_MS
    if first < start_ms:
        first += DAY_MS
    return list(range(first, end_ms, DAY_MS))


def _day(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).date().isoformat()


class Lookups:
    """The answers of one tenant's non-collection endpoints (see the module docstring)."""

    def __init__(self, dataset: Dataset, generic: GenericTenant) -> None:
        self.dataset = dataset
        self.generic = generic

    # The records

    def campaign_name(self, campaign_id: int | None) -> str:
        if campaign_id is None:
            return "Ads platform campaign (not linked)"
        record = self.generic.collections["marketing/campaigns"].records.get((campaign_id,))
        return (record or {}).get("name") or f"Campaign {campaign_id}"

    def business_hours(self) -> dict:
        return {
            "weekdays": [{"fromHour": 7, "toHour": 12}, {"fromHour": 13, "toHour": 18}],
            "saturday": [{"fromHour": 8, "toHour": 12}],
            "sunday": [],
        }

    def capacity(self, start_ms: int, end_ms: int) -> list[dict]:
        """A time frame per day, arrival window and business unit within the window."""
        technicians = self.dataset.records("technicians")
        rows = []
        for day in _days(start_ms - start_ms % DAY_MS, end_ms):
            for first, last in ARRIVAL_WINDOWS:
                begin, finish = day + first * HOUR_MS, day + last * HOUR_MS
                if begin < start_ms or finish > end_ms:
                    continue
                for unit in BUSINESS_UNITS:
                    rng = random.Random(f"{self.dataset.seed}:capacity:{unit}:{begin}")
                    crew = [t for t in technicians if t["id"] % len(BUSINESS_UNITS) == unit % 10]
                    crew = crew or technicians[:1]
                    total = float(len(crew) * (last - first))
                    booked = float(rng.randint(0, int(total)))
                    rows.append(
                        {
                            "start": iso(begin),
                            "end": iso(finish),
                            "startUtc": iso(begin),
                            "endUtc": iso(finish),
                            "businessUnitIds": [unit],
                            "totalAvailability": total,
                            "openAvailability": total - booked,
                            "technicians": [
                                {
                                    "id": t["id"],
                                    "name": t["name"],
                                    "status": rng.choice(["Available", "Unavailable"]),
                                    "hasRequiredSkills": None,
                                }
                                for t in crew
                            ],
                            "isAvailable": booked < total,
                            "isExceedingIdealBookingPercentage": booked > 0.8 * total,
                        }
                    )
        return rows

    def performance(self, start_ms: int, end_ms: int, segmentation: str) -> list[dict]:
        """A row per campaign (ad group, keyword) for the window, summed over its days."""
        rows: dict[tuple, dict] = {}
        for day in _days(start_ms, end_ms):
            for campaign in AD_CAMPAIGNS:
                for group in self._groups(segmentation):
                    for keyword in self._keywords(segmentation):
                        row = self._performance_day(day, campaign, group, keyword)
                        key = (campaign, group, keyword)
                        rows[key] = _added(rows[key], row) if key in rows else row
        return list(rows.values())

    @staticmethod
    def _groups(segmentation: str) -> list[int | None]:
        return [None] if segmentation == "Campaign" else list(range(1, AD_GROUPS_PER_CAMPAIGN + 1))

    @staticmethod
    def _keywords(segmentation: str) -> list[int | None]:
        return list(range(1, KEYWORDS_PER_GROUP + 1)) if segmentation == "Keyword" else [None]

    def _performance_day(
        self, day: int, campaign: int | None, group: int | None, keyword: int | None
    ) -> dict:
        rng = random.Random(f"{self.dataset.seed}:ads:{campaign}:{group}:{keyword}:{day}")
        impressions = rng.randint(0, 2000)
        clicks = rng.randint(0, impressions // 20) if impressions else 0
        cost = round(clicks * rng.uniform(1.5, 6.0), 2)
        leads = rng.randint(0, max(clicks // 5, 0))
        booked = rng.randint(0, leads)
        revenue = round(booked * rng.uniform(150, 900), 2)
        external = 9_000_000 + (campaign or 99)
        return {
            "campaign": {
                "id": campaign,
                "externalId": external,
                "name": self.campaign_name(campaign),
                "category": "Paid Search",
                "launchDate": "2024-03-01",
                "status": "Live",
            },
            "adGroup": {
                "id": f"{external}-{group}" if group else "",
                "name": f"Ad group {group}" if group else "",
                "status": "Live" if group else None,
            },
            "keyword": {
                "id": f"{external}-{group}-{keyword}" if keyword else "",
                "name": f"keyword {keyword}" if keyword else "",
                "status": "Live" if keyword else None,
            },
            "digitalStats": {
                "impressionShare": None,
                "impressions": impressions,
                "clicks": clicks,
                "averageCPC": round(cost / clicks, 4) if clicks else 0.0,
                "conversions": leads,
                "allConversions": float(leads),
                "cost": cost,
                "clickRate": round(clicks / impressions, 4) if impressions else None,
                "costPerConversion": round(cost / leads, 4) if leads else None,
                "conversionRate": round(leads / clicks, 4) if clicks else None,
            },
            "leadStats": {
                "leads": leads,
                "leadCalls": leads - leads // 3,
                "onlineBooking": leads // 3,
                "manualBooking": 0,
                "bookedJobs": booked,
                "ranJobs": booked,
                "soldJobs": booked // 2,
                "revenue": revenue,
                "potentialRevenue": round(revenue * 1.25, 2),
                "bookingRate": round(booked / leads, 4) if leads else None,
                "avgTicket": round(revenue / booked, 2) if booked else None,
            },
            "returnOnInvestment": round((revenue - cost) / cost, 4) if cost else None,
        }

    def attributed_leads(self, start_ms: int, end_ms: int) -> list[dict]:
        """Three leads a day: a call, a web booking, then a web form or a manual job.

        A day's call and job are the day's turn through the tenant's calls and jobs, so
        no two leads of a window of fewer days than there are calls (jobs) share one.
        """
        jobs = self.dataset.records("jobs")
        calls = self.generic.id_pools.get("telecom/export/calls") or range(1, 2)
        leads = []
        for day in _days(start_ms, end_ms):
            rng = random.Random(f"{self.dataset.seed}:leads:{day}")
            turn = day // DAY_MS
            for n in range(3):
                lead_type = (1, 2, 3 + turn % 2)[n]
                job = jobs[turn % len(jobs)] if lead_type == 4 else rng.choice(jobs)
                campaign = rng.choice(AD_CAMPAIGNS)
                number = turn * 10 + n
                leads.append(
                    {
                        "dateTime": iso(day + rng.randint(7, 19) * HOUR_MS),
                        "leadType": lead_type,
                        "attribution": {
                            "utmSource": "google",
                            "utmMedium": "cpc",
                            "utmCampaign": self.campaign_name(campaign),
                            "landingPageUrl": "https://example.com/ac-repair",
                            "referrerUrl": "https://www.google.com/",
                            "clickId": f"click-{number}",
                            "gbraid": "",
                            "wbraid": "",
                            "stCampaignId": campaign,
                            "originalCampaign": self.campaign_name(campaign),
                            "attributionOverwriteType": None,
                            "attributionOverwriteId": None,
                            "overwrittenBookingJobId": None,
                            "adGroupId": "",
                            "adGroupName": "",
                            "keywordId": "",
                            "keywordName": "",
                        },
                        "job": {"id": job["id"], "name": job.get("jobNumber") or str(job["id"])},
                        "customer": {
                            "id": job["customerId"],
                            "name": f"Customer {job['customerId']}",
                        },
                        "call": {
                            "duration": "00:03:12",
                            "id": calls[turn % len(calls)] if lead_type == 1 else None,
                            "type": "Booked",
                            "source": "Google Ads",
                            "callerNumber": "5550100",
                            "trackingNumber": "5550199",
                            "excusedReason": "",
                        },
                        "leadForm": {
                            "leadNumber": number if lead_type == 3 else None,
                            "leadStatus": "Open" if lead_type == 3 else "",
                            "notes": "",
                        },
                        "booking": {"id": number if lead_type == 2 else None},
                    }
                )
        return leads

    def capacity_warnings(self) -> list[dict]:
        return [
            {
                "campaignName": self.campaign_name(campaign),
                "warningType": warning,
                "businessUnits": [f"Business unit {unit}" for unit in (101 + campaign, 105)],
                "lookaheadWindow": 3,
                "thresholdValue": 80,
            }
            for campaign in (1, 3, 5)
            for warning in ("LowCapacity", "NoCapacity")
            if (campaign, warning) != (5, "NoCapacity")
        ]

    def daily_cost(self, campaign: int | None, day: int) -> float:
        return round(random.Random(f"{self.dataset.seed}:cost:{campaign}:{day}").uniform(5, 80), 2)

    def campaign_cost_summary(self, start_ms: int, end_ms: int) -> list[dict]:
        days = _days(start_ms, end_ms)
        return [
            {
                "campaignId": campaign,
                "campaignName": self.campaign_name(campaign),
                "totalCost": round(sum(self.daily_cost(campaign, day) for day in days), 2),
            }
            for campaign in AD_CAMPAIGNS
            if campaign is not None
        ]

    def email_channel_cost(self, start_ms: int, end_ms: int) -> dict:
        days = _days(start_ms, end_ms)
        return {
            "totalCost": round(sum(self.daily_cost(0, day) for day in days), 2) if days else None
        }

    def tracking_url(self, technician_id: int, appointment_id: int) -> str | None:
        """The tracking link of an assigned technician and appointment; None for another pair."""
        with self.generic.lock:
            assigned = any(
                record.get("technicianId") == technician_id
                and record.get("appointmentId") == appointment_id
                for record in self.generic.collections[ASSIGNMENTS].records.values()
            )
        if not assigned:
            return None
        tenant = self.dataset.tenant_id
        return f"https://tracking.sandbox.example/{tenant}/{appointment_id}/{technician_id}"

    # HTTP

    def routes(self, page_out: Callable[..., Response]) -> list[tuple[str, str, str, str, Handler]]:
        """``(method, module, resource, scope, handler)`` of each endpoint."""

        def business_hours(req: Request) -> Response:
            return json_response(self.business_hours())

        def capacity(req: Request) -> Response:
            try:
                body = orjson.loads(req.body or b"{}")
                start = parse_iso_ms(body["startsOnOrAfter"])
                end = parse_iso_ms(body["endsOnOrBefore"])
            except (ValueError, KeyError, TypeError):
                return bad_request("startsOnOrAfter and endsOnOrBefore are required date-times")
            if end <= start or end - start > MAX_WINDOW_DAYS * DAY_MS:
                return bad_request("the time frame is empty or too long")
            stamp = iso(self.dataset.now_ms)
            return json_response({"timeStamp": stamp, "availabilities": self.capacity(start, end)})

        def report(kind: str) -> Handler:
            def answer(req: Request) -> Response:
                first, last = ("from", "to") if kind.startswith("cost") else ("fromUtc", "toUtc")
                window = _window(req, first, last)
                if isinstance(window, Response):
                    return window
                if kind == "performance":
                    segmentation = req.query.get("performanceSegmentationType", "")
                    if segmentation not in SEGMENTATIONS:
                        return bad_request("performanceSegmentationType is required")
                    return _paged(req, page_out, self.performance(*window, segmentation))
                if kind == "leads":
                    return _paged(req, page_out, self.attributed_leads(*window))
                if kind == "cost-summary":
                    return json_response({"items": self.campaign_cost_summary(*window)})
                return json_response(self.email_channel_cost(*window))

            return answer

        def tracking(req: Request) -> Response:
            try:
                technician = int(req.query["technicianId"])
                appointment = int(req.query["appointmentId"])
            except (KeyError, ValueError):
                return bad_request("technicianId and appointmentId are required integers")
            url = self.tracking_url(technician, appointment)
            if url is None:
                return error_response(
                    404, f"Technician {technician} is not assigned to appointment {appointment}"
                )
            return json_response({"technicianTrackingUrl": url})

        def warnings(req: Request) -> Response:
            data = self.capacity_warnings()
            return json_response(
                {
                    "tenantId": self.dataset.tenant_id,
                    "tenantName": "Sandbox tenant",
                    "totalCount": len(data),
                    "data": data,
                }
            )

        return [
            ("GET", "dispatch", "business-hours", "tn.dis.businesshours:r", business_hours),
            ("POST", "dispatch", "capacity", "tn.dis.capacity:w", capacity),
            ("GET", "dispatch", "technician-tracking", "tn.dis.techniciantracking:r", tracking),
            ("GET", "marketingads", "performance", "tn.mads.performance:r", report("performance")),
            (
                "GET",
                "marketingads",
                "attributed-leads",
                "tn.mads.attributedleads:r",
                report("leads"),
            ),
            ("GET", "marketingads", "capacity-warnings", "tn.mads.capacitywarnings:r", warnings),
            (
                "GET",
                "marketing",
                "campaign-cost-summary",
                "tn.mrk.campaigncostsummary:r",
                report("cost-summary"),
            ),
            (
                "GET",
                "marketing",
                "email-channel-cost",
                "tn.mrk.emailchannelcost:r",
                report("cost-email"),
            ),
        ]


def _window(req: Request, first: str, last: str) -> tuple[int, int] | Response:
    try:
        start, end = parse_iso_ms(req.query[first]), parse_iso_ms(req.query[last])
    except (KeyError, ValueError):
        return bad_request(f"{first} and {last} are required date-times")
    if end <= start or end - start > MAX_WINDOW_DAYS * DAY_MS:
        return bad_request(f"{first}..{last} is empty or too long")
    return start, end


def _paged(req: Request, page_out: Callable[..., Response], rows: list[dict]) -> Response:
    try:
        page = int(req.query.get("page") or 1)
        size = int(req.query.get("pageSize") or 50)
    except ValueError:
        return bad_request("page and pageSize must be integers")
    if page < 1 or not 1 <= size <= 5000:
        return bad_request("page must be 1 or more, pageSize 1 to 5000")
    return page_out(rows, page, size, req.query.get("includeTotal", "").lower() == "true")


def _added(total: dict, row: dict) -> dict:
    """Two days of one campaign's statistics as one row: counts and money summed."""
    out = dict(total)
    for part in ("digitalStats", "leadStats"):
        merged = dict(total[part])
        for name, value in row[part].items():
            if name in (
                "impressions",
                "clicks",
                "conversions",
                "leads",
                "leadCalls",
                "onlineBooking",
                "manualBooking",
                "bookedJobs",
                "ranJobs",
                "soldJobs",
            ):
                merged[name] = merged[name] + value
            elif name in ("cost", "revenue", "potentialRevenue"):
                merged[name] = round(merged[name] + value, 2)
        out[part] = merged
    return out
