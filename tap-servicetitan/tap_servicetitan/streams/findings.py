"""Findings module (``findings/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

findings = Module("findings")

STREAMS = (
    findings.listing(
        "location_findings",
        "location-findings",
        scope="tn.fdgs.locationfindings:r",
        incremental=True,
        active=True,
    ),
)
