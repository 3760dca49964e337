"""One sandbox tenant: its record store, its clock, generated once, changed day by day.

Nothing here knows about HTTP. The server translates requests into calls on a
:class:`Dataset`; tests can call it directly (``records``, ``ids``, ``update``,
``add``, ``mutate``). The jobs are in their own modules: storage of records and
change versions (store.py), the clock (clock.py), generation of the tenant
(generation.py) and a day's changes (mutation.py).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from .clock import Clock
from .credentials import TENANT_ID
from .formats import iso, parse_iso_ms
from .generation import TenantGenerator
from .store import STREAMS, RecordStore

__all__ = ["STREAMS", "Dataset"]


class Dataset(RecordStore):
    """All records of one tenant, generated deterministically from ``seed``."""

    def __init__(self, customers: int = 1000, seed: int = 42, tenant_id: int = TENANT_ID):
        super().__init__()
        self.customers_count = int(customers)
        self.seed = int(seed)
        self.tenant_id = int(tenant_id)
        self.clock = Clock()
        self.mutations = 0
        self.generator = TenantGenerator(self, self.seed)
        with _gc_paused():
            self.generator.generate(self.customers_count)

    @property
    def now_ms(self) -> int:
        """The sandbox clock's now (epoch ms)."""
        return self.clock.now_ms

    @now_ms.setter
    def now_ms(self, value: int) -> None:
        self.clock.now_ms = value

    # ------------------------------------------------------------------ test hooks

    def update(self, stream: str, rid: int, **fields: object) -> dict:
        """Change fields of a record; bumps its version and modifiedOn. Returns the new record."""
        with self.lock:
            old = self.by_id[stream][rid]
            self.clock.step()  # each hook call is a distinct, later moment
            rec = dict(old)
            rec.update(fields)
            self._put_now(stream, rec, keep_modified="modifiedOn" in fields)
            self.commit()
            return rec

    def add(self, stream: str, record: dict) -> dict:
        """Add a record (an ``id`` is assigned when missing); versioned like a change."""
        with self.lock:
            self.clock.step()
            rec = dict(record)
            if rec.get("id") is None:
                rec["id"] = self.new_id(stream)
            else:
                self.claim_id(stream, int(rec["id"]))
            if "createdOn" not in rec:
                rec["createdOn"] = iso(self.now_ms)
            self._put_now(stream, rec, keep_modified="modifiedOn" in rec)
            self.commit()
            return rec

    # ------------------------------------------------------------------ changes over time

    def change(self, stream: str, old: dict, **fields: object) -> dict:
        """Stage a new version of ``old`` with ``fields``, modified now (:meth:`commit` shows it)."""
        rec = dict(old)
        rec.update(fields)
        self._put_now(stream, rec)
        return rec

    def _put_now(self, stream: str, rec: dict, keep_modified: bool = False) -> None:
        """Stage ``rec`` as modified now (or at its own ``modifiedOn`` when kept)."""
        if keep_modified and rec.get("modifiedOn"):
            ms = parse_iso_ms(rec["modifiedOn"])
        else:
            ms = self.now_ms
            rec["modifiedOn"] = iso(ms)
        self.put(stream, rec, ms)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Millions of small dicts: the cyclic GC would rescan them over and over."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
