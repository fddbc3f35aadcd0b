"""What a handler hands to the service: the caller's context and the query parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ._errors import ApiError, Code
from ._ids import parse_time

__all__ = ["QueryLike", "RequestContext", "bad_request", "bool_param", "time_param"]


class QueryLike(Protocol):
    """Query parameters as Starlette's ``QueryParams`` offers them (repeated keys kept)."""

    def get(self, key: str, /) -> str | None: ...

    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class RequestContext:
    user_id: str
    api_version: str
    caller: str | None = None


def bad_request(detail: str) -> ApiError:
    return ApiError(400, Code.BAD_REQUEST, detail)


def bool_param(query: QueryLike, key: str, default: bool | None) -> bool | None:
    value = query.get(key)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise bad_request(f"{key} must be true or false.")


def time_param(query: QueryLike, key: str) -> float | None:
    value = query.get(key)
    if value is None:
        return None
    try:
        return parse_time(value).timestamp()
    except ValueError:
        raise bad_request(f"{key} must be an ISO 8601 date-time.") from None
