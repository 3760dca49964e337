"""Marketing module (``marketing/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

marketing = Module("marketing")

STREAMS = (
    marketing.listing(
        "campaigns", "campaigns", scope="tn.mrk.campaigns:r", incremental=True, active=True
    ),
    marketing.listing("costs", "costs", scope="tn.mrk.costs:r"),
    marketing.listing(
        "marketing_categories", "categories", scope="tn.mrk.categories:r", incremental=True
    ),
)
