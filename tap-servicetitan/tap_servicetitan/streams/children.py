"""Child streams, one row per per-parent endpoint (ENDPOINTS.md kind ``per-parent``).

A row names the stream, its parent stream, the endpoint (the reference's path
under the module, with the parent-id placeholder), the scope, the name of the
parent's id in the records, the key, and whether the endpoint takes
``modifiedOnOrAfter`` and ``active``. :func:`child_streams` turns the rows
whose parent is a stream of the tap into :class:`ChildStream` classes; adding
an endpoint is adding a row (and regenerating the schemas).

Names follow the MeltanoLabs tap where it has the endpoint as a child stream.
Where its name belongs to the export feed of the same records (``job_notes``
is ``export/job-notes``), the child stream is ``<name>_by_<parent>``: the
export feed is the cheaper path, the child stream serves apps without the
export's scope.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from tap_servicetitan.children import ChildStream

if t.TYPE_CHECKING:
    from tap_servicetitan.client import ServiceTitanStream


@dataclass(frozen=True)
class ChildRow:
    """One per-parent endpoint as a stream."""

    name: str
    parent: str
    module: str
    path: str
    scope: str
    parent_key: str
    primary_keys: tuple[str, ...]
    replication_key: str | None = "modifiedOn"
    takes_modified_since: bool = False
    takes_active: bool = False

    @property
    def reference_url(self) -> str:
        """The endpoint's URL in the API reference (``endpoints.json``)."""
        return f"/{self.module}/v2/tenant/{{tenant}}/{self.path}"


CHILD_ROWS: tuple[ChildRow, ...] = (
    ChildRow(
        "customer_notes", "customers", "crm", "customers/{id}/notes",
        "tn.crm.customers:r", "customerId", ("customerId", "id"), takes_modified_since=True,
    ),
    ChildRow(
        "location_notes", "locations", "crm", "locations/{id}/notes",
        "tn.crm.locations:r", "locationId", ("locationId", "id"), takes_modified_since=True,
    ),
    ChildRow(
        "job_canceled_log", "jobs", "jpm", "jobs/{id}/canceled-log",
        "tn.jpm.jobs:r", "jobId", ("jobId", "id"), replication_key=None,
    ),
    ChildRow(
        "job_notes_by_job", "jobs", "jpm", "jobs/{id}/notes",
        "tn.jpm.jobs:r", "jobId", ("jobId", "createdOn", "createdById"),
    ),
    ChildRow(
        "job_splits_by_job", "jobs", "payroll", "jobs/{job}/splits",
        "tn.prl.jobs:r", "jobId", ("jobId", "id"), takes_modified_since=True, takes_active=True,
    ),
    ChildRow(
        "job_timesheets_by_job", "jobs", "payroll", "jobs/{job}/timesheets",
        "tn.prl.jobs:r", "jobId", ("jobId", "id"), takes_modified_since=True, takes_active=True,
    ),
    ChildRow(
        "invoice_tasks", "invoices", "accounting", "invoices/{invoiceId}/tasks",
        "tn.acc.invoices:r", "invoiceId", ("invoiceId", "taskId"), replication_key=None,
    ),
    ChildRow(
        "technician_payrolls", "technicians", "payroll", "technicians/{technician}/payrolls",
        "tn.prl.technicians:r", "technicianId", ("technicianId", "id"),
        takes_modified_since=True, takes_active=True,
    ),
)  # fmt: skip


def child_streams(parents: t.Iterable[type[ServiceTitanStream]]) -> tuple[type[ChildStream], ...]:
    """A class per row whose parent is among ``parents``."""
    by_name = {parent.name: parent for parent in parents}
    return tuple(
        _child_class(row, by_name[row.parent]) for row in CHILD_ROWS if row.parent in by_name
    )


def _child_class(row: ChildRow, parent: type[ServiceTitanStream]) -> type[ChildStream]:
    class_name = "".join(part.title() for part in row.name.split("_")) + "Stream"
    return type(
        class_name,
        (ChildStream,),
        {
            "__doc__": f"``{row.path}``: children of {row.parent}, one request per parent.",
            "__module__": __name__,
            "name": row.name,
            "parent_stream_type": parent,
            "module": row.module,
            "path": row.path,
            "scope": row.scope,
            "parent_key": row.parent_key,
            "primary_keys": row.primary_keys,
            "replication_key": row.replication_key,
            "takes_modified_since": row.takes_modified_since,
            "filters_active": row.takes_active,
        },
    )
