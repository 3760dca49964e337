"""Customer Interactions module (``customer-interactions/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

customer_interactions = Module("customer-interactions")

STREAMS = (
    customer_interactions.export(
        "technician_ratings",
        "export/technician-ratings",
        scope="tn.csi.technicianrating:r",
        keys=(
            "technicianId",
            "jobId",
        ),
    ),
)
