"""``rt.logout()`` against the emulator: the old token is refused, the client carries on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import flavours
import httpx
import pytest

pytest.importorskip("qiskit_runtime_emulator._app", reason="needs the [local] extra")

from qiskit_runtime_rest import AsyncRuntimeClient, RuntimeClient


@pytest.fixture
def rt(flavour: str) -> Iterator[Any]:
    if flavour == "async":
        client: Any = flavours.Blocking(AsyncRuntimeClient.local())
    else:
        client = RuntimeClient.local()
    with client:
        yield client


def _token_of(request: httpx.Request) -> str:
    return request.headers["Authorization"].removeprefix("Bearer ")


def test_logout_makes_the_old_token_fail_and_the_next_call_succeed(rt: Any) -> None:
    sent: list[httpx.Request] = []
    http = flavours.unwrap(rt)._http
    http.event_hooks["request"].append(
        (lambda request: sent.append(request))
        if isinstance(http, httpx.Client)
        else _async_hook(sent)
    )
    rt.backends.list()
    old = _token_of(sent[-1])
    assert rt.logout() is True

    # The token the client used is refused now (a direct call, without the client's refresh).
    base = rt.base_url
    answer = httpx.get(
        f"{base}/v1/backends", headers={"Authorization": f"Bearer {old}", "Service-CRN": rt.crn}
    )
    assert answer.status_code == 401

    # The client fetched a new token, without a 401 on the way.
    names = [backend.name for backend in rt.backends.list()]
    assert "ibm_fez" in names
    new = _token_of(sent[-1])
    assert new != old
    # Each send is recorded once: a 401 and its refresh-and-retry would show a third.
    assert len([r for r in sent if r.url.path.endswith("/v1/backends")]) == 2


def _async_hook(sent: list[httpx.Request]) -> Any:
    async def hook(request: httpx.Request) -> None:
        sent.append(request)

    return hook
