"""Paginators for ServiceTitan's two endpoint families.

Both read the page body once: the stream parses it and keeps it on the
response (``response.st_body``) so paginators never decode the JSON again.
"""

from __future__ import annotations

import decimal
import typing as t

import orjson
from singer_sdk.pagination import BaseAPIPaginator, PageNumberPaginator

from servicetitan_catalog.child_streams import ARRAY, ONE_RECORD, PAGE

if t.TYPE_CHECKING:
    import requests


#: Request context key of a read of every record of an endpoint, outside the
#: stream's state: its value is the resume point to start from (None: the
#: first page). A child stream's sweep reads its parent's endpoint so.
EVERY_RECORD_FROM = "every_record_from"


def json_body(response: requests.Response) -> t.Any:
    """The decoded JSON body of an answer, decoded at most once per response.

    Raises:
        ValueError: the body is not JSON (say, an HTML page).
    """
    if not hasattr(response, "st_json"):
        response.st_json = orjson.loads(response.content)  # type: ignore[attr-defined]
    return response.st_json  # type: ignore[attr-defined]


def page_body(response: requests.Response) -> dict:
    """The decoded JSON body of a page, decoded at most once per response.

    Raises:
        ValueError: the body is not a JSON object (say, an HTML page).
    """
    body = json_body(response)
    if not isinstance(body, dict):
        msg = f"a JSON {type(body).__name__}, not an object"
        raise ValueError(msg)
    return body


def answer_records(response: requests.Response, records_in: str) -> list:
    """The records of an answer whose records are where ``records_in`` says."""
    if records_in == ARRAY:
        return json_body(response) or []
    body = page_body(response)
    if records_in == ONE_RECORD:
        return [body]
    return body.get(records_in) or []


def answer_fault(response: requests.Response, records_in: str) -> str | None:
    """What makes a 2xx answer other than what an endpoint answering ``records_in`` sends."""
    try:
        body = json_body(response)
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type").split(";")[0]
        return f"a body that is not JSON ({kind}, {len(response.content)} bytes)"
    if records_in == ARRAY:
        return None if isinstance(body, list) else f"a JSON {json_kind(body)}, not an array"
    if not isinstance(body, dict):
        return f"a JSON {json_kind(body)}, not an object"
    if records_in != ONE_RECORD and not isinstance(body.get(records_in), list):
        return f"no '{records_in}' list"
    return None


def page_fault(response: requests.Response, *, export: bool) -> str | None:
    """What makes a 2xx answer something other than a page of its endpoint's kind, if anything.

    A page is a JSON object with a ``data`` list (and ``hasMore``, where
    present, a boolean; a few list endpoints answer in one page without it);
    an export page also says ``hasMore`` and carries its resume point,
    ``continueFrom``, a non-empty string. Anything else (an HTML page from a proxy, a truncated body, a page
    without records or without a resume point) is not trusted: its records
    cannot be told from none, and its resume point would skip the unread ones.
    """
    fault = answer_fault(response, PAGE)
    if fault is not None:
        return fault
    body = page_body(response)
    more = body.get("hasMore")
    if not isinstance(more, bool) and (export or more is not None):
        return "no boolean 'hasMore'"
    token = body.get("continueFrom")
    if not export or (isinstance(token, str) and token.strip()):
        return None
    if token is None or token == "":
        return "no 'continueFrom' resume point"
    return f"a malformed 'continueFrom' ({json_kind(token)} {str(token)[:40]!r})"


def json_kind(value: object) -> str:
    """The JSON name of a decoded value's type (for messages)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, decimal.Decimal)):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "null")


class ExportPaginator(BaseAPIPaginator[str | None]):
    """Export feeds: follow ``continueFrom`` while ``hasMore`` is true.

    The last page says ``hasMore: false``, so no empty request is made at the
    end. Its ``continueFrom`` is the resume point for the next run.
    """

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
