"""Streams grouped by ServiceTitan API module, then the child streams of their records.

``ALL_STREAMS``: every tenant-wide stream (a child stream's parent is one of
them); ``CHILD_STREAMS``: the per-parent ones (``children.py``);
``TAP_STREAMS``: what the tap discovers, both.
"""

from __future__ import annotations

from tap_servicetitan.streams import accounting, children, crm, jpm, sales, settings

ALL_STREAMS = crm.STREAMS + jpm.STREAMS + accounting.STREAMS + sales.STREAMS + settings.STREAMS
CHILD_STREAMS = children.child_streams(ALL_STREAMS)
TAP_STREAMS = ALL_STREAMS + CHILD_STREAMS
