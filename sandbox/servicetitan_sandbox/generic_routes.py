"""HTTP handlers of the generated collections (generic_records.py): export feeds and lists.

The same semantics as the hand-written routes of server.py: export feeds
page by ``continueFrom`` (or from a date), list endpoints by
``page``/``pageSize``/``hasMore`` with ``includeTotal``, ``active``
(``True`` by default where the endpoint has the parameter), ``ids`` and the
``modifiedOnOrAfter``/``modifiedBefore``/``createdOnOrAfter``/``createdBefore``
bounds.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable

import orjson

from .faults import Response
from .formats import parse_iso_ms
from .generic_records import Collection, GenericTenant, is_export
from .protocol import DATE_LIKE, Request, bad_request, decode_continue, encode_continue


class SandboxServer(t.Protocol):
    """What the handlers use of the server (server.py), which imports this module."""

    export_page_size: int
    generic: GenericTenant

    def _paging(self, req: Request) -> tuple[int, int, bool] | Response: ...

    @staticmethod
    def _id_list(value: str, name: str) -> list[int] | Response: ...

    def _page_out(self, recs: list[dict], page: int, size: int, total: bool) -> Response: ...


ACTIVE_VALUES = {"true": "True", "any": "Any", "false": "False"}
BOUNDS = (
    ("modifiedOnOrAfter", "modifiedOn", True),
    ("modifiedBefore", "modifiedOn", False),
    ("createdOnOrAfter", "createdOn", True),
    ("createdBefore", "createdOn", False),
)


def handler(server: SandboxServer, collection: Collection) -> Callable[[Request], Response]:
    """The handler of one generated collection's endpoint."""
    if is_export(collection.endpoint):
        return _export_handler(server, collection)
    return _list_handler(server, collection)


def _export_handler(server: SandboxServer, collection: Collection) -> Callable[[Request], Response]:
    def export(req: Request) -> Response:
        frm = req.query.get("from", "").strip()
        after = since = None
        try:
            if DATE_LIKE.match(frm):
                since = parse_iso_ms(frm)
            elif frm:
                after = decode_continue(frm)
        except ValueError:
            return bad_request(
                "The 'from' value is neither a date nor a valid continuation token",
                {"from": ["invalid"]},
            )
        with server.generic.lock:
            page, has_more, resume = collection.export_page(after, since, server.export_page_size)
            body = orjson.dumps(
                {"hasMore": has_more, "continueFrom": encode_continue(resume), "data": page}
            )
        return Response(200, body)

    return export


def _list_handler(server: SandboxServer, collection: Collection) -> Callable[[Request], Response]:
    query_params = collection.endpoint["query"]

    def listing(req: Request) -> Response:
        paging = server._paging(req)
        if isinstance(paging, Response):
            return paging
        page, size, total = paging
        q = req.query
        with server.generic.lock:
            records = collection.in_key_order()
        if "active" in query_params:
            active = ACTIVE_VALUES.get((q.get("active") or "True").lower())
            if active is None:
                return bad_request("active must be True, Any or False")
            if active != "Any":
                records = [r for r in records if r.get("active", True) is (active == "True")]
        if q.get("ids"):
            wanted = server._id_list(q["ids"], "ids")
            if isinstance(wanted, Response):
                return wanted
            records = [r for r in records if r.get("id") in set(wanted)]
        for param, field, lower in BOUNDS:
            if not q.get(param):
                continue
            try:
                bound = parse_iso_ms(q[param])
            except ValueError:
                return bad_request(f"{param} is not a valid date-time")
            records = [r for r in records if _within(r.get(field), bound, lower)]
        return server._page_out(records, page, size, total)

    return listing


def _within(stamp: str | None, bound: int, lower: bool) -> bool:
    if not stamp:
        return False
    ms = parse_iso_ms(stamp)
    return ms >= bound if lower else ms < bound
