"""Run the sync tests against both flavours: ``Blocking`` drives an async facade object as if it
were its sync twin, so one test body checks ``RuntimeClient`` and ``AsyncRuntimeClient`` alike.

A test opts in by using the ``flavour`` fixture (directly, or through a client fixture built on
it); ``@pytest.mark.sync_only`` keeps one to the sync flavour (threads, sync-only raw calls).
Every coroutine an async method returns is run to completion on one event loop per test; async
iterators become iterators, ``async with`` becomes ``with``, and facade objects stay wrapped.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any

CURRENT = "sync"  # set by the `flavour` fixture for the test being run
_RUNNER: asyncio.Runner | None = None
# One wrapper per async object, so that `job.wait() is job` holds for wrapped objects too.
_WRAPPERS: dict[int, Blocking] = {}


def runner() -> asyncio.Runner:
    global _RUNNER
    if _RUNNER is None:
        _RUNNER = asyncio.Runner()
    return _RUNNER


def close_runner() -> None:
    global _RUNNER
    _WRAPPERS.clear()
    if _RUNNER is not None:
        _RUNNER.close()
        _RUNNER = None


def run(awaitable: Any) -> Any:
    async def wait() -> Any:
        return await awaitable

    return runner().run(wait())


def _is_facade_object(value: Any) -> bool:
    module = type(value).__module__
    return module.startswith("qiskit_runtime_rest._async") or (
        module.startswith("qiskit_runtime_rest") and hasattr(value, "_client")
    )


def wrap(value: Any) -> Any:
    if inspect.isawaitable(value):
        value = run(value)
    if isinstance(value, AsyncIterator):
        return _BlockingIterator(value)
    if isinstance(value, list):
        return [wrap(item) for item in value]
    if _is_facade_object(value):
        wrapper = _WRAPPERS.get(id(value))
        if wrapper is None or wrapper.async_object is not value:
            wrapper = _WRAPPERS[id(value)] = Blocking(value)
        return wrapper
    return value


def unwrap(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return type(value)(unwrap(item) for item in value)
    return value.async_object if isinstance(value, Blocking) else value


class _BlockingIterator(Iterator[Any]):
    def __init__(self, iterator: AsyncIterator[Any]) -> None:
        self._iterator = iterator

    def __next__(self) -> Any:
        try:
            return wrap(run(anext(self._iterator)))
        except StopAsyncIteration:
            raise StopIteration from None


class Blocking:
    """An async facade object, driven synchronously."""

    def __init__(self, target: Any) -> None:
        object.__setattr__(self, "async_object", target)

    def __getattr__(self, name: str) -> Any:
        if name == "close" and hasattr(self.async_object, "aclose"):
            name = "aclose"
        value = getattr(self.async_object, name)
        if callable(value) and not isinstance(value, type):

            def call(*args: Any, **kwargs: Any) -> Any:
                args = tuple(unwrap(a) for a in args)
                kwargs = {k: unwrap(v) for k, v in kwargs.items()}
                return wrap(value(*args, **kwargs))

            return call
        return wrap(value)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.async_object, name, value)

    def __enter__(self) -> Any:
        entered = run(self.async_object.__aenter__())
        return self if entered is self.async_object else wrap(entered)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Any:
        return run(self.async_object.__aexit__(exc_type, exc, tb))

    def __eq__(self, other: object) -> bool:
        return bool(self.async_object == unwrap(other))

    def __hash__(self) -> int:
        return hash(self.async_object)

    def __repr__(self) -> str:
        return repr(self.async_object)


def job(rt: Any, job_id: str, **kwargs: Any) -> Any:
    """``Job(rt, job_id, ...)`` of the flavour ``rt`` is."""
    from qiskit_runtime_rest import AsyncJob, Job

    if isinstance(rt, Blocking):
        return wrap(AsyncJob(rt.async_object, job_id, **kwargs))
    return Job(rt, job_id, **kwargs)
