"""The sandbox clock: the tenant's past, and a simulated now that only moves forward.

The generated history spans ``PAST_START_MS`` to ``PAST_END_MS``; each mutation
is a later day. Because the clock never goes back, a stream's ``modifiedOn`` is
non-decreasing in change-version order (see store.py).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timezone

from .formats import DAY_MS

PAST_START_MS = int(datetime(2019, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)
PAST_END_MS = int(datetime(2025, 6, 1, tzinfo=timezone.utc).timestamp() * 1000)

#: Offsets from a UTC midnight whose local date differs from the UTC one somewhere:
#: 23:30 the day before, 00:30, and 04:30-07:30 (local midnight in US time zones).
MIDNIGHT_OFFSETS_MS = tuple(m * 60_000 for m in (-30, 30, 270, 330, 390, 450))


def near_midnight(rng: random.Random, ms: int) -> int:
    """An instant on ``ms``'s UTC day that a time zone moves to another date."""
    return ms - ms % DAY_MS + rng.choice(MIDNIGHT_OFFSETS_MS)


@dataclass
class Clock:
    """The simulated now, in epoch milliseconds."""

    now_ms: int = PAST_END_MS

    def step(self) -> int:
        """A distinct, later moment (one second on): each test hook's change."""
        self.now_ms += 1000
        return self.now_ms

    def tick(self, rng: random.Random) -> int:
        """Advance a little now and then, so many records share a stamp."""
        if rng.random() < 0.05:
            self.now_ms += 1000 * rng.randint(1, 90)
        return self.now_ms

    def next_day(self, rng: random.Random) -> int:
        """The start of a mutation: a day after the last one (or the past), at a random hour."""
        self.now_ms = max(self.now_ms, PAST_END_MS) + DAY_MS + rng.randint(0, 3600) * 1000
        return self.now_ms
