"""One tenant-wide collection of records, kept in change-version order.

An export page is a ``bisect`` plus a slice, as in :mod:`.store`. Used by the
generated collections (generic_records.py) and the business streams (business.py).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from .formats import parse_iso_ms


@dataclass
class Collection:
    """The records of one endpoint, in change-version order."""

    name: str
    endpoint: dict
    keys: tuple[str, ...]
    records: dict[tuple, dict] = field(default_factory=dict)
    _versions: list[int] = field(default_factory=list)
    _modified: list[int] = field(default_factory=list)
    _ordered: list[dict] = field(default_factory=list)
    _version_of: dict[tuple, int] = field(default_factory=dict)
    _version: int = 0

    def key_of(self, record: dict) -> tuple:
        return tuple(record[k] for k in self.keys)

    def ids(self) -> set:
        """Keys of the current records: ids, or tuples for multi-field keys."""
        if self.keys == ("id",):
            return {key[0] for key in self.records}
        return set(self.records)

    def put(self, record: dict) -> None:
        """Add or replace a record; it becomes the newest change."""
        key = self.key_of(record)
        old = self._version_of.get(key)
        if old is not None:
            index = bisect_left(self._versions, old)
            del self._versions[index], self._modified[index], self._ordered[index]
        self._version += 1
        self.records[key] = record
        self._version_of[key] = self._version
        self._versions.append(self._version)
        self._modified.append(modified_ms(record))
        self._ordered.append(record)

    def load(self, staged: list[tuple[int, dict]]) -> None:
        """Replace the records by ``(modified ms, record)`` pairs, versioned in modified order."""
        staged.sort(key=lambda pair: pair[0])
        self._modified = [ms for ms, _ in staged]
        self._ordered = [record for _, record in staged]
        if self.keys == ("id",):
            keys = [(record["id"],) for record in self._ordered]
        else:
            keys = [self.key_of(record) for record in self._ordered]
        self.records = dict(zip(keys, self._ordered, strict=True))
        self._versions = list(range(1, len(staged) + 1))
        self._version_of = dict(zip(keys, self._versions, strict=True))
        self._version = len(staged)

    def export_page(
        self, after_version: int | None, since_ms: int | None, limit: int
    ) -> tuple[list[dict], bool, int]:
        """One export page: ``(records, has_more, resume_version)`` (see RecordStore.export_page)."""
        if since_ms is not None:
            start = next(
                (i for i, ms in enumerate(self._modified) if ms >= since_ms), len(self._modified)
            )
        elif after_version is not None:
            start = bisect_right(self._versions, after_version)
        else:
            start = 0
        page = self._ordered[start : start + limit]
        has_more = start + limit < len(self._ordered)
        resume = self._versions[start + len(page) - 1] if page else self._version
        return page, has_more, resume

    def in_key_order(self) -> list[dict]:
        return [self.records[key] for key in sorted(self.records)]


def modified_ms(record: dict) -> int:
    """When a record last changed (``modifiedOn``, else ``createdOn``), in epoch ms; 0 if neither."""
    stamp = record.get("modifiedOn") or record.get("createdOn")
    return parse_iso_ms(stamp) if stamp else 0
