"""The tap's stream classes, made from the catalog's rows (servicetitan_catalog).

``ALL_STREAMS``: every tenant-wide stream, in the catalog's order (a child
stream's parent is one of them); ``CHILD_STREAMS``: the per-parent ones
(``declare.py``); ``TAP_STREAMS``: what the tap discovers, both.
``CORE_STREAMS``: the classes of the core streams, the st_* tables' sources.
"""

from __future__ import annotations

from servicetitan_catalog import streams as catalog
from tap_servicetitan.streams import dispatch, marketing, marketing_ads
from tap_servicetitan.streams.declare import child_streams, stream_class

#: The classes of the custom rows, by stream name: how each of those endpoints is read.
CUSTOM = {**dispatch.CUSTOM, **marketing.CUSTOM, **marketing_ads.CUSTOM}

ALL_STREAMS = tuple(stream_class(row, CUSTOM) for row in catalog.STREAMS)
CHILD_STREAMS = child_streams(ALL_STREAMS)
TAP_STREAMS = ALL_STREAMS + CHILD_STREAMS

CORE_STREAMS = tuple(stream for stream in ALL_STREAMS if stream.name in catalog.CORE_STREAMS)
