"""What only the async flavour does differently; ``_sync/_flavour.py`` is its hand-written twin.

Everything else in ``_async/`` is rewritten mechanically into ``_sync/`` by ``scripts/unasync.py``;
these are the few places where the two flavours truly differ: how to sleep, lock, run several
calls, call a user's callback, open a session lazily, and which httpx auth hook is wrong.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Sequence
from types import TracebackType
from typing import Any, Generic, Protocol, TypeVar

import httpx

__all__ = [
    "AuthBase",
    "Lock",
    "Opener",
    "Slots",
    "call_back",
    "gather",
    "open_lazily",
    "sleep",
]

T = TypeVar("T")

sleep = asyncio.sleep

# Since Python 3.10 an asyncio.Lock binds to the running loop on first use, not on creation.
Lock = asyncio.Lock


async def gather(calls: Sequence[Callable[[], Awaitable[T]]]) -> list[T | Exception]:
    """Run ``calls`` concurrently; each one's result, or the ``Exception`` it raised, in order."""
    outcomes = await asyncio.gather(*(call() for call in calls), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
            raise outcome  # cancellation and KeyboardInterrupt are not outcomes
    return outcomes  # type: ignore[return-value]


async def call_back(callback: Callable[..., Any] | None, *args: Any) -> None:
    """Call a user's callback, awaiting it if it is a coroutine function."""
    if callback is not None:
        result = callback(*args)
        if inspect.isawaitable(result):
            await result


class _AsyncContext(Protocol):
    async def __aenter__(self) -> Any: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Any: ...


C = TypeVar("C", bound=_AsyncContext)


class Opener(Generic[C]):
    """A resource created on demand: ``await opener`` gives it, and ``async with opener as x``
    creates it on entry and exits it on the way out. (The sync flavour creates it at once.)"""

    def __init__(self, create: Callable[[], Awaitable[C]]) -> None:
        self._create = create
        self._opened: C | None = None

    def __await__(self) -> Generator[Any, None, C]:
        return self._create().__await__()

    async def __aenter__(self) -> C:
        self._opened = await self._create()
        return await self._opened.__aenter__()  # type: ignore[no-any-return]

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._opened is not None:
            await self._opened.__aexit__(exc_type, exc, tb)


class Slots:
    """At most ``limit`` holders at once (``None``: no limit). The auth flow takes a slot before
    it stamps the token, so a request waits for a connection before its token is chosen."""

    def __init__(self, limit: int | None) -> None:
        self._semaphore = asyncio.Semaphore(limit) if limit else None

    async def __aenter__(self) -> None:
        if self._semaphore is not None:
            await self._semaphore.acquire()

    async def __aexit__(self, *exc_info: object) -> None:
        if self._semaphore is not None:
            self._semaphore.release()


def open_lazily(create: Callable[[], Awaitable[C]]) -> Opener[C]:
    return Opener(create)


class AuthBase(httpx.Auth):
    """An auth flow for ``httpx.AsyncClient`` only: installed on a sync client, it fails loudly
    instead of silently sending unauthenticated requests."""

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError(f"{type(self).__name__} is for httpx.AsyncClient")
        yield request  # pragma: no cover - makes this a generator

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        raise NotImplementedError  # overridden by the flow itself
        yield request  # pragma: no cover
