"""Dispatch module (``dispatch/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

dispatch = Module("dispatch")

STREAMS = (
    dispatch.export(
        "appointment_assignments",
        "export/appointment-assignments",
        scope="tn.dis.appointmentassignments:r",
        active=True,
    ),
    dispatch.listing(
        "arrival_windows", "arrival-windows", scope="tn.dis.arrivalwindows:r", active=True
    ),
    dispatch.listing(
        "non_job_appointments",
        "non-job-appointments",
        scope="tn.dis.nonjobappointments:r",
        incremental=True,
    ),
    dispatch.listing("teams", "teams", scope="tn.dis.teams:r", incremental=True),
    dispatch.listing(
        "technician_shifts",
        "technician-shifts",
        scope="tn.dis.technicianshifts:r",
        incremental=True,
        active=True,
    ),
    dispatch.listing(
        "technician_skills",
        "technician-skills",
        scope="tn.dis.technicianskills:r",
        incremental=True,
        active=True,
    ),
    dispatch.listing("zones", "zones", scope="tn.dis.zones:r", incremental=True, active=True),
)
