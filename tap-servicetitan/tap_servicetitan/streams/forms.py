"""Forms module (``forms/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

forms = Module("forms")

STREAMS = (
    forms.listing("forms", "forms", scope="tn.frm.forms:r", incremental=True, active=True),
    forms.listing("submissions", "submissions", scope="tn.frm.submissions:r", active=True),
)
