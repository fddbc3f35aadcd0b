"""Per-call timeouts: `rt.with_options(timeout=...)` views share everything but the timeout."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from core_helpers import FakeApi, json_response, make_async_client, make_client

# Each test runs with the sync client and with the async one (tests/flavours.py).
pytestmark = pytest.mark.usefixtures("flavour")

BACKENDS = {"devices": [{"name": "ibm_fez", "status": {"name": "online"}}]}


class TimeoutRecordingApi(FakeApi):
    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[dict[str, float | None]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/v1/backends"):
            self.timeouts.append(request.extensions["timeout"])
        return super().__call__(request)


def _timeouts(api: TimeoutRecordingApi) -> list[dict[str, float | None]]:
    return api.timeouts


def test_a_view_overrides_the_timeout_and_shares_the_token() -> None:
    api = TimeoutRecordingApi()
    api.script("GET", "/api/v1/backends", json_response(200, BACKENDS))
    rt = make_client(api, timeout=httpx.Timeout(30.0, connect=7.0))
    fast = rt.with_options(timeout=2.5)
    assert [b.name for b in fast.backends.list()] == ["ibm_fez"]
    assert [b.name for b in rt.backends.list()] == ["ibm_fez"]
    first, second = _timeouts(api)
    assert first == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}
    assert second["connect"] == 7.0 and second["read"] == 30.0
    assert len(api.iam_requests) == 1  # one token for both
    fast.close()  # closes nothing: the parent still works
    assert rt.backends.list()
    rt.close()


def test_the_async_view() -> None:
    api = TimeoutRecordingApi()
    api.script("GET", "/api/v1/backends", json_response(200, BACKENDS))

    async def scenario() -> None:
        art = make_async_client(api)
        await art.with_options(timeout=httpx.Timeout(1.0, read=4.0)).backends.list()
        await art.aclose()

    asyncio.run(scenario())
    (timeout,) = _timeouts(api)
    assert timeout["read"] == 4.0 and timeout["connect"] == 1.0
