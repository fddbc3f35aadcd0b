"""Fixtures for the jobs layer: a scriptable mock API, a fake clock, and wired clients.

Network blocking and the scrubbing of ambient credentials are suite-wide (pyproject, tests/
conftest.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import flavours
import httpx
import pytest
from qiskit_runtime_rest import AsyncRuntimeClient, RuntimeClient
from qiskit_runtime_rest.testing import vcr_config as _vcr_config

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VALID_CRN = (
    "crn:v1:bluemix:public:quantum-computing:us-east:a/b947c1c5a9378d64aed96696e4d76e8e:"
    "a3a7f181-35aa-42c8-94d6-7c8ed6e1a94b::"
)
BASE_URL = "https://example.test/api"

Reply = httpx.Response | dict[str, Any] | list[Any] | int | Exception | Callable[..., Any]


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return _vcr_config()


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(ROOT / "cassettes" / "jobs")


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, seconds
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


class MockApi:
    """Scripted answers per (method, path): each call takes the next reply; the last repeats.

    A reply is an ``httpx.Response``, a JSON body (200), a bare status code, an exception to
    raise (e.g. ``httpx.ReadTimeout``) or a callable ``(request) -> reply``.
    """

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []

    def on(self, method: str, path: str, *replies: Reply) -> MockApi:
        self.routes.setdefault((method.upper(), path), []).extend(replies)
        return self

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.times.append(self.clock.now)
        path = request.url.path.removeprefix("/api")
        queue = self.routes.get((request.method, path))
        if not queue:
            return httpx.Response(
                404, json={"errors": [{"code": "404", "message": f"no route {path}"}]}
            )
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        return self._materialise(reply, request)

    def _materialise(self, reply: Reply, request: httpx.Request) -> httpx.Response:
        if isinstance(reply, httpx.Response):
            return httpx.Response(
                reply.status_code, headers=reply.headers, content=reply.content, request=request
            )
        if isinstance(reply, Exception):
            if isinstance(reply, httpx.RequestError):
                raise type(reply)(str(reply) or "boom", request=request)
            raise reply
        if isinstance(reply, int):
            return httpx.Response(reply, request=request)
        if callable(reply):
            return self._materialise(reply(request), request)
        return httpx.Response(200, json=reply, request=request)

    def calls(self, method: str | None = None, path: str | None = None) -> list[httpx.Request]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method)
            and (path is None or r.url.path.removeprefix("/api") == path)
        ]

    def body(self, request: httpx.Request) -> Any:
        return json.loads(request.content)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api(clock: FakeClock) -> MockApi:
    return MockApi(clock)


@pytest.fixture
def rt(api: MockApi, clock: FakeClock, flavour: str) -> Iterator[Any]:
    """A client on ``api``, once per flavour (the async one driven through ``Blocking``)."""
    if flavour == "async":
        blocking = flavours.Blocking(make_async(api, clock))
        yield blocking
        blocking.close()
        return
    client = RuntimeClient(
        bearer_token="t",
        crn=VALID_CRN,
        base_url=BASE_URL,
        http_client=httpx.Client(transport=httpx.MockTransport(api.handler)),
        _clock=clock,
        _sleep=clock.sleep,
    )
    yield client
    client.close()


@pytest.fixture
def make_async_rt(api: MockApi, clock: FakeClock) -> Callable[..., AsyncRuntimeClient]:
    """``make()`` is a client on ``api``; ``make(handler)`` puts ``handler`` in front of it."""

    def make(handler: Callable[..., Any] = api.handler) -> AsyncRuntimeClient:
        return make_async(api, clock, handler)

    return make


def make_async(
    api: MockApi, clock: FakeClock, handler: Callable[..., Any] | None = None
) -> AsyncRuntimeClient:
    return AsyncRuntimeClient(
        bearer_token="t",
        crn=VALID_CRN,
        base_url=BASE_URL,
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler or api.handler)),
        _clock=clock,
        _sleep=clock.asleep,
    )


def job_body(
    job_id: str,
    status: str,
    *,
    reason: str | None = None,
    reason_code: int | None = None,
    reason_solution: str | None = None,
    top_status: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A ``JobResponse`` as ``GET /v1/jobs/{id}?exclude_params=true`` returns it."""
    state: dict[str, Any] = {"status": status}
    if reason is not None:
        state["reason"] = reason
    if reason_code is not None:
        state["reason_code"] = reason_code
    if reason_solution is not None:
        state["reason_solution"] = reason_solution
    body = {
        "id": job_id,
        "backend": "ibm_pittsburgh",
        "state": state,
        "status": top_status or status,
        "program": {"id": "sampler"},
        "created": "2026-02-03T10:00:00Z",
        "cost": 0,
    }
    body.update(extra)
    return body
