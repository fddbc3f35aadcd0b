"""The one declaration of what resources, jobs and sessions need from their client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import httpx


class AsyncRequester(Protocol):
    """A client: ``_request`` sends one API call and returns the 2xx response (or raises the
    typed error); ``_clock`` and ``_sleep`` drive waiters, so tests can replace time."""

    _clock: Callable[[], float]
    _sleep: Callable[[float], Awaitable[None]]

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
        idempotent: bool = False,
    ) -> httpx.Response: ...
