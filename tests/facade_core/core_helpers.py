"""Shared doubles for the facade-core tests: a fake clock and a scriptable fake API."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import flavours
import httpx

VALID_CRN = (
    "crn:v1:bluemix:public:quantum-computing:us-east:"
    "a/b947c1c5a9378d64aed96696e4d76e8e:a3a7f181-35aa-42c8-94d6-7c8ed6e1a94b::"
)
BASE_URL = "https://example.test/api"
API_KEY = "fake-api-key-0123456789abcdefghijklmnopqrstu"

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response] | BaseException


class FakeClock:
    """Monotonic seconds that only move when a test says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeApi:
    """A MockTransport handler: IAM hands out numbered tokens, routes answer from scripts.

    ``script(method, path, *replies)`` queues replies for a route (the last one repeats);
    an exception in the queue is raised as a transport failure. Every request is recorded.
    """

    def __init__(self, *, token_lifetime: int = 3600) -> None:
        self.requests: list[httpx.Request] = []
        self.iam_requests: list[httpx.Request] = []
        self.token_lifetime = token_lifetime
        self.iam_replies: list[Reply] = []
        self.iam_delay: threading.Event | None = None
        self.issued = 0
        self._routes: dict[tuple[str, str], list[Reply]] = {}
        self._lock = threading.Lock()

    def script(self, method: str, path: str, *replies: Reply) -> None:
        self._routes[(method, path)] = list(replies)

    def api_requests(self, path: str | None = None) -> list[httpx.Request]:
        return [r for r in self.requests if path is None or r.url.path.endswith(path)]

    def _iam(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.iam_requests.append(request)
            reply = self.iam_replies.pop(0) if self.iam_replies else None
        if reply is not None:
            return _resolve(reply, request)
        with self._lock:
            self.issued += 1
            token = f"token-{self.issued}"
        return httpx.Response(
            200,
            json={
                "access_token": token,
                "refresh_token": "not-used",
                "token_type": "Bearer",
                "expires_in": self.token_lifetime,
                "expiration": 1473188353,
            },
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("iam."):
            return self._iam(request)
        with self._lock:
            # A snapshot: the auth flow re-sends the same Request object after a 401.
            self.requests.append(_snapshot(request))
            replies = self._routes.get((request.method, request.url.path))
            if not replies:
                return httpx.Response(
                    404, json={"errors": [{"code": "404", "message": "no route"}]}
                )
            reply = replies.pop(0) if len(replies) > 1 else replies[0]
        return _resolve(reply, request)


def _snapshot(request: httpx.Request) -> httpx.Request:
    return httpx.Request(
        request.method, request.url, headers=request.headers.copy(), content=request.read()
    )


def _resolve(reply: Reply, request: httpx.Request) -> httpx.Response:
    if isinstance(reply, BaseException):
        raise reply
    if isinstance(reply, httpx.Response):
        # A fresh copy each time: the same scripted reply may be served more than once.
        return httpx.Response(
            reply.status_code, headers=reply.headers, content=reply.content, request=request
        )
    return reply(request)


def json_response(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json", **headers},
    )


def make_client(api: FakeApi, **kwargs: Any) -> Any:
    """A sync client on ``api``; under the ``flavour`` fixture's "async", an async one driven
    through ``flavours.Blocking``."""
    if flavours.CURRENT == "async":
        return flavours.Blocking(make_async_client(api, **kwargs))
    from qiskit_runtime_rest import RuntimeClient

    options: dict[str, Any] = {"api_key": API_KEY, "crn": VALID_CRN, "base_url": BASE_URL}
    options.update(kwargs)
    sleeps = options.pop("sleeps", None)
    return RuntimeClient(
        http_client=httpx.Client(transport=httpx.MockTransport(api)),
        _sleep=(sleeps.append if sleeps is not None else (lambda _s: None)),
        **options,
    )


def make_async_client(api: FakeApi, **kwargs: Any) -> Any:
    from qiskit_runtime_rest import AsyncRuntimeClient

    options: dict[str, Any] = {"api_key": API_KEY, "crn": VALID_CRN, "base_url": BASE_URL}
    options.update(kwargs)
    sleeps = options.pop("sleeps", None)

    async def record(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    return AsyncRuntimeClient(
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(api)),
        _sleep=record,
        **options,
    )
