"""Storage of one tenant's core records and their change versions.

Every record carries an internal change version (a counter shared by the whole
store, bumped on each change). Per stream the records are kept in version
order in three parallel lists (versions, modifiedOn in ms, records) so an
export page is a ``bisect`` plus a slice. The sandbox clock only moves
forward, so within a stream ``modifiedOn`` is non-decreasing in version order
and a ``from=<date>`` request is a ``bisect`` too (unless a test hook wrote an
older ``modifiedOn``; then that stream falls back to a scan).

Changes are staged with :meth:`RecordStore.put` and become visible to export
feeds with :meth:`RecordStore.commit`.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right

from servicetitan_catalog.streams import CORE_STREAMS

#: The streams the store holds: the core ones, whose export feeds the sandbox serves.
STREAMS = CORE_STREAMS

ID_BASE = {
    "customers": 10_000_000,
    "locations": 20_000_000,
    "customer_contacts": 30_000_000,
    "location_contacts": 40_000_000,
    "jobs": 50_000_000,
    "appointments": 60_000_000,
    "invoices": 70_000_000,
    "estimates": 80_000_000,
    "technicians": 90_000_000,
}

# parent field used by the per-parent indexes
PARENT_FIELD = {
    "customer_contacts": "customerId",
    "locations": "customerId",
    "location_contacts": "locationId",
    "jobs": "customerId",
    "appointments": "jobId",
}

#: staged changes: stream -> record id -> (version, modifiedOn ms, record)
Changes = dict[str, dict[int, tuple[int, int, dict]]]


class RecordStore:
    """The records of every core stream, by id and in change-version order."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._version = 0
        self.by_id: dict[str, dict[int, dict]] = {s: {} for s in STREAMS}
        self.sorted_ids: dict[str, list[int]] = {s: [] for s in STREAMS}
        self.children: dict[str, dict[int, list[int]]] = {s: {} for s in PARENT_FIELD}
        self.next_id = {s: ID_BASE[s] + 1 for s in STREAMS}
        # export structures: parallel lists in version order
        self._vl: dict[str, list[int]] = {}
        self._tl: dict[str, list[int]] = {}
        self._rl: dict[str, list[dict]] = {}
        self._ver: dict[str, dict[int, int]] = {s: {} for s in STREAMS}
        self._mono: dict[str, bool] = dict.fromkeys(STREAMS, True)
        self.generation: dict[str, int] = dict.fromkeys(STREAMS, 0)
        self._pending: Changes = {}
        self._list_cache: dict[tuple[str, str], tuple[int, list[dict]]] = {}

    # ------------------------------------------------------------------ reading

    def records(self, stream: str) -> list[dict]:
        """Current records of ``stream`` (as the export feed sends them), by id."""
        with self.lock:
            d = self.by_id[stream]
            return [d[i] for i in self.sorted_ids[stream]]

    def ids(self, stream: str) -> set[int]:
        with self.lock:
            return set(self.by_id[stream])

    def get(self, stream: str, rid: int) -> dict | None:
        return self.by_id[stream].get(rid)

    def count(self, stream: str) -> int:
        return len(self.by_id[stream])

    def total_records(self) -> int:
        return sum(len(v) for v in self.by_id.values())

    def children_of(self, stream: str, parent_id: int) -> list[int]:
        return self.children[stream].get(parent_id, [])

    def version_of(self, stream: str, rid: int) -> int:
        return self._ver[stream][rid]

    def unchanged_since(self, stream: str, rid: int, version: int) -> bool:
        """Whether the record's last change was committed at or before ``version``
        (False for a record whose first version is still being written)."""
        committed = self._ver[stream].get(rid)
        return committed is not None and committed <= version

    @property
    def current_version(self) -> int:
        """The latest change version given out (a watermark for "changed since")."""
        return self._version

    def export_page(
        self,
        stream: str,
        after_version: int | None = None,
        since_ms: int | None = None,
        limit: int = 500,
    ) -> tuple[list[dict], bool, int]:
        """One export page: ``(records, has_more, resume_version)``.

        ``after_version``: records with a greater version; ``since_ms``: records
        whose modifiedOn >= it; neither: from the beginning.
        """
        with self.lock:
            vl = self._vl[stream]
            rl = self._rl[stream]
            if since_ms is not None:
                if not self._mono[stream]:
                    return self._scan_page(stream, since_ms, limit)
                i = bisect_left(self._tl[stream], since_ms)
                base = vl[i - 1] if i > 0 else 0
            elif after_version is not None:
                i = bisect_right(vl, after_version)
                base = after_version
            else:
                i = 0
                base = 0
            j = i + limit
            page = rl[i:j]
            has_more = j < len(vl)
            # an empty page means everything of this stream up to now has been seen
            resume = vl[i + len(page) - 1] if page else max(base, self._version)
            return page, has_more, resume

    def _scan_page(self, stream: str, since_ms: int, limit: int) -> tuple[list[dict], bool, int]:
        """An export page from a date when a test hook wrote an older modifiedOn (rare)."""
        vl, tl, rl = self._vl[stream], self._tl[stream], self._rl[stream]
        sel = [k for k in range(len(tl)) if tl[k] >= since_ms]
        page = [rl[k] for k in sel[:limit]]
        resume = vl[sel[len(page) - 1]] if page else self._version
        return page, len(sel) > limit, resume

    def list_view(self, stream: str, active: str = "True") -> list[dict]:
        """Records sorted by id, filtered by ``active`` (True/False/Any); cached per change."""
        key = (stream, active)
        with self.lock:
            gen = self.generation[stream]
            hit = self._list_cache.get(key)
            if hit is not None and hit[0] == gen:
                return hit[1]
            recs = self.records(stream)
            if active == "True":
                recs = [r for r in recs if r.get("active", True)]
            elif active == "False":
                recs = [r for r in recs if not r.get("active", True)]
            self._list_cache[key] = (gen, recs)
            return recs

    # ------------------------------------------------------------------ writing

    def new_id(self, stream: str) -> int:
        """The next unused id of ``stream``."""
        i = self.next_id[stream]
        self.next_id[stream] = i + 1
        return i

    def claim_id(self, stream: str, rid: int) -> None:
        """Note an id given from outside, so :meth:`new_id` never hands it out."""
        self.next_id[stream] = max(self.next_id[stream], rid + 1)

    def put(self, stream: str, rec: dict, ms: int) -> None:
        """Stage a new or changed record, last modified at ``ms``, as a new version."""
        self._version += 1
        rid = rec["id"]
        self._index(stream, rec, rid not in self.by_id[stream])
        self._pending.setdefault(stream, {})[rid] = (self._version, ms, rec)

    def commit(self) -> Changes:
        """Make the staged changes the newest of their streams; returns them."""
        pending, self._pending = self._pending, {}
        for stream, changes in pending.items():
            self._commit_stream(stream, changes)
            self.generation[stream] += 1
        return pending

    def _commit_stream(self, stream: str, changes: dict[int, tuple[int, int, dict]]) -> None:
        vl, tl, rl = self._vl[stream], self._tl[stream], self._rl[stream]
        ver = self._ver[stream]
        if len(changes) <= 32:
            for rid in changes:
                old_v = ver.get(rid)
                if old_v is not None:
                    k = bisect_left(vl, old_v)
                    del vl[k], tl[k], rl[k]
        else:
            keep = [k for k, r in enumerate(rl) if r["id"] not in changes]
            vl = [vl[k] for k in keep]
            tl = [tl[k] for k in keep]
            rl = [rl[k] for k in keep]
        for rid, (v, ms, rec) in sorted(changes.items(), key=lambda kv: kv[1][0]):
            if tl and ms < tl[-1]:
                self._mono[stream] = False
            vl.append(v)
            tl.append(ms)
            rl.append(rec)
            ver[rid] = v
        self._vl[stream], self._tl[stream], self._rl[stream] = vl, tl, rl

    def load(self, staged: dict[str, list[tuple[int, dict]]]) -> None:
        """Fill the empty store with ``(modified ms, record)`` pairs, versioned in modified order."""
        for stream in STREAMS:
            items = staged[stream]
            items.sort(key=lambda it: (it[0], it[1]["id"]))
            vl, tl, rl = [], [], []
            ver = self._ver[stream]
            v = self._version
            for ms, rec in items:
                v += 1
                vl.append(v)
                tl.append(ms)
                rl.append(rec)
                ver[rec["id"]] = v
                self._index(stream, rec, True, bulk=True)
            self._version = v
            self._vl[stream], self._tl[stream], self._rl[stream] = vl, tl, rl
            self.sorted_ids[stream].sort()

    def _index(self, stream: str, rec: dict, is_new: bool, bulk: bool = False) -> None:
        rid = rec["id"]
        if is_new:
            ids = self.sorted_ids[stream]
            if bulk or not ids or ids[-1] < rid:
                ids.append(rid)
            else:
                ids.insert(bisect_left(ids, rid), rid)
            self._index_parents(stream, rec)
        self.by_id[stream][rid] = rec

    def _index_parents(self, stream: str, rec: dict) -> None:
        """A new record under its parent (``PARENT_FIELD``)."""
        pf = PARENT_FIELD.get(stream)
        pid = rec.get(pf) if pf is not None else None
        if pid is not None:
            self.children[stream].setdefault(pid, []).append(rec["id"])
