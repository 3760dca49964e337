"""Streams grouped by ServiceTitan API module, then the child streams of their records."""

from __future__ import annotations

from tap_servicetitan.streams import accounting, children, crm, jpm, sales, settings

PARENT_STREAMS = crm.STREAMS + jpm.STREAMS + accounting.STREAMS + sales.STREAMS + settings.STREAMS
ALL_STREAMS = PARENT_STREAMS + children.child_streams(PARENT_STREAMS)
