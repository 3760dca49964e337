"""Sales module: estimates."""

from __future__ import annotations

from tap_servicetitan.client import ExportStream


class EstimatesStream(ExportStream):
    module = "sales"
    name = "estimates"
    path = "export/estimates"
    scope = "tn.sal.estimates:r"


STREAMS = (EstimatesStream,)
