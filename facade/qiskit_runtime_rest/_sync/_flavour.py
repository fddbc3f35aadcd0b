"""What only the sync flavour does differently; the hand-written twin of ``_async/_flavour.py``.

``scripts/unasync.py`` generates the rest of ``_sync/`` from ``_async/`` and leaves this file
alone. Nothing here imports asyncio: ``import qiskit_runtime_rest`` stays lean for sync users.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncGenerator, Callable, Generator, Sequence
from typing import Any, TypeVar

import httpx

__all__ = ["AuthBase", "Lock", "Slots", "call_back", "gather", "open_lazily", "sleep"]

T = TypeVar("T")

sleep = time.sleep

Lock = threading.Lock


def gather(calls: Sequence[Callable[[], T]]) -> list[T | Exception]:
    """Run ``calls`` one after the other; each one's result, or the ``Exception`` it raised."""
    outcomes: list[T | Exception] = []
    for call in calls:
        try:
            outcomes.append(call())
        except Exception as exc:
            outcomes.append(exc)
    return outcomes


def call_back(callback: Callable[..., Any] | None, *args: Any) -> None:
    """Call a user's callback."""
    if callback is not None:
        callback(*args)


class Slots:
    """At most ``limit`` holders at once (``None``: no limit). The auth flow takes a slot before
    it stamps the token, so a request waits for a connection before its token is chosen."""

    def __init__(self, limit: int | None) -> None:
        self._semaphore = threading.BoundedSemaphore(limit) if limit else None

    def __enter__(self) -> None:
        if self._semaphore is not None:
            self._semaphore.acquire()

    def __exit__(self, *exc_info: object) -> None:
        if self._semaphore is not None:
            self._semaphore.release()


def open_lazily(create: Callable[[], T]) -> T:
    """Create the resource now (the async flavour defers it to ``await`` or ``async with``)."""
    return create()


class AuthBase(httpx.Auth):
    """An auth flow for ``httpx.Client`` only: installed on an async client, it fails loudly
    instead of silently sending unauthenticated requests."""

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        raise RuntimeError(f"{type(self).__name__} is for httpx.Client")
        yield request  # pragma: no cover - makes this an async generator

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise NotImplementedError  # overridden by the flow itself
        yield request  # pragma: no cover
