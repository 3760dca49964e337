"""Task Management module (``taskmanagement/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

task_management = Module("taskmanagement")

STREAMS = (
    task_management.listing(
        "tasks", "tasks", scope="tn.tsm.tasks:r", incremental=True, active=True
    ),
)
