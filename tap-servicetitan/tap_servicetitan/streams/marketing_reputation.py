"""Marketing Reputation module (``marketingreputation/v2/tenant/{tenant}/...``): its streams.

A review has no id of its own: it is keyed by the review site (``platform``)
and the site's id of the review (``externalId``); one without ``externalId`` is
keyed by a hash of its site, author, date and job (record_checks.py).
"""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

marketing_reputation = Module("marketingreputation")

STREAMS = (
    marketing_reputation.listing(
        "reviews",
        "reviews",
        scope="tn.mrep.reviews:r",
        keys=("externalId", "platform"),
        incremental=True,
        surrogate_basis=("platform", "authorName", "authorEmail", "publishDate", "jobId"),
    ),
)
