"""Record reconciliation on every run: the API's own count of each synced stream.

A record the export feed never delivers (an API defect, a bookmark bug, a row
a loader drops) is invisible in the records themselves. The ``record_counts``
stream asks ServiceTitan how many records each selected stream should hold:
``includeTotal=true`` (one row per page, ``pageSize=1``) on the list endpoint
that serves the same records, with ``active=Any``, so one request per stream.
The dbt model ``st_reconciliation`` sets each count beside the warehouse's
count of the same records for the same tenant, and a dbt test fails on a gap.

No false alarms while records change: both counts cover the same records.
The tap reads the API's clock (the ``Date`` header of a first count request)
once, at the start of the run, before any other stream: ``counted_before``.
Both counts cover only records created before that moment
(``createdBefore=<counted_before>`` here, ``"createdOn" < counted_before`` in
the warehouse). The API counts them before the streams read them, so every
record it counts existed when the export feeds were read and must be in the
warehouse; records created, changed or deactivated while the run goes on do
not change the count of records created before it (ServiceTitan deactivates,
it does not delete; ``active=Any`` counts both), and a record created later
with an earlier ``createdOn`` can only make the warehouse's count larger, never
raise a gap. A list endpoint without ``createdBefore`` gives an unbounded
count (noted); a stream with no such endpoint (a child stream, served per
parent, among them) gets a row that says so.

The contact lists never show deleted contacts (``active_only``): for them both
sides count active records only. With ``start_date``, records last modified
before it are never read, so both sides count records modified on or after it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import typing as t
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

from singer_sdk.pagination import SinglePagePaginator
from typing_extensions import override

from tap_servicetitan.client import ServiceTitanStream
from tap_servicetitan.pagination import page_body
from tap_servicetitan.reports import CustomReportStream
from tap_servicetitan.tenant import TENANT_FIELD, TENANT_PROPERTY, tenant_of

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    import requests
    from singer_sdk import Stream, Tap
    from singer_sdk.helpers.types import Context

    from tap_servicetitan.api import ServiceTitanApi

STREAM_NAME = "record_counts"

#: stream -> (the list endpoint serving its records, under the stream's module;
#: whether that endpoint takes createdBefore). From the API reference: the
#: endpoints with includeTotal; an export feed's is the list of the same resource.
COUNT_ENDPOINTS: dict[str, tuple[str, bool]] = {
    "customers": ("customers", True),
    "customer_contacts": ("customers/contacts", True),
    "locations": ("locations", True),
    "location_contacts": ("locations/contacts", True),
    "bookings": ("bookings", True),
    "leads": ("leads", True),
    "booking_provider_tags": ("booking-provider-tags", True),
    "contacts": ("contacts", True),
    "contact_methods": ("contacts/contact-methods", True),
    "customers_custom_fields": ("customers/custom-fields", True),
    "locations_custom_fields": ("locations/custom-fields", True),
    "jobs": ("jobs", True),
    "appointments": ("appointments", True),
    "projects": ("projects", True),
    "job_cancel_reasons": ("job-cancel-reasons", True),
    "job_custom_fields": ("jobs/custom-fields", True),
    "job_hold_reasons": ("job-hold-reasons", True),
    "job_types": ("job-types", True),
    "project_custom_fields": ("projects/custom-fields", True),
    "project_statuses": ("project-statuses", True),
    "project_sub_statuses": ("project-substatuses", True),
    "project_types": ("project-types", False),
    "wbs_budget_codes": ("work-breakdown-structure/budget-codes", False),
    "wbs_segments": ("work-breakdown-structure/segments", False),
    "invoices": ("invoices", True),
    "payments": ("payments", True),
    "ap_bills": ("ap-bills", True),
    "ap_bills_custom_fields": ("ap-bills/custom-fields", True),
    "ap_credits": ("ap-credits", True),
    "ap_credits_custom_fields": ("ap-credits/custom-fields", True),
    "ap_payments": ("ap-payments", True),
    "ap_payments_custom_fields": ("ap-payments/custom-fields", True),
    "bank_deposits": ("bank-deposits", True),
    "credit_memos": ("credit-memos", True),
    "credit_memo_items": ("credit-memos/credit-memo-items", True),
    "credit_memos_custom_fields": ("credit-memos/custom-fields", True),
    "gl_account_types": ("gl-accounts/types", True),
    "gl_accounts": ("gl-accounts", True),
    "inventory_bills_custom_fields": ("inventory-bills/custom-fields", True),
    "invoices_custom_fields": ("invoices/custom-fields", True),
    "journal_entries": ("journal-entries", True),
    "payment_terms": ("payment-terms", True),
    "payment_types": ("payment-types", True),
    "payments_custom_fields": ("payments/custom-fields", True),
    "remittance_vendors": ("remittance-vendors", True),
    "tax_zones": ("tax-zones", True),
    "estimates": ("estimates", True),
    "estimate_items": ("estimates/items", True),
    "estimate_templates": ("estimate-templates", False),
    "proposal_templates": ("proposal-templates", False),
    "technicians": ("technicians", True),
    "business_units": ("business-units", True),
    "employees": ("employees", True),
    "tag_types": ("tag-types", True),
    "intacct_business_unit_mappings": ("business-units/intacct", False),
    "user_roles": ("user-roles", True),
    "technician_ratings": ("technician-ratings", True),
    "appointment_assignments": ("appointment-assignments", True),
    "arrival_windows": ("arrival-windows", True),
    "non_job_appointments": ("non-job-appointments", True),
    "teams": ("teams", True),
    "technician_shifts": ("technician-shifts", True),
    "technician_skills": ("technician-skills", True),
    "zones": ("zones", True),
    "installed_equipment": ("installed-equipment", True),
    "equipment_types": ("equipment-types", True),
    "location_findings": ("location-findings", True),
    "forms": ("forms", True),
    "submissions": ("submissions", False),
    "adjustments": ("adjustments", True),
    "purchase_orders": ("purchase-orders", True),
    "returns": ("returns", True),
    "transfers": ("transfers", True),
    "inventory_templates": ("inventory-templates", True),
    "purchase_order_markups": ("purchase-order-markups", True),
    "purchase_order_types": ("purchase-order-types", True),
    "purchase_order_requests": ("purchase-orders/requests", True),
    "receipts": ("receipts", True),
    "return_types": ("return-types", True),
    "trucks": ("trucks", True),
    "vendors": ("vendors", True),
    "vendors_custom_fields": ("vendors/custom-fields", True),
    "warehouses": ("warehouses", True),
    "call_reasons": ("call-reasons", True),
    "campaigns": ("campaigns", True),
    "costs": ("costs", False),
    "marketing_categories": ("categories", True),
    "reviews": ("reviews", True),
    "membership_types": ("membership-types", True),
    "memberships_export": ("memberships", True),
    "recurring_service_events": ("recurring-service-events", True),
    "recurring_service_types": ("recurring-service-types", True),
    "recurring_services": ("recurring-services", True),
    "membership_custom_fields": ("memberships/custom-fields", True),
    "activity_codes": ("activity-codes", True),
    "gross_pay_items": ("gross-pay-items", True),
    "job_splits": ("jobs/splits", True),
    "job_timesheets": ("jobs/timesheets", True),
    "payroll_adjustments": ("payroll-adjustments", True),
    "payroll_settings": ("payroll-settings", True),
    "timesheet_codes": ("timesheet-codes", True),
    "location_rates": ("locations/rates", True),
    "non_job_timesheets": ("non-job-timesheets", True),
    "payrolls": ("payrolls", True),
    "categories": ("categories", True),
    "export_equipment": ("equipment", True),
    "export_materials": ("materials", True),
    "export_services": ("services", True),
    "client_specific_pricing": ("clientspecificpricing", False),
    "discounts_and_fees": ("discounts-and-fees", True),
    "report_categories": ("report-categories", False),
    "schedulers": ("schedulers", True),
    "service_agreements": ("service-agreements", True),
    "tasks": ("tasks", True),
    "activities": ("activities", True),
    "activity_categories": ("activity-categories", True),
    "activity_types": ("activity-types", True),
}

#: List endpoints that never show deleted records, whatever ``active`` says.
ACTIVE_ONLY = frozenset({"customer_contacts", "location_contacts"})

SCHEMA = {
    "type": "object",
    "properties": {
        TENANT_FIELD: TENANT_PROPERTY,
        "stream": {"type": ["string"], "description": "The stream (raw table) counted."},
        "checked_at": {
            "type": ["string"],
            "format": "date-time",
            "description": "When the API was asked (the tap's clock, UTC).",
        },
        "counted_before": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "Both counts cover records created before this moment (the API's "
            "clock at the start of the run); null: the count is not bounded.",
        },
        "modified_since": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "start_date: both counts cover records modified on or after it.",
        },
        "active_only": {
            "type": ["boolean"],
            "description": "The endpoint counts active records only (deleted ones never show).",
        },
        "count_endpoint": {
            "type": ["string", "null"],
            "description": "The list endpoint asked (module/resource); null when none serves the stream.",
        },
        "api_total": {
            "type": ["integer", "null"],
            "description": "ServiceTitan's totalCount; null when not counted (see note).",
        },
        "note": {"type": ["string", "null"], "description": "Why a stream was not counted."},
    },
}


class CountUnavailableError(Exception):
    """The count endpoint refused (403: scope; 404): the stream is noted, the run goes on."""


def api_clock(response: requests.Response) -> dt.datetime | None:
    header = response.headers.get("Date")
    if not header:
        return None
    try:
        return email.utils.parsedate_to_datetime(header).astimezone(dt.timezone.utc)
    except (TypeError, ValueError):
        return None


class RecordCountsStream(ServiceTitanStream):
    """``record_counts``: one row per selected stream and run (see the module docs)."""

    name = STREAM_NAME
    module = ""
    path = ""
    primary_keys = (TENANT_FIELD, "stream", "checked_at")
    replication_key = None
    state_partitioning_keys: t.ClassVar[list[str]] = []
    #: Selected by meltano.yml; a tap run without a catalog does not count.
    selected_by_default = False

    def __init__(self, tap: Tap, api: ServiceTitanApi) -> None:
        super().__init__(tap, api)
        #: The tap whose other streams are counted.
        self.tap = tap
        self.counted_before: dt.datetime | None = None
        self.tenant_id = tenant_of(self.config)
        self._bounded = True

    @property
    @override
    def schema(self) -> dict:  # type: ignore[override]
        return SCHEMA

    def counted_streams(self) -> list[Stream]:
        """The other selected streams of this run (report streams aside: not records)."""
        return [
            stream
            for stream in self.tap.streams.values()
            if stream is not self and stream.selected and not isinstance(stream, CustomReportStream)
        ]

    @property
    @override
    def partitions(self) -> list[dict] | None:
        return [{"stream": stream.name} for stream in self.counted_streams()]

    def _stream(self, context: Context) -> Stream:
        return self.tap.streams[context["stream"]]

    @override
    def get_url(self, context: Context | None) -> str:
        assert context is not None
        stream = self._stream(context)
        resource, _ = COUNT_ENDPOINTS[stream.name]
        return self.api.module_url(stream.module) + resource

    @override
    def get_url_params(self, context: Context | None, next_page_token: t.Any) -> dict:
        assert context is not None
        params: dict[str, t.Any] = {
            "page": 1,
            "pageSize": 1,
            "includeTotal": "true",
            "active": "Any",
        }
        if self._bounded and self.created_bound(self._stream(context)):
            params["createdBefore"] = self.counted_before.strftime("%Y-%m-%dT%H:%M:%SZ")
        since = self.config.get("start_date")
        if since:
            params["modifiedOnOrAfter"] = str(since)
        return params

    @override
    def get_new_paginator(self) -> SinglePagePaginator:
        return SinglePagePaginator()

    def created_bound(self, stream: Stream) -> bool:
        _, has_param = COUNT_ENDPOINTS[stream.name]
        return has_param and "createdOn" in stream.schema.get("properties", {})

    @override
    def validate_response(self, response: requests.Response) -> None:
        if response.status_code in (403, 404):
            raise CountUnavailableError(f"{response.status_code} {response.reason}")
        super().validate_response(response)

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict]:
        yield {"total": page_body(response).get("totalCount"), "clock": api_clock(response)}

    def _count(self, stream: Stream) -> dict:
        """One count request: ``{"total": ..., "clock": ...}`` (thread-safe)."""
        return next(iter(self.request_records({"stream": stream.name})))

    @cached_property
    def _answers(self) -> dict[str, int | str | None]:
        """stream -> the API's count, or why there is none; asked side by side.

        First the API's clock (one request, unbounded), then every count at
        once, ``stream_concurrency`` requests in flight.
        """
        countable = [
            stream
            for stream in self.counted_streams()
            if stream.parent_stream_type is None and stream.name in COUNT_ENDPOINTS
        ]
        answers: dict[str, int | str | None] = {}
        for stream in countable:
            try:
                self._bounded = False
                clock = self._count(stream)["clock"]
            except CountUnavailableError as exc:
                answers[stream.name] = self._unavailable(stream, exc)
                continue
            finally:
                self._bounded = True
            self.counted_before = (clock or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
            break
        rest = [stream for stream in countable if stream.name not in answers]
        with ThreadPoolExecutor(self.api.stream_concurrency, "record-counts") as pool:
            answers.update(
                zip((s.name for s in rest), pool.map(self._total_or_note, rest), strict=True)
            )
        return answers

    def _total_or_note(self, stream: Stream) -> int | str | None:
        try:
            return self._count(stream)["total"]
        except CountUnavailableError as exc:
            return self._unavailable(stream, exc)

    @staticmethod
    def _unavailable(stream: Stream, exc: CountUnavailableError) -> str:
        return f"{stream.module}/{COUNT_ENDPOINTS[stream.name][0]} answered {exc}"

    @property
    def totals(self) -> dict[str, int]:
        """The API's count of each stream it could count (empty until this stream synced)."""
        if "_answers" not in self.__dict__:
            return {}
        return {name: n for name, n in self._answers.items() if isinstance(n, int)}

    @override
    def get_records(self, context: Context | None) -> Iterable[dict]:
        assert context is not None
        stream = self._stream(context)
        row = {
            "stream": stream.name,
            "counted_before": None,
            "modified_since": self.config.get("start_date"),
            "active_only": stream.name in ACTIVE_ONLY,
            "count_endpoint": None,
            "api_total": None,
            "note": None,
        }
        if stream.parent_stream_type is not None:
            row["note"] = "served per parent only: no tenant-wide count"
        elif stream.name not in COUNT_ENDPOINTS:
            row["note"] = "no list endpoint with includeTotal serves these records"
        else:
            row["count_endpoint"] = f"{stream.module}/{COUNT_ENDPOINTS[stream.name][0]}"
            answer = self._answers[stream.name]
            if isinstance(answer, str):
                row["note"] = answer
            else:
                row.update(self._counted(stream, answer))
        yield self._stamped(row)

    def _counted(self, stream: Stream, total: int | None) -> dict:
        """The row's count, its bound, and a note where either is missing."""
        if not self.created_bound(stream):
            note = "the endpoint has no createdBefore: the count covers every record"
            return {"api_total": total, "note": note}
        row = {"api_total": total, "counted_before": self.counted_before.isoformat()}
        if total is None:
            row["note"] = f"{stream.module}/{COUNT_ENDPOINTS[stream.name][0]} sent no totalCount"
        return row

    def _stamped(self, row: dict) -> dict:
        row[TENANT_FIELD] = self.tenant_id
        row["checked_at"] = dt.datetime.now(dt.timezone.utc).isoformat()
        return row
