"""The KPI tables (docs/kpi-tables.md) computed in plain Python from raw records.

An independent reading of the rules (docs/kpi-tables.md, and
transforms/models/kpi/CONTRACT.md), never of the dbt models' SQL: the tests
build every KPI table here from the records the tap emits (camelCase fields,
nested objects, money as decimal strings or numbers) and compare whole
tables with the warehouse's.

``compute(records, tenant_id=..., timezone=..., run_date=...)`` returns, per
table, its rows as dicts keyed by the contract's columns (``last_synced_at``
left out). Money and hours are :class:`~decimal.Decimal` at the column's
scale, rates at 4 decimals, ids ``int``, dates :class:`datetime.date`,
``applied_on`` an aware :class:`datetime.datetime`. Arithmetic is exact
(:class:`fractions.Fraction`) until the contract's rounding.

Readings of the KPI rules where they leave a choice (each noted where it is applied):

- ``active`` null counts as active (only ``active`` false excludes a record).
- Between local(createdOn) and its first status change a membership has that
  change's ``oldStatus`` (the rules define the status only from a change on or
  before the date, or for memberships without changes; the change's
  ``oldStatus`` is what it was before). Before local(createdOn) it has none.
- ``activated`` ... ``suspended`` count status changes only: a membership
  created Active without status changes is active at month ends but not
  "activated".
- A Sold estimate without ``soldOn`` has no date and counts nowhere.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

#: Every KPI table's key columns, in order (the tables' primary keys).
KEYS: dict[str, tuple[str, ...]] = {
    "kpi_business_unit_daily": ("tenant_id", "business_unit_id", "date"),
    "kpi_technician_daily": ("tenant_id", "technician_id", "date"),
    "kpi_campaign_daily": ("tenant_id", "campaign_id", "date"),
    "kpi_membership_monthly": ("tenant_id", "membership_type_id", "business_unit_id", "month"),
    "kpi_ar_aging": ("tenant_id", "snapshot_date", "invoice_id"),
    "st_payment_applications": ("tenant_id", "payment_id", "invoice_id"),
}

#: Every table's non-key columns and their kind: ``money`` (2 decimals),
#: ``rate`` (4 decimals), ``count``, ``id``, ``date``, ``int``, ``text``, ``timestamp``.
COLUMNS: dict[str, dict[str, str]] = {
    "kpi_business_unit_daily": {
        "completed_revenue": "money",
        "adjustment_revenue": "money",
        "non_job_revenue": "money",
        "total_revenue": "money",
        "completed_jobs": "count",
        "opportunities": "count",
        "converted_jobs": "count",
        "closed_jobs": "count",
        "conversion_rate": "rate",
        "close_rate": "rate",
        "average_ticket": "money",
        "total_sales": "money",
        "sold_estimates": "count",
    },
    "kpi_technician_daily": {
        "completed_jobs": "count",
        "completed_revenue": "money",
        "opportunities": "count",
        "converted_jobs": "count",
        "closed_jobs": "count",
        "conversion_rate": "rate",
        "close_rate": "rate",
        "total_sales": "money",
        "sold_estimates": "count",
        "sold_hours": "money",
        "worked_hours": "money",
    },
    "kpi_campaign_daily": {
        "leads": "count",
        "booked_calls": "count",
        "booking_rate": "rate",
        "completed_jobs": "count",
        "converted_jobs": "count",
        "completed_revenue": "money",
        "cost": "money",
        "cost_per_lead": "money",
        "roi": "rate",
    },
    "kpi_membership_monthly": {
        "active_at_end": "count",
        "activated": "count",
        "canceled": "count",
        "expired": "count",
        "suspended": "count",
        "churn_rate": "rate",
    },
    "kpi_ar_aging": {
        "customer_id": "id",
        "business_unit_id": "id",
        "invoice_date": "date",
        "due_date": "date",
        "balance": "money",
        "days_past_due": "int",
        "bucket": "text",
    },
    "st_payment_applications": {
        "applied_amount": "money",
        "applied_on": "timestamp",
    },
}
KEY_KINDS = {"tenant_id": "id", "date": "date", "month": "date", "snapshot_date": "date"}
TABLES = tuple(KEYS)
CENT = Decimal("0.01")
RATE = Decimal("0.0001")
ZERO = Fraction(0)
#: Columns that are rates, not measures: they never make a row exist.
DERIVED = frozenset(
    {
        "conversion_rate",
        "close_rate",
        "average_ticket",
        "booking_rate",
        "cost_per_lead",
        "roi",
        "churn_rate",
    }
)


# --- values ----------------------------------------------------------------


def number(value: Any) -> Fraction | None:
    """A money/number field (decimal string, int, float, Decimal) as an exact Fraction."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        return Fraction(Decimal(value))
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    return Fraction(value)


_FRACTION = re.compile(r"(\.\d{6})\d+")


def instant(value: Any) -> dt.datetime | None:
    """An ISO 8601 instant (``Z``, an offset, or none = UTC) as an aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        text = _FRACTION.sub(r"\1", str(value).strip().replace("Z", "+00:00"))
        parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed


def calendar_date(value: Any) -> dt.date | None:
    """``invoiceDate`` / ``dueDate``: the date part as sent (no time zone conversion)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def round_half_up(value: Fraction, places: int) -> Decimal:
    """PostgreSQL's round(numeric, places): halves away from zero."""
    quantum = Decimal(1).scaleb(-places)
    scaled = value * 10**places
    whole = int(abs(scaled) + Fraction(1, 2))  # floor(|x| + 1/2)
    return (Decimal(whole if scaled >= 0 else -whole) * quantum).quantize(
        quantum, rounding=ROUND_HALF_UP
    )


def truncate(value: Fraction, places: int) -> Fraction:
    """trunc(x, places): toward zero."""
    scaled = value * 10**places
    whole = int(scaled)  # int() truncates toward zero
    return Fraction(whole, 10**places)


def money(value: Fraction) -> Decimal:
    """A numeric(14,2) value (sums of 2-decimal inputs are exact; a cast rounds half up)."""
    return round_half_up(value, 2)


def ratio(numerator: Fraction, denominator: Fraction, places: int) -> Decimal | None:
    """round(numerator / denominator, places); null when the denominator is 0."""
    if denominator == 0:
        return None
    return round_half_up(Fraction(numerator) / Fraction(denominator), places)


def ident(value: Any) -> int | None:
    return None if value is None else int(value)


def nested_id(record: Mapping, name: str) -> int | None:
    """``record[name].id`` (``businessUnit``, ``job``, ``campaign`` ...), null-safe."""
    obj = record.get(name)
    if not isinstance(obj, Mapping):
        return None
    return ident(obj.get("id"))


def is_active(record: Mapping) -> bool:
    """The rule "active only": ``active`` false counts nowhere (null counts as active)."""
    return record.get("active") is not False


def latest_by_id(records: Iterable[dict]) -> dict[Any, dict]:
    """A stream's records by id, the last one of an id winning (the loader's upsert)."""
    return {record["id"]: record for record in records}


# --- the shared rules --------------------------------------------------------


@dataclass
class Rules:
    """The KPI tables' shared rules applied once to a tenant's records."""

    records: Mapping[str, Iterable[dict]]
    timezone: str
    run_date: dt.date
    zone: ZoneInfo = field(init=False)

    def __post_init__(self) -> None:
        self.zone = ZoneInfo(self.timezone)
        raw = {name: list(rows) for name, rows in self.records.items()}
        streams = {name: latest_by_id(rows) for name, rows in raw.items()}
        self.gl_types = {ident(k): v.get("type") for k, v in streams.get("gl_accounts", {}).items()}
        self.job_types = {ident(k): v for k, v in streams.get("job_types", {}).items()}
        self.all_jobs = {ident(k): v for k, v in streams.get("jobs", {}).items()}
        self.jobs = {k: v for k, v in self.all_jobs.items() if is_active(v)}
        self.invoices = {
            ident(k): v for k, v in streams.get("invoices", {}).items() if is_active(v)
        }
        self.items = [
            v
            for v in streams.get("invoice_items", {}).values()
            if is_active(v) and ident(v.get("invoiceId")) in self.invoices
        ]
        self.estimates = [v for v in streams.get("estimates", {}).values() if is_active(v)]
        self.splits = [v for v in streams.get("job_splits", {}).values() if is_active(v)]
        self.assignments = [
            v for v in streams.get("appointment_assignments", {}).values() if is_active(v)
        ]
        self.timesheets = [v for v in streams.get("job_timesheets", {}).values() if is_active(v)]
        self.calls = [v for v in streams.get("calls", {}).values() if is_active(v)]
        self.costs = list(streams.get("costs", {}).values())
        self.memberships = [
            v for v in streams.get("memberships_export", {}).values() if is_active(v)
        ]
        self.status_changes = [
            v for v in streams.get("membership_status_changes", {}).values() if is_active(v)
        ]
        self.payments = [v for v in streams.get("payments", {}).values() if is_active(v)]
        self.completed = self._completed_jobs()

    def local_date(self, value: Any) -> dt.date | None:
        """An instant's local date in the tenant's time zone: (ts AT TIME ZONE tz)::date."""
        moment = instant(value)
        return None if moment is None else moment.astimezone(self.zone).date()

    # Income item: generalLedgerAccount.type is Income (trimmed, any case); when
    # the item's type is null or empty, gl_accounts.type of the account's id; an
    # item without a GL account (null object or null id) is not income.
    def is_income(self, item: Mapping) -> bool:
        account = item.get("generalLedgerAccount")
        if not isinstance(account, Mapping) or account.get("id") is None:
            return False
        kind = account.get("type")
        if kind is None or not str(kind).strip():
            kind = self.gl_types.get(ident(account["id"]))
        return kind is not None and str(kind).strip().lower() == "income"

    # An income item's business unit: the item's businessUnit.id, else its invoice's.
    def item_business_unit(self, item: Mapping) -> int | None:
        own = nested_id(item, "businessUnit")
        if own is not None:
            return own
        return nested_id(self.invoices[ident(item["invoiceId"])], "businessUnit")

    # Invoice classes: adjustment (adjustmentToId set), job (else job.id set),
    # non_job (else, unless invoiceConfiguration is ARImportInvoice), None (AR import).
    @staticmethod
    def invoice_class(invoice: Mapping) -> str | None:
        if invoice.get("adjustmentToId") is not None:
            return "adjustment"
        if nested_id(invoice, "job") is not None:
            return "job"
        if invoice.get("invoiceConfiguration") != "ARImportInvoice":
            return "non_job"
        return None

    def income_items(self) -> Iterable[tuple[dict, dict]]:
        """(item, its invoice) for every active income item of an active invoice."""
        for item in self.items:
            if self.is_income(item):
                yield item, self.invoices[ident(item["invoiceId"])]

    def _completed_jobs(self) -> dict[int, CompletedJob]:
        """Completed jobs (active, jobStatus Completed, completedOn set) with their figures."""
        completed: dict[int, CompletedJob] = {}
        for job_id, job in self.jobs.items():
            if job.get("jobStatus") != "Completed" or instant(job.get("completedOn")) is None:
                continue
            job_type = self.job_types.get(ident(job.get("jobTypeId"))) or {}
            completed[job_id] = CompletedJob(
                job=job,
                date=self.local_date(job["completedOn"]),
                threshold=number(job_type.get("soldThreshold")) or ZERO,  # null = 0
            )
        # its invoice subtotal: subTotal of its active job invoices, summed (0 when none)
        for invoice in self.invoices.values():
            job_id = nested_id(invoice, "job")
            if self.invoice_class(invoice) == "job" and job_id in completed:
                completed[job_id].invoice_subtotal += number(invoice.get("subTotal")) or ZERO
        # its completed revenue and sold hours: income items of its job invoices
        for item, invoice in self.income_items():
            job_id = nested_id(invoice, "job")
            if self.invoice_class(invoice) == "job" and job_id in completed:
                one = completed[job_id]
                one.revenue += number(item.get("total")) or ZERO
                one.sold_hours += number(item.get("soldHours")) or ZERO
                one.revenue_by_unit[self.item_business_unit(item)] += (
                    number(item.get("total")) or ZERO
                )
        # closed: the active Sold estimates' subtotals, summed
        for estimate in self.estimates:
            job_id = ident(estimate.get("jobId"))
            if is_sold(estimate) and job_id in completed:
                completed[job_id].sold_subtotal += number(estimate.get("subtotal")) or ZERO
        return completed

    def sold_estimates(self) -> Iterable[tuple[dict, dt.date]]:
        """Active estimates with status Sold and their local(soldOn) (none without soldOn)."""
        for estimate in self.estimates:
            day = self.local_date(estimate.get("soldOn"))
            if is_sold(estimate) and day is not None:
                yield estimate, day


def is_sold(estimate: Mapping) -> bool:
    status = estimate.get("status")
    return isinstance(status, Mapping) and status.get("name") == "Sold"


@dataclass
class CompletedJob:
    """A completed job, counted on ``date``; the sold-threshold rules as properties."""

    job: dict
    date: dt.date
    threshold: Fraction
    invoice_subtotal: Fraction = ZERO
    sold_subtotal: Fraction = ZERO
    revenue: Fraction = ZERO
    sold_hours: Fraction = ZERO
    revenue_by_unit: dict[int | None, Fraction] = field(
        default_factory=lambda: defaultdict(Fraction)
    )

    def meets(self, amount: Fraction) -> bool:
        """An amount meets the threshold when it is > 0 and >= the threshold."""
        return amount > 0 and amount >= self.threshold

    @property
    def opportunity(self) -> bool:
        """Not noCharge, or noCharge and its invoice subtotal meets the threshold."""
        return not self.job.get("noCharge") or self.meets(self.invoice_subtotal)

    @property
    def converted(self) -> bool:
        return self.opportunity and self.meets(self.invoice_subtotal)

    @property
    def closed(self) -> bool:
        return self.opportunity and self.meets(self.sold_subtotal)

    @property
    def business_units(self) -> set[int | None]:
        """Every business unit holding one of its income items; the job's own when none."""
        if self.revenue_by_unit:
            return set(self.revenue_by_unit)
        return {ident(self.job.get("businessUnitId"))}


# --- the tables ----------------------------------------------------------------


class Measures(defaultdict):
    """Measures by key: ``table[key][column] += x``."""

    def __init__(self) -> None:
        super().__init__(lambda: defaultdict(Fraction))


def rows_of(
    table: str,
    measures: Measures,
    tenant_id: int,
    run_date: dt.date,
    derive: Any,
    date_column: str,
) -> list[dict]:
    """Rows with any non-zero measure, none after the run's date; derived columns added."""
    key_names = KEYS[table][1:]
    rows = []
    for key, values in measures.items():
        row = dict(zip(key_names, key, strict=True))
        if row[date_column] > run_date:
            continue
        if not any(values.get(c, ZERO) != 0 for c in COLUMNS[table] if c not in DERIVED):
            continue
        full = {"tenant_id": tenant_id, **row}
        for column, kind in COLUMNS[table].items():
            if column in DERIVED:
                continue
            value = values.get(column, ZERO)
            full[column] = money(value) if kind == "money" else int(value)
        full.update(derive(values))
        rows.append(full)
    return rows


def business_unit_daily(rules: Rules, tenant_id: int) -> list[dict]:
    """kpi_business_unit_daily: revenue by item business unit, job counts, sales."""
    table = Measures()
    for item, invoice in rules.income_items():
        unit = rules.item_business_unit(item)
        amount = number(item.get("total")) or ZERO
        kind = rules.invoice_class(invoice)
        if kind == "adjustment":  # by invoiceDate
            day = calendar_date(invoice.get("invoiceDate"))
            if day is not None:
                table[unit, day]["adjustment_revenue"] += amount
        elif kind == "non_job":  # by invoiceDate; ARImportInvoice excluded (kind None)
            day = calendar_date(invoice.get("invoiceDate"))
            if day is not None:
                table[unit, day]["non_job_revenue"] += amount
    for job in rules.completed.values():
        # completed revenue by the job's completion date and the item's business unit
        for unit, amount in job.revenue_by_unit.items():
            table[unit, job.date]["completed_revenue"] += amount
        # distinct jobs under every business unit holding one of its income items
        for unit in job.business_units:
            values = table[unit, job.date]
            values["completed_jobs"] += 1
            values["opportunities"] += job.opportunity
            values["converted_jobs"] += job.converted
            values["closed_jobs"] += job.closed
    # sales: Sold estimates by local(soldOn), the estimate's business unit, else its job's
    for estimate, day in rules.sold_estimates():
        unit = ident(estimate.get("businessUnitId"))
        if unit is None:
            job = rules.all_jobs.get(ident(estimate.get("jobId"))) or {}
            unit = ident(job.get("businessUnitId"))
        table[unit, day]["total_sales"] += number(estimate.get("subtotal")) or ZERO
        table[unit, day]["sold_estimates"] += 1
    for values in table.values():
        values["total_revenue"] = (
            values["completed_revenue"] + values["adjustment_revenue"] + values["non_job_revenue"]
        )

    def derive(values: dict) -> dict:
        return {
            "conversion_rate": ratio(values["converted_jobs"], values["opportunities"], 4),
            "close_rate": ratio(values["closed_jobs"], values["opportunities"], 4),
            "average_ticket": ratio(values["completed_revenue"], values["completed_jobs"], 2),
        }

    return rows_of("kpi_business_unit_daily", table, tenant_id, rules.run_date, derive, "date")


def split_shares(amount: Fraction, splits: dict[int, Fraction]) -> dict[int | None, Fraction]:
    """CONTRACT allocation: trunc(amount * split / total, 2) each, the lead takes the rest.

    ``splits``: technician -> summed active split of one job. The lead is the
    largest split (ties: lowest technician id). Without splits, or when they sum
    to 0, everything goes to technician null.
    """
    total = sum(splits.values(), ZERO)
    if not splits or total == 0:
        return {None: amount}
    lead = min(splits, key=lambda tech: (-splits[tech], tech))
    shares: dict[int | None, Fraction] = {
        tech: truncate(amount * split / total, 2) for tech, split in splits.items() if tech != lead
    }
    shares[lead] = amount - sum(shares.values(), ZERO)
    return shares


def technician_daily(rules: Rules, tenant_id: int) -> list[dict]:
    """kpi_technician_daily: split revenue and hours, assigned job counts, sales, hours worked."""
    table = Measures()
    splits: dict[int, dict[int, Fraction]] = defaultdict(lambda: defaultdict(Fraction))
    for split in rules.splits:  # one technician's splits on one job are summed first
        if split.get("technicianId") is not None:
            splits[ident(split["jobId"])][ident(split["technicianId"])] += (
                number(split.get("split")) or ZERO
            )
    for job_id, job in rules.completed.items():
        job_splits = splits.get(job_id, {})
        for tech, share in split_shares(job.revenue, job_splits).items():
            table[tech, job.date]["completed_revenue"] += share
        for tech, share in split_shares(job.sold_hours, job_splits).items():
            table[tech, job.date]["sold_hours"] += share
    assigned: dict[int, set[int]] = defaultdict(set)
    for assignment in rules.assignments:
        if assignment.get("technicianId") is not None:
            assigned[ident(assignment["jobId"])].add(ident(assignment["technicianId"]))
    for job_id, techs in assigned.items():
        job = rules.completed.get(job_id)
        if job is None:
            continue
        for tech in techs:  # counted once per technician
            values = table[tech, job.date]
            values["completed_jobs"] += 1
            values["opportunities"] += job.opportunity
            values["converted_jobs"] += job.converted
            values["closed_jobs"] += job.closed
    for estimate, day in rules.sold_estimates():  # soldBy; null soldBy: technician null
        values = table[ident(estimate.get("soldBy")), day]
        values["total_sales"] += number(estimate.get("subtotal")) or ZERO
        values["sold_estimates"] += 1
    seconds: dict[tuple, Fraction] = defaultdict(Fraction)
    for sheet in rules.timesheets:  # whatever the job's status, by local(arrivedOn)
        arrived, done = instant(sheet.get("arrivedOn")), instant(sheet.get("doneOn"))
        if arrived is None or done is None:
            continue
        delta = done - arrived
        key = (ident(sheet.get("technicianId")), rules.local_date(arrived))
        seconds[key] += Fraction(delta.days * 86400 + delta.seconds) + Fraction(
            delta.microseconds, 10**6
        )
    for key, total in seconds.items():
        # worked_hours = round(seconds / 3600, 2) per (technician, date): set exactly
        table[key]["worked_hours"] = Fraction(round_half_up(total / 3600, 2))

    def derive(values: dict) -> dict:
        return {
            "conversion_rate": ratio(values["converted_jobs"], values["opportunities"], 4),
            "close_rate": ratio(values["closed_jobs"], values["opportunities"], 4),
        }

    return rows_of("kpi_technician_daily", table, tenant_id, rules.run_date, derive, "date")


def campaign_daily(rules: Rules, tenant_id: int) -> list[dict]:
    """kpi_campaign_daily: inbound leads, completed jobs by campaignId, daily cost."""
    table = Measures()
    for call in rules.calls:
        if call.get("direction") != "Inbound" or call.get("type") not in ("Booked", "Unbooked"):
            continue
        values = table[nested_id(call, "campaign"), rules.local_date(call.get("createdOn"))]
        values["leads"] += 1
        values["booked_calls"] += call.get("type") == "Booked"
    for job in rules.completed.values():
        values = table[ident(job.job.get("campaignId")), job.date]
        values["completed_jobs"] += 1
        values["converted_jobs"] += job.converted
        values["completed_revenue"] += job.revenue
    monthly: dict[tuple, Fraction] = defaultdict(Fraction)
    for cost in rules.costs:  # summed per campaign, year and month
        key = (ident(cost.get("campaignId")), int(cost["year"]), int(cost["month"]))
        monthly[key] += number(cost.get("dailyCost")) or ZERO
    for (campaign, year, month), daily in monthly.items():
        if daily == 0:
            continue
        for day in range(1, calendar.monthrange(year, month)[1] + 1):
            date = dt.date(year, month, day)
            if date <= rules.run_date:  # every day of the month up to the run's date
                table[campaign, date]["cost"] += daily

    def derive(values: dict) -> dict:
        return {
            "booking_rate": ratio(values["booked_calls"], values["leads"], 4),
            "cost_per_lead": ratio(values["cost"], values["leads"], 2),
            "roi": ratio(values["completed_revenue"], values["cost"], 4),
        }

    return rows_of("kpi_campaign_daily", table, tenant_id, rules.run_date, derive, "date")


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def next_month(month: dt.date) -> dt.date:
    return (month_end(month) + dt.timedelta(days=1)).replace(day=1)


def membership_monthly(rules: Rules, tenant_id: int) -> list[dict]:
    """kpi_membership_monthly: Active at each month's end, status changes in the month.

    Status on a date: newStatus of the last status change on or before it (by
    local(createdOn), then createdOn, then id); before its first change, that
    change's oldStatus from local(createdOn); without changes, the current
    status from local(createdOn). Groups: the membership's current
    membershipTypeId and businessUnitId. Months: the first membership's
    (earliest local createdOn) through the run's; the run's month ends on the
    run's date. Changes of inactive memberships, inactive changes and changes
    after the run's date count nowhere.
    """
    memberships = {ident(m["id"]): m for m in rules.memberships}
    if not memberships:
        return []
    changes: dict[int, list[tuple]] = defaultdict(list)
    for change in rules.status_changes:
        owner = ident(change.get("membershipId"))
        if owner in memberships:
            moment = instant(change.get("createdOn"))
            changes[owner].append(
                (
                    rules.local_date(moment),
                    moment,
                    ident(change["id"]),
                    change.get("newStatus"),
                    change.get("oldStatus"),
                )
            )
    for owned in changes.values():
        owned.sort()
    first = min(rules.local_date(m.get("createdOn")) for m in memberships.values())
    run_month = rules.run_date.replace(day=1)
    table = Measures()
    month = first.replace(day=1)
    while month <= run_month:
        last_day = rules.run_date if month == run_month else month_end(month)
        for mid, membership in memberships.items():
            group = (
                ident(membership.get("membershipTypeId")),
                ident(membership.get("businessUnitId")),
            )
            owned = changes.get(mid)
            created = rules.local_date(membership.get("createdOn"))
            if owned:
                before = [c for c in owned if c[0] <= last_day]
                # before its first change: that change's oldStatus, from createdOn
                first_old = owned[0][4] if created <= last_day else None
                status = before[-1][3] if before else first_old
                for day, _, _, new, _ in owned:
                    if month <= day <= last_day:
                        column = {
                            "Active": "activated",
                            "Canceled": "canceled",
                            "Expired": "expired",
                            "Suspended": "suspended",
                        }.get(new)
                        if column:
                            table[(*group, month)][column] += 1
            else:
                status = membership.get("status") if created <= last_day else None
            if status == "Active":
                table[(*group, month)]["active_at_end"] += 1
        month = next_month(month)

    # churn_rate: (canceled + expired) / the group's previous month's active_at_end
    def derive_for(key: tuple) -> Any:
        *group, month = key
        previous = (month - dt.timedelta(days=1)).replace(day=1)
        before = table.get((*group, previous), {}).get("active_at_end", ZERO)

        def derive(values: dict) -> dict:
            return {"churn_rate": ratio(values["canceled"] + values["expired"], before, 4)}

        return derive

    rows = []
    for key in list(table):
        single = Measures()
        single[key] = table[key]
        rows += rows_of(
            "kpi_membership_monthly", single, tenant_id, rules.run_date, derive_for(key), "month"
        )
    return rows


def aging_bucket(days_past_due: int | None) -> str:
    if days_past_due is None:
        return "no_terms"
    if days_past_due <= 0:
        return "current"
    for upper, name in ((30, "1-30"), (60, "31-60"), (90, "61-90"), (120, "91-120")):
        if days_past_due <= upper:
            return name
    return "over_120"


def ar_aging(rules: Rules, tenant_id: int) -> list[dict]:
    """kpi_ar_aging at snapshot_date = the run's date.

    Active invoices with a non-null balance other than 0 whose syncStatus is
    not Pending (null is not pending), every invoice class.
    """
    rows = []
    for invoice_id, invoice in rules.invoices.items():
        balance = number(invoice.get("balance"))
        if balance is None or balance == 0 or invoice.get("syncStatus") == "Pending":
            continue
        due = calendar_date(invoice.get("dueDate"))
        days = None if due is None else (rules.run_date - due).days
        rows.append(
            {
                "tenant_id": tenant_id,
                "snapshot_date": rules.run_date,
                "invoice_id": invoice_id,
                "customer_id": nested_id(invoice, "customer"),
                "business_unit_id": nested_id(invoice, "businessUnit"),
                "invoice_date": calendar_date(invoice.get("invoiceDate")),
                "due_date": due,
                "balance": money(balance),
                "days_past_due": days,
                "bucket": aging_bucket(days),
            }
        )
    return rows


def payment_applications(rules: Rules, tenant_id: int) -> list[dict]:
    """st_payment_applications: active payments' appliedTo, summed per (payment, invoice).

    applied_on is the latest appliedOn of them; entries without an invoice id
    are skipped.
    """
    grouped: dict[tuple, dict] = {}
    for payment in rules.payments:
        for entry in payment.get("appliedTo") or []:
            invoice_id = ident(entry.get("appliedTo"))
            if invoice_id is None:
                continue
            key = (ident(payment["id"]), invoice_id)
            one = grouped.setdefault(key, {"amount": ZERO, "on": None})
            one["amount"] += number(entry.get("appliedAmount")) or ZERO
            applied = instant(entry.get("appliedOn"))
            if applied is not None and (one["on"] is None or applied > one["on"]):
                one["on"] = applied
    return [
        {
            "tenant_id": tenant_id,
            "payment_id": payment_id,
            "invoice_id": invoice_id,
            "applied_amount": money(one["amount"]),
            "applied_on": one["on"],
        }
        for (payment_id, invoice_id), one in grouped.items()
    ]


def compute(
    records: Mapping[str, Iterable[dict]],
    *,
    tenant_id: int,
    timezone: str,
    run_date: dt.date,
) -> dict[str, list[dict]]:
    """Every KPI table of one tenant from its raw records (stream -> records)."""
    rules = Rules(records, timezone, run_date)
    return {
        "kpi_business_unit_daily": business_unit_daily(rules, tenant_id),
        "kpi_technician_daily": technician_daily(rules, tenant_id),
        "kpi_campaign_daily": campaign_daily(rules, tenant_id),
        "kpi_membership_monthly": membership_monthly(rules, tenant_id),
        "kpi_ar_aging": ar_aging(rules, tenant_id),
        "st_payment_applications": payment_applications(rules, tenant_id),
    }


# --- comparing with the warehouse ----------------------------------------------


def normalize(table: str, row: Mapping) -> dict:
    """A row of either side in one shape: contract columns only, values at their scale."""
    out = {}
    kinds = {**{k: KEY_KINDS.get(k, "id") for k in KEYS[table]}, **COLUMNS[table]}
    for column, kind in kinds.items():
        value = row.get(column)
        if value is None:
            out[column] = None
        elif kind == "money":
            out[column] = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
        elif kind == "rate":
            out[column] = Decimal(value).quantize(RATE, rounding=ROUND_HALF_UP)
        elif kind in ("count", "id", "int"):
            out[column] = int(value)
        elif kind == "date":
            out[column] = value.date() if isinstance(value, dt.datetime) else value
        elif kind == "timestamp":
            out[column] = instant(value).astimezone(dt.timezone.utc)
        else:
            out[column] = value
    return out


def _key(table: str, row: Mapping) -> tuple:
    return tuple(row[k] for k in KEYS[table])


def _sort_key(key: tuple) -> tuple:
    return tuple((value is not None, str(value)) for value in key)


def diff(
    table: str, expected: Iterable[Mapping], actual: Iterable[Mapping], limit: int = 30
) -> str:
    """A readable difference of two versions of a table ('' when equal).

    Rows are matched by the table's key; lists rows only one side has, then
    the columns that differ, at most ``limit`` lines.
    """
    want: dict[tuple, dict] = {}
    got: dict[tuple, dict] = {}
    lines = []
    for side, rows, name in ((want, expected, "expected"), (got, actual, "warehouse")):
        for row in rows:
            one = normalize(table, row)
            key = _key(table, one)
            if key in side:
                lines.append(f"  duplicate key in {name}: {key}")
            side[key] = one
    names = KEYS[table]

    def show_key(key: tuple) -> str:
        return ", ".join(f"{n}={v}" for n, v in zip(names, key, strict=True) if n != "tenant_id")

    def show_row(row: dict) -> str:
        return ", ".join(f"{k}={v}" for k, v in row.items() if k not in names and v is not None)

    for key in sorted(want.keys() - got.keys(), key=_sort_key):
        lines.append(f"  missing  [{show_key(key)}] {show_row(want[key])}")
    for key in sorted(got.keys() - want.keys(), key=_sort_key):
        lines.append(f"  extra    [{show_key(key)}] {show_row(got[key])}")
    for key in sorted(want.keys() & got.keys(), key=_sort_key):
        changed = [
            f"{column}: expected {want[key][column]} got {got[key][column]}"
            for column in COLUMNS[table]
            if want[key][column] != got[key][column]
        ]
        if changed:
            lines.append(f"  differs  [{show_key(key)}] " + "; ".join(changed))
    if not lines:
        return ""
    shown = lines[:limit]
    if len(lines) > limit:
        shown.append(f"  ... and {len(lines) - limit} more")
    return f"{table}: {len(want)} expected rows, {len(got)} in the warehouse\n" + "\n".join(shown)


def diff_all(
    expected: Mapping[str, Iterable[Mapping]], actual: Mapping[str, Iterable[Mapping]]
) -> str:
    """diff() of every table in ``expected``, joined ('' when all are equal)."""
    return "\n".join(
        text for table in expected if (text := diff(table, expected[table], actual[table]))
    )
