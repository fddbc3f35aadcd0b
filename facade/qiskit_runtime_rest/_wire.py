"""The wire, I/O-free: the one way a 2xx body is read back, and how query values are written.

Every answer goes through ``read_json`` (``UnexpectedResponseError`` on a body that is not JSON);
every query through ``clean_params``. Kept apart from ``_protocol`` (what each call sends) so the
client's own module loads without it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import httpx

from ._exceptions import UnexpectedResponseError, body_snippet, safe_url

if TYPE_CHECKING:
    from ._models import Json, TimeArg


def read_json(response: httpx.Response, what: str) -> Any:
    """The JSON of a 2xx ``response``; ``UnexpectedResponseError`` when it is not JSON."""
    try:
        return json.loads(response.content)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        raise _unexpected(response, what, "is not JSON") from exc


def expect_id(response: httpx.Response, body: Json, expected: str, what: str) -> None:
    """An answer about ``what`` ``expected`` must be about it: a reply that names another id
    (a crossed connection, a confused proxy) is an error, never silently another object."""
    found = body.get("id")
    if found is not None and str(found) != expected:
        raise _unexpected(response, f"{what} {expected}", f"is about {what} {found!r}")


def require_id(response: httpx.Response, body: Json, what: str) -> str:
    """The ``id`` a creation answer must carry (``UnexpectedResponseError`` when it has none)."""
    found = body.get("id")
    if not isinstance(found, str) or not found:
        raise _unexpected(response, what, "carries no id")
    return found


def read_object(response: httpx.Response, what: str) -> Json:
    """``read_json`` for answers that must be a JSON object."""
    data = read_json(response, what)
    if not isinstance(data, dict):
        raise _unexpected(response, what, f"is a JSON {type(data).__name__}, not an object")
    return data


def _unexpected(response: httpx.Response, what: str, problem: str) -> UnexpectedResponseError:
    request = response._request  # a bare test response has none
    try:
        text = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        text = ""
    return UnexpectedResponseError(
        f"{what}: the {response.status_code} answer {problem} "
        f"({len(response.content)} bytes: {body_snippet(text)!r})",
        status_code=response.status_code,
        method=request.method if request is not None else None,
        url=safe_url(request.url) if request is not None else None,
        body=text,
    )


def format_time(value: TimeArg) -> str | None:
    """A query-string timestamp. Naive datetimes are taken as UTC; strings pass through."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Drop None values, format dates and datetimes (``format_time``: naive ones are UTC); lists
    stay lists (httpx sends them as repeated keys)."""
    if not params:
        return None
    cleaned: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, datetime | date):
            value = format_time(value)
        elif isinstance(value, list | tuple | set | frozenset):
            value = [v for v in value if v is not None]
        cleaned[key] = value
    return cleaned or None
