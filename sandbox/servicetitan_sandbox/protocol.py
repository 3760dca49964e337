"""The sandbox's wire format: requests, JSON answers and continuation tokens.

No HTTP server and no dataset here: what a request looks like once parsed,
how answers and errors are encoded, and the export feeds' ``continueFrom``
tokens (opaque to clients, checked on the way back in).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

import orjson

from .faults import Response, error_body

API_PATH = re.compile(r"^/([A-Za-z0-9_-]+)/v2/tenant/([^/]+)/(.+?)/?$")
DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}")
CONTINUE_PREFIX = "sbx1:"


def encode_continue(version: int) -> str:
    raw = f"{CONTINUE_PREFIX}{version}:{(version * 2654435761) % 9973}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token: str) -> int:
    """Version of a continueFrom token; ValueError when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("not a continuation token") from exc
    if not raw.startswith(CONTINUE_PREFIX):
        raise ValueError("not a continuation token")
    parts = raw[len(CONTINUE_PREFIX) :].split(":")
    if len(parts) != 2 or not parts[0].isdigit():
        raise ValueError("not a continuation token")
    version = int(parts[0])
    if parts[1] != str((version * 2654435761) % 9973):
        raise ValueError("not a continuation token")
    return version


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    module: str = ""
    tenant: str = ""
    resource: str = ""
    params: tuple = ()
    route: object | None = None  # the Route that matched (routes.Route)
    raw_path: str = ""


def json_response(obj: object, status: int = 200) -> Response:
    return Response(status, orjson.dumps(obj))


def bad_request(title: str, errors: dict | None = None) -> Response:
    return Response(400, error_body(400, title, errors=errors))
