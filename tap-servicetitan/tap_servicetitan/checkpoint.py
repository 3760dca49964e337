"""A STATE message in the middle of a stream: the one use of singer-sdk internals.

singer-sdk writes STATE messages at points of its own choosing (after a
partition, at the end of a stream, every so many records when the stream is
sorted). Export feeds need one after every page, carrying that page's
``continueFrom``, so a killed run resumes exactly where its last page ended.
The SDK has no public hook for that, so this function uses two private
members: ``state_manager.is_flushed`` (whether the current state was written)
and ``Stream._write_state_message()`` (write it). ``tests/test_sdk_surface.py``
fails if a singer-sdk upgrade changes either.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from singer_sdk import Stream


def write_checkpoint(stream: Stream) -> None:
    """Emit the stream's current state now as a STATE message."""
    stream.state_manager.is_flushed = False
    stream._write_state_message()
