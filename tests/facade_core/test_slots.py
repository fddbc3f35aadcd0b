"""A request takes a connection slot before its token is chosen: requests queue before the auth
flow stamps them, not in the pool with a token that may expire while they wait."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
from core_helpers import VALID_CRN
from qiskit_runtime_rest._async._auth import AsyncRuntimeAuth, AsyncStaticToken
from qiskit_runtime_rest._credentials import Secret
from qiskit_runtime_rest._sync._auth import RuntimeAuth, StaticToken


class CountingTokens(StaticToken):
    def __init__(self) -> None:
        super().__init__(Secret("t0k3n"))
        self.handed_out = 0

    def get_token(self) -> str:
        self.handed_out += 1
        return super().get_token()


class AsyncCountingTokens(AsyncStaticToken):
    def __init__(self) -> None:
        super().__init__(Secret("t0k3n"))
        self.handed_out = 0

    async def get_token(self) -> str:
        self.handed_out += 1
        return await super().get_token()


def test_async_requests_past_the_auth_flow_never_exceed_the_connections() -> None:
    tokens = AsyncCountingTokens()
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        # Every token handed out belongs to a request on the wire or done: none waits for a slot.
        assert tokens.handed_out <= in_flight + done
        await asyncio.sleep(0.002)
        in_flight -= 1
        return httpx.Response(200, json={})

    done = 0

    async def main() -> None:
        nonlocal done
        auth = AsyncRuntimeAuth(tokens, VALID_CRN, "2026-04-15", connections=5)
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler), auth=auth) as http:

            async def one() -> None:
                nonlocal done
                await http.get("https://example.test/api/v1/backends")
                done += 1

            await asyncio.gather(*(one() for _ in range(60)))

    asyncio.run(main())
    assert peak == 5 and tokens.handed_out == 60


def test_sync_requests_past_the_auth_flow_never_exceed_the_connections() -> None:
    tokens = CountingTokens()
    lock = threading.Lock()
    in_flight = peak = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.005)
        with lock:
            in_flight -= 1
        return httpx.Response(200, json={})

    auth = RuntimeAuth(tokens, VALID_CRN, "2026-04-15", connections=3)
    with httpx.Client(transport=httpx.MockTransport(handler), auth=auth) as http:
        threads = [
            threading.Thread(target=http.get, args=("https://example.test/api/v1/backends",))
            for _ in range(24)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert 1 <= peak <= 3 and tokens.handed_out == 24
