"""Paginators for ServiceTitan's two endpoint families.

Both read the page body once: the stream parses it and keeps it on the
response (``response.st_body``) so paginators never decode the JSON again.
"""

from __future__ import annotations

import typing as t

import orjson
from singer_sdk.pagination import BaseAPIPaginator, PageNumberPaginator

if t.TYPE_CHECKING:
    import requests


def page_body(response: requests.Response) -> dict:
    """The decoded JSON body of a page, decoded at most once per response."""
    body = getattr(response, "st_body", None)
    if body is None:
        body = orjson.loads(response.content)
        response.st_body = body  # type: ignore[attr-defined]
    return body


class ExportPaginator(BaseAPIPaginator[str | None]):
    """Export feeds: follow ``continueFrom`` while ``hasMore`` is true.

    The last page says ``hasMore: false``, so no empty request is made at the
    end. Its ``continueFrom`` is the resume point for the next run.
    """

    def __init__(self, start_from: str | None) -> None:
        super().__init__(start_from)

    def has_more(self, response: requests.Response) -> bool:
        return bool(page_body(response).get("hasMore"))

    def get_next(self, response: requests.Response) -> str | None:
        return page_body(response).get("continueFrom")


class ListPaginator(PageNumberPaginator):
    """List endpoints: ``page`` from 1 while ``hasMore`` is true."""

    def __init__(self) -> None:
        super().__init__(1)

    def has_more(self, response: requests.Response) -> bool:
        return bool(page_body(response).get("hasMore"))
