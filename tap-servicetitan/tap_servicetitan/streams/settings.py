"""Settings module: technicians."""

from __future__ import annotations

from tap_servicetitan.client import ExportStream


class TechniciansStream(ExportStream):
    module = "settings"
    name = "technicians"
    path = "export/technicians"
    scope = "tn.stt.technicians:r"


STREAMS = (TechniciansStream,)
