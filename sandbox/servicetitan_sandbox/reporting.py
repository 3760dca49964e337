"""The Reporting API: report descriptions and report data computed from the tenant's records.

``GET reporting/v2/tenant/{t}/report-category/{category}/reports/{id}`` describes a
report (its parameters, and its fields with their data types);
``POST .../reports/{id}/data`` with ``{"parameters": [{"name", "value"}]}``
answers ``{page, pageSize, hasMore, totalCount, data, fields}``, the rows as
arrays in the order of ``fields``, like ServiceTitan's.

One report is served: **Business Unit Performance** (category ``operations``,
id 1001), parameters ``From`` (a date, required) and ``To`` (optional, default
``From``), one row per business unit with any activity in those local days
(the sandbox's ``timezone``, UTC by default):

- ``CompletedRevenue``: income invoice items (GL account type ``Income``,
  trimmed, any case; the item's own type, else its GL account's) on the active
  job invoices (not adjustments, with a job) of jobs completed in the days,
  under the item's business unit, else its invoice's;
- ``CompletedJobs``: those jobs (``Completed``, ``completedOn`` set, active), each
  under every business unit holding one of its income items, else under the
  job's own;
- ``Opportunities``: the completed jobs that are not ``noCharge``, or whose job
  invoices' subtotal is > 0 and reaches the job type's ``soldThreshold``;
- ``ConvertedJobs``: opportunities whose job invoices' subtotal does.

ServiceTitan allows about one data request per minute for one report; the
sandbox answers 429 with ``Retry-After`` when requests for one report come
closer than ``interval`` seconds (0, the default, turns this off). ``conflict_next``
answers the next data requests with 409 (a report still running), and
:meth:`Reporting.edit_report` changes a report's columns the way its owner
editing it would; :meth:`Reporting.spoil` makes a field hold a value of the
wrong type. Data requests are counted per report (``data_requests``). A
sandbox run as a process takes the same settings at ``POST /_sandbox/reporting``
(``{"interval": 60}``, ``{"conflict_next": 2}``, ``{"edit": {...}}``,
``{"spoil": {...}}``, ``{"reset": true}``).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import orjson

from .faults import Response, error_response
from .protocol import bad_request, json_response

if TYPE_CHECKING:
    from collections.abc import Callable

    from .dataset import Dataset
    from .generic_records import GenericTenant
    from .protocol import Request

ITEMS = "accounting/export/invoice-items"
GL_ACCOUNTS = "accounting/gl-accounts"
JOB_TYPES = "jpm/job-types"
BUSINESS_UNITS = "settings/export/business-units"

BU_PERFORMANCE_ID = 1001
MAX_PAGE_SIZE = 25000
DEFAULT_PAGE_SIZE = 1000


@dataclass
class Report:
    category: str
    report_id: int
    name: str
    parameters: list[dict]
    fields: list[dict]
    modified_on: str = "2025-01-15T10:00:00Z"

    def description(self) -> dict:
        return {
            "id": self.report_id,
            "name": self.name,
            "description": f"{self.name} (sandbox)",
            "modifiedOn": self.modified_on,
            "parameters": self.parameters,
            "fields": self.fields,
        }


def _field(name: str, label: str, data_type: str) -> dict:
    return {"name": name, "label": label, "dataType": data_type}


def _parameter(name: str, label: str, data_type: str, required: bool) -> dict:
    return {
        "name": name,
        "label": label,
        "dataType": data_type,
        "isArray": False,
        "isRequired": required,
        "acceptValues": None,
    }


def business_unit_performance() -> Report:
    return Report(
        category="operations",
        report_id=BU_PERFORMANCE_ID,
        name="Business Unit Performance",
        parameters=[
            _parameter("From", "From", "Date", True),
            _parameter("To", "To", "Date", False),
        ],
        fields=[
            _field("BusinessUnitId", "Business Unit Id", "Number"),
            _field("BusinessUnitName", "Business Unit", "String"),
            _field("CompletedRevenue", "Completed Revenue", "Number"),
            _field("CompletedJobs", "Completed Jobs", "Number"),
            _field("Opportunities", "Opportunities", "Number"),
            _field("ConvertedJobs", "Converted Jobs", "Number"),
        ],
    )


@dataclass
class Reporting:
    """The reports of one sandbox tenant and what their data requests see."""

    #: the sandbox's records: the dataset and the collections generated beside it
    dataset: Dataset
    generic: GenericTenant
    #: the server's paging of a list answer (records, page, page size, include total)
    page_out: Callable[[list[dict], int, int, bool], Response]
    timezone: str = "UTC"
    #: Seconds between two data requests for one report (0: no limit).
    interval: float = 0.0
    #: The next this many data requests answer 409.
    conflict_next: int = 0
    data_requests: Counter = field(default_factory=Counter)
    rate_limited: Counter = field(default_factory=Counter)
    reports: dict[tuple[str, int], Report] = field(default_factory=dict)
    #: (report id, field) -> a value served instead of the computed one.
    spoiled: dict[tuple[int, str], object] = field(default_factory=dict)
    _last: dict[int, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cache: tuple[tuple, dict] | None = None
    #: the handler of report lists of other categories (set by the server)
    fallback: object | None = None

    def __post_init__(self) -> None:
        report = business_unit_performance()
        self.reports[(report.category, report.report_id)] = report

    # ------------------------------------------------------------------ controls

    def reset(self) -> None:
        with self._lock:
            self.interval = 0.0
            self.conflict_next = 0
            self.data_requests.clear()
            self.rate_limited.clear()
            self.spoiled.clear()
            self._last.clear()
            self.reports.clear()
        self.__post_init__()

    def configure(
        self,
        interval: float | None = None,
        conflict_next: int | None = None,
        edit: dict | None = None,
        spoil: dict | None = None,
        reset: bool = False,
    ) -> dict:
        """The control endpoint ``POST /_sandbox/reporting``: the limit, 409s, edits, spoils."""
        if reset:
            self.reset()
        if interval is not None:
            self.interval = float(interval)
        if conflict_next is not None:
            self.conflict_next = int(conflict_next)
        if edit:
            self.edit_report(
                int(edit["report_id"]),
                rename=edit.get("rename"),
                drop=tuple(edit.get("drop") or ()),
                retype=edit.get("retype"),
            )
        if spoil:
            self.spoil(int(spoil["report_id"]), str(spoil["field"]), spoil.get("value"))
        return {
            "interval": self.interval,
            "conflict_next": self.conflict_next,
            "data_requests": {str(k): v for k, v in self.data_requests.items()},
            "rate_limited": {str(k): v for k, v in self.rate_limited.items()},
        }

    def edit_report(
        self,
        report_id: int,
        *,
        rename: dict[str, str] | None = None,
        drop: tuple[str, ...] = (),
        retype: dict[str, str] | None = None,
    ) -> None:
        """Change a report's columns (renamed, dropped, retyped) as its owner might."""
        report = next(r for r in self.reports.values() if r.report_id == report_id)
        fields = []
        for f in report.fields:
            if f["name"] in drop:
                continue
            name = (rename or {}).get(f["name"], f["name"])
            fields.append(_field(name, f["label"], (retype or {}).get(f["name"], f["dataType"])))
        report.fields = fields

    def spoil(self, report_id: int, field_name: str, value: object) -> None:
        """Every row of the report answers ``value`` for ``field_name``."""
        self.spoiled[(report_id, field_name)] = value

    # ------------------------------------------------------------------ routes

    def routes(self) -> list[tuple[str, str, str, object]]:
        """``(method, pattern, scope, handler)`` of the reporting module.

        ``report-category/{key}/reports`` lists this module's reports of its
        categories; other categories are answered by ``fallback`` (the generated
        per-category lists of child_records.py).
        """
        return [
            ("GET", "report-category/{key}/reports", "tn.rpr.reports:r", self.list_reports),
            ("GET", "report-category/{key}/reports/{id}", "tn.rpr.reports:r", self.describe),
            ("POST", "report-category/{key}/reports/{id}/data", "tn.rpr.reports:r", self.data),
        ]

    def list_reports(self, req: Request) -> Response:
        category = req.params[0]
        mine = [r for (c, _), r in sorted(self.reports.items()) if c == category]
        if not mine and self.fallback is not None:
            return self.fallback(req)
        items = [{"id": r.report_id, "name": r.name, "description": None} for r in mine]
        return self.page_out(items, 1, max(1, len(items)), True)

    def _report(self, req: Request) -> Report | Response:
        category, report_id = req.params[0], int(req.params[1])
        report = self.reports.get((category, report_id))
        if report is None:
            return error_response(
                404, f"There is no report {report_id} in the category {category!r}"
            )
        return report

    def describe(self, req: Request) -> Response:
        report = self._report(req)
        if isinstance(report, Response):
            return report
        return json_response(report.description())

    def data(self, req: Request) -> Response:
        report = self._report(req)
        if isinstance(report, Response):
            return report
        limited = self._limit(report.report_id)
        if limited is not None:
            return limited
        try:
            body = orjson.loads(req.body or b"{}")
        except orjson.JSONDecodeError:
            return bad_request("The request body must be JSON")
        values = {
            str(p.get("name")): p.get("value")
            for p in (body.get("parameters") or [])
            if isinstance(p, dict)
        }
        try:
            page = int(req.query.get("page") or 1)
            size = int(req.query.get("pageSize") or DEFAULT_PAGE_SIZE)
        except ValueError:
            return bad_request("page and pageSize must be integers")
        if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
            return bad_request(f"page must be >= 1 and pageSize between 1 and {MAX_PAGE_SIZE}")
        days = self._days(report, values)
        if isinstance(days, Response):
            return days
        rows = self.rows(report, *days)
        start = (page - 1) * size
        total = req.query.get("includeTotal", "").lower() == "true"
        return json_response(
            {
                "page": page,
                "pageSize": size,
                "hasMore": start + size < len(rows),
                "totalCount": len(rows) if total else None,
                "data": rows[start : start + size],
                "fields": [{"name": f["name"], "label": f["label"]} for f in report.fields],
            }
        )

    def _limit(self, report_id: int) -> Response | None:
        now = time.monotonic()
        with self._lock:
            if self.conflict_next > 0:
                self.conflict_next -= 1
                self.data_requests[report_id] += 1
                return error_response(
                    409,
                    "The report is being generated for another request",
                    headers={"Retry-After": "0.2"},
                )
            last = self._last.get(report_id)
            if self.interval > 0 and last is not None and now - last < self.interval:
                self.rate_limited[report_id] += 1
                wait = self.interval - (now - last)
                return error_response(
                    429,
                    "Too many requests for this report: about one per interval is allowed",
                    headers={"Retry-After": f"{math.ceil(wait * 100) / 100:g}"},
                )
            self._last[report_id] = now
            self.data_requests[report_id] += 1
        return None

    def _days(self, report: Report, values: dict) -> tuple[dt.date, dt.date] | Response:
        for parameter in report.parameters:
            if parameter["isRequired"] and values.get(parameter["name"]) in (None, ""):
                return bad_request(
                    f"The parameter {parameter['name']!r} is required",
                    {parameter["name"]: ["required"]},
                )
        try:
            first = dt.date.fromisoformat(str(values["From"])[:10])
            last = dt.date.fromisoformat(str(values.get("To") or values["From"])[:10])
        except ValueError:
            return bad_request("From and To must be dates (YYYY-MM-DD)")
        return first, last

    # ------------------------------------------------------------------ figures

    def rows(self, report: Report, first: dt.date, last: dt.date) -> list[list]:
        """The report's rows for the local days ``first`` to ``last``, in its field order."""
        by_day = self._figures()
        totals: dict[int | None, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        day = first
        while day <= last:
            for unit, figures in by_day.get(day, {}).items():
                for name, value in figures.items():
                    totals[unit][name] += value
            day += dt.timedelta(days=1)
        names = self._unit_names()
        rows = []
        for unit in sorted(totals, key=lambda u: (u is None, u or 0)):
            figures = totals[unit]
            values = {
                "BusinessUnitId": unit,
                "BusinessUnitName": names.get(unit),
                "CompletedRevenue": float(figures["CompletedRevenue"]),
                "CompletedJobs": int(figures["CompletedJobs"]),
                "Opportunities": int(figures["Opportunities"]),
                "ConvertedJobs": int(figures["ConvertedJobs"]),
            }
            for (report_id, name), value in self.spoiled.items():
                if report_id == report.report_id:
                    values[name] = value
            rows.append([values.get(f["name"]) for f in report.fields])
        return rows

    def _unit_names(self) -> dict[int | None, str]:
        units = self.generic.collections.get(BUSINESS_UNITS)
        if units is None:
            return {}
        return {r["id"]: r.get("name") for r in units.records.values()}

    def _figures(self) -> dict[dt.date, dict[int | None, dict[str, Decimal]]]:
        """Per local day and business unit, the report's figures (cached per data version)."""
        generic = self.generic
        dataset = self.dataset
        with dataset.lock, generic.lock:
            version = (
                dataset.current_version,
                tuple(generic.collections[n]._version for n in (ITEMS, GL_ACCOUNTS, JOB_TYPES)),
                self.timezone,
            )
            if self._cache is not None and self._cache[0] == version:
                return self._cache[1]
            jobs = [dict(r) for r in dataset.records("jobs")]
            invoices = [dict(r) for r in dataset.records("invoices")]
            items = [dict(r) for r in generic.collections[ITEMS].records.values()]
            accounts = {r["id"]: r for r in generic.collections[GL_ACCOUNTS].records.values()}
            job_types = {r["id"]: r for r in generic.collections[JOB_TYPES].records.values()}
        figures = _business_unit_figures(
            jobs, invoices, items, accounts, job_types, ZoneInfo(self.timezone)
        )
        self._cache = (version, figures)
        return figures


def _amount(value: object) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _income(item: dict, accounts: dict) -> bool:
    account = item.get("generalLedgerAccount") or {}
    if not account or (account.get("id") is None and not account.get("type")):
        return False
    kind = (account.get("type") or "").strip()
    if not kind:
        kind = ((accounts.get(account.get("id")) or {}).get("type") or "").strip()
    return kind.lower() == "income"


def _local_day(stamp: str, zone: ZoneInfo) -> dt.date:
    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return moment.astimezone(zone).date()


def _business_unit_figures(
    jobs: list[dict],
    invoices: list[dict],
    items: list[dict],
    accounts: dict,
    job_types: dict,
    zone: ZoneInfo,
) -> dict[dt.date, dict[int | None, dict[str, Decimal]]]:
    job_invoices: dict[int, list[dict]] = defaultdict(list)
    invoice_by_id = {}
    for invoice in invoices:
        invoice_by_id[invoice["id"]] = invoice
        job = invoice.get("job") or {}
        if (
            invoice.get("active")
            and invoice.get("adjustmentToId") is None
            and job.get("id") is not None
        ):
            job_invoices[job["id"]].append(invoice)
    # income per job and business unit, from the items of its job invoices
    revenue: dict[int, dict[int | None, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for item in items:
        if not item.get("active") or not _income(item, accounts):
            continue
        invoice = invoice_by_id.get(item.get("invoiceId"))
        if invoice is None or not invoice.get("active"):
            continue
        job = invoice.get("job") or {}
        if invoice.get("adjustmentToId") is not None or job.get("id") is None:
            continue
        unit = (item.get("businessUnit") or {}).get("id")
        if unit is None:
            unit = (invoice.get("businessUnit") or {}).get("id")
        revenue[job["id"]][unit] += _amount(item.get("total"))
    out: dict[dt.date, dict[int | None, dict[str, Decimal]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(Decimal))
    )
    for job in jobs:
        if not (
            job.get("active") and job.get("jobStatus") == "Completed" and job.get("completedOn")
        ):
            continue
        day = _local_day(job["completedOn"], zone)
        subtotal = sum(
            (_amount(i.get("subTotal")) for i in job_invoices.get(job["id"], ())), Decimal(0)
        )
        threshold = _amount((job_types.get(job.get("jobTypeId")) or {}).get("soldThreshold"))
        meets = subtotal > 0 and subtotal >= threshold
        opportunity = not job.get("noCharge") or meets
        units = revenue.get(job["id"]) or {job.get("businessUnitId"): Decimal(0)}
        for unit, amount in units.items():
            figures = out[day][unit]
            figures["CompletedRevenue"] += amount
            figures["CompletedJobs"] += 1
            figures["Opportunities"] += 1 if opportunity else 0
            figures["ConvertedJobs"] += 1 if opportunity and meets else 0
    return out
