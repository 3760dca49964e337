"""How ServiceTitan writes time stamps and money, both ways.

``iso`` formats epoch milliseconds (a day's prefix and every second of a day are
cached, so formatting a stamp is two lookups); ``parse_iso_ms`` reads a date or
date-time back; ``money`` writes cents as a decimal string.
"""

from __future__ import annotations

from datetime import datetime, timezone

DAY_MS = 86_400_000

_day_cache: dict[int, str] = {}
#: ``HH:MM:SS`` of every second of a day (formatting a stamp is then a lookup)
CLOCK = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)]
#: the second of the day of each ``HH:MM:SS``
SECOND_OF = {text: s for s, text in enumerate(CLOCK)}


def iso(ms: int) -> str:
    """Format epoch milliseconds like ServiceTitan: ``2024-03-05T14:07:09.123Z`` or ``...09Z``."""
    day, rem = divmod(ms, DAY_MS)
    d = _day_cache.get(day)
    if d is None:
        d = datetime.fromtimestamp(day * 86400, tz=timezone.utc).strftime("%Y-%m-%dT")
        _day_cache[day] = d
    sec, milli = divmod(rem, 1000)
    if milli:
        return f"{d}{CLOCK[sec]}.{milli:03d}Z"
    return f"{d}{CLOCK[sec]}Z"


def parse_iso_ms(value: str) -> int:
    """Parse a date or date-time (``Z``/offset/naive=UTC) into epoch milliseconds."""
    v = value.strip()
    if v.endswith(("Z", "z")):
        v = v[:-1] + "+00:00"
    dt = datetime.fromisoformat(v)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)


def money(cents: int) -> str:
    """Cents as ServiceTitan's decimal string: ``-12.05``."""
    sign = "-" if cents < 0 else ""
    c = abs(cents)
    return f"{sign}{c // 100}.{c % 100:02d}"
