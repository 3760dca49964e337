"""Telecom module (``telecom/v2/tenant/{tenant}/...``): its streams, one row each."""

from __future__ import annotations

from tap_servicetitan.streams.declare import Module

telecom = Module("telecom")

STREAMS = (telecom.export("calls", "export/calls", scope="tn.tlc.calls:r"),)
