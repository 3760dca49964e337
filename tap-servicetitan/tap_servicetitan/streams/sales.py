"""Sales module (``sales/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

sales = Module("sales")

STREAMS = (
    sales.export("estimates", "export/estimates", scope="tn.sal.estimates:r"),
    sales.listing(
        "estimate_items",
        "estimates/items",
        scope="tn.sal.estimates:r",
        incremental=True,
        active=True,
    ),
    sales.listing(
        "estimate_templates",
        "estimate-templates",
        scope="tn.sal.estimatetemplates:r",
        incremental=True,
        active=True,
    ),
    sales.listing(
        "proposal_templates",
        "proposal-templates",
        scope="tn.sal.proposaltemplates:r",
        incremental=True,
        active=True,
    ),
    sales.listing("proposal_types", "proposal-types", scope="tn.sal.proposaltypes:r", active=True),
)
