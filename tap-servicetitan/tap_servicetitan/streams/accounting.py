"""Accounting module: invoices."""

from __future__ import annotations

from tap_servicetitan.client import ExportStream


class InvoicesStream(ExportStream):
    """Invoices; money arrives as decimal strings and leaves as exact numbers."""

    module = "accounting"
    name = "invoices"
    path = "export/invoices"
    scope = "tn.acc.invoices:r"
    decimal_string_fields = ("subTotal", "salesTax", "total", "balance", "discountTotal")


STREAMS = (InvoicesStream,)
