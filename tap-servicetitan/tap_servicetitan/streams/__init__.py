"""Streams grouped by ServiceTitan API module."""

from __future__ import annotations

from tap_servicetitan.streams import accounting, crm, jpm, sales, settings

ALL_STREAMS = crm.STREAMS + jpm.STREAMS + accounting.STREAMS + sales.STREAMS + settings.STREAMS
