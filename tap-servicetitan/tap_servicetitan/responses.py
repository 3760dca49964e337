"""Reading ServiceTitan's answers: error titles and ``Retry-After``."""

from __future__ import annotations

import orjson
import requests


def error_title(response: requests.Response) -> str:
    """The human-readable part of a ServiceTitan error answer.

    ServiceTitan errors are JSON ``{type, title, status, traceId, errors}``;
    gateways and outages sometimes answer with an HTML page instead.
    """
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        kind = response.headers.get("Content-Type", "unknown content").split(";")[0]
        return f"{response.reason or 'error'} (non-JSON answer: {kind})"
    if isinstance(body, dict):
        title = body.get("title") or body.get("error_description") or body.get("error")
        if title:
            return str(title)
    return response.reason or "error"


def retry_after_seconds(response: requests.Response | None) -> float | None:
    """Seconds asked by a ``Retry-After`` header (delta-seconds form), if any."""
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
