"""target-postgres that commits state at most STATE_EVERY_SECONDS after it could.

MeltanoLabs target-postgres 0.8.1 (singer-sdk 0.54.9) writes a STATE message,
which Meltano then saves, only when it drains all its sinks: at the end of
the input and whenever, on a RECORD or BATCH message, its last full drain is
older than ``Target._MAX_RECORD_AGE_IN_MINUTES`` (5 minutes, not a setting).
A run killed before then left no state at all, and its rerun extracted
everything again. This loader is that target with the age lowered to
STATE_EVERY_SECONDS; it is otherwise the same program, with the same
settings (``TARGET_POSTGRES_*``).

With BATCH messages (the tap's default) a drain is cheap: each BATCH file is
loaded as its message arrives, so the sinks hold nothing. With plain RECORD
messages the drain also writes whatever records the sinks hold (fewer than
``batch_size_rows``), so those runs make a few more, smaller, writes.

``_MAX_RECORD_AGE_IN_MINUTES`` is a private class attribute of singer-sdk's
``Target``; ``tests/test_reliability_pipeline.py`` fails if an upgrade
removes it or stops reading it.
"""

from __future__ import annotations

from target_postgres.target import TargetPostgres

#: At most this long between two states the loader writes (while messages keep coming).
STATE_EVERY_SECONDS = 30


class ServiceTitanTargetPostgres(TargetPostgres):
    """target-postgres writing its state every STATE_EVERY_SECONDS instead of every 5 minutes."""

    _MAX_RECORD_AGE_IN_MINUTES = STATE_EVERY_SECONDS / 60


cli = ServiceTitanTargetPostgres.cli
