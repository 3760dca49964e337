"""Service Agreements module (``service-agreements/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

service_agreements = Module("service-agreements")

STREAMS = (
    service_agreements.export(
        "service_agreements", "export/service-agreements", scope="tn.sa.serviceagreements:r"
    ),
)
