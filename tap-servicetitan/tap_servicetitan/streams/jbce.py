"""Job Booking (call reasons) module (``jbce/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

jbce = Module("jbce")

STREAMS = (
    jbce.listing(
        "call_reasons", "call-reasons", scope="tn.jbce.callreasons:r", incremental=True, active=True
    ),
)
