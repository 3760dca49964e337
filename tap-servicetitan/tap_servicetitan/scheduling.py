"""Streams side by side: a run's streams on ``stream_concurrency`` threads, largest first.

Against ServiceTitan every page costs a round trip, so one stream at a time
leaves the rate limit mostly unused. :class:`StreamPool` syncs up to
``stream_concurrency`` top-level streams at once (a child stream is synced by
its parent, in the parent's thread). What they share, and why the Singer
output stays correct:

- one session, token and rate limiter (``api.py``): ``requests_per_second``
  bounds every request of the run, the children's included;
- one writer (``writer.py``), which writes each message whole, under a lock;
- one tap state. A stream moves its own bookmark only after the records it
  covers were handed to the writer, so a STATE written by any stream at any
  moment is true for every stream: it never covers a record not yet written
  (with BATCH files the writer holds it back until their files are announced).

Order: :func:`largest_first`. The pool stops at the first failure: the session
stops sending (``RunStopped`` in the other threads at their next request), the
streams not started are dropped, and the first error is raised as it was.
"""

from __future__ import annotations

import logging
import threading
import typing as t
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait

from tap_servicetitan.client import ExportStream, ListStream
from tap_servicetitan.ratelimit import RunStopped

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from singer_sdk import Stream

logger = logging.getLogger("tap-servicetitan")


def largest_first(streams: Iterable[Stream], counts: Mapping[str, int]) -> list[Stream]:
    """The streams in the order they should start: the longest first.

    1. Streams with selected child streams (one request per parent record).
    2. Export feeds and paged lists whose size is unknown (no API count).
    3. The rest of the paged streams, by the API's count (``record_counts``), largest first.
    4. Endpoints answered in one request.

    Ties keep the name order, so a run's order is the same each time.
    """

    def rank(stream: Stream) -> tuple[int, int, str]:
        if any(child.selected for child in stream.child_streams):
            return (0, 0, stream.name)
        paged = isinstance(stream, ExportStream) or (
            isinstance(stream, ListStream) and stream.paged
        )
        if not paged:
            return (3, 0, stream.name)
        if stream.name not in counts:
            return (1, 0, stream.name)
        return (2, -counts[stream.name], stream.name)

    return sorted(streams, key=rank)


class StreamPool:
    """Sync streams on ``workers`` threads; ``stop`` ends every request of the run."""

    def __init__(self, workers: int, stop: Callable[[], None]) -> None:
        self.workers = workers
        self._stop_requests = stop
        self._stopping = threading.Event()

    def stop(self) -> None:
        """No stream starts any more, and the ones in flight send no more requests."""
        self._stopping.set()
        self._stop_requests()

    def run(self, streams: Sequence[Stream], sync: Callable[[Stream], None]) -> None:
        """``sync`` each stream, ``workers`` at a time, in order; the first failure ends the run.

        Also when the main thread is interrupted (SIGTERM, Ctrl-C): the
        streams in flight stop at their next request and the rest never start.
        """
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="stream")
        futures: dict[Future[None], Stream] = {}
        try:
            futures = {pool.submit(self._sync, sync, stream): stream for stream in streams}
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = next((f for f in done if f.exception() is not None), None)
            if failed is not None:
                logger.error(
                    "Stream '%s' failed: stopping the streams still in flight",
                    futures[failed].name,
                )
                self.stop()
                wait(futures)
                raise self._first_error(futures)
        except BaseException:
            self.stop()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _sync(self, sync: Callable[[Stream], None], stream: Stream) -> None:
        """One stream, unless the run is stopping; a failure stops the run at once
        (before this thread could start another stream)."""
        if self._stopping.is_set():
            return
        try:
            sync(stream)
        except BaseException:
            self.stop()
            raise

    @staticmethod
    def _first_error(futures: Mapping[Future[None], Stream]) -> BaseException:
        """The failure that stopped the run, not the ``RunStopped`` it caused elsewhere."""
        errors = [f.exception() for f in futures if not f.cancelled() and f.exception()]
        real = [error for error in errors if not isinstance(error, RunStopped)]
        return (real or errors)[0]
