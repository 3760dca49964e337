"""Reporting module (``reporting/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

reporting = Module("reporting")

STREAMS = (
    reporting.listing("report_categories", "report-categories", scope="tn.rpr.reportcategories:r"),
)
