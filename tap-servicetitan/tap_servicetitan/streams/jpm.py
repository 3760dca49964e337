"""Job Planning and Management module: jobs and appointments."""

from __future__ import annotations

from tap_servicetitan.client import ExportStream


class _JpmExport(ExportStream):
    module = "jpm"


class JobsStream(_JpmExport):
    name = "jobs"
    path = "export/jobs"
    scope = "tn.jpm.jobs:r"


class AppointmentsStream(_JpmExport):
    name = "appointments"
    path = "export/appointments"
    scope = "tn.jpm.appointments:r"


STREAMS = (JobsStream, AppointmentsStream)
