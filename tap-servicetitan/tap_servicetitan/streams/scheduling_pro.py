"""Scheduling Pro module (``schedulingpro/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

scheduling_pro = Module("schedulingpro")

STREAMS = (
    scheduling_pro.listing(
        "schedulers", "schedulers", scope="tn.sp.schedulers:r", incremental=True
    ),
)
