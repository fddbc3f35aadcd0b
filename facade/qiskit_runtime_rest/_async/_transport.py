"""The retrying transport: the one place where requests are retried and network errors typed.

It wraps the real ``httpx`` transport, so the facade, the IAM exchange and ``rt.raw`` all get the
same policy (``_retry.py``). The body is read inside the wrapper, so a connection dropped
mid-body counts as a failed attempt (retried when the method allows it) instead of surfacing
later.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from .._retry import RetryPolicy, connection_error, log_retry

__all__ = ["AsyncRetryTransport"]


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        policy: RetryPolicy,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.inner = inner
        self.policy = policy
        self._sleep = sleep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        attempt = rate_limited = 0
        while True:
            try:
                response = await self.inner.handle_async_request(request)
                await _buffer(response)
            except httpx.TransportError as exc:
                retries = attempt - rate_limited
                if retries < self.policy.max_retries and self.policy.retries_error(request, exc):
                    delay = self.policy.backoff(attempt)
                    log_retry(request, type(exc).__name__, delay, attempt)
                    await self._sleep(delay)
                    attempt += 1
                    continue
                raise connection_error(exc, request, attempt + 1) from exc
            status = response.status_code
            if self.policy.retries_status(request, status, attempt, rate_limited):
                wait = self.policy.delay_after(response, attempt)
                if wait is not None:
                    log_retry(request, str(status), wait, attempt)
                    await response.aclose()
                    await self._sleep(wait)
                    attempt += 1
                    rate_limited += status == 429
                    continue
            return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _buffer(response: httpx.Response) -> None:
    # Raw bytes, not decoded ones: the client still decodes them once, per Content-Encoding.
    stream = response.stream
    assert isinstance(stream, httpx.AsyncByteStream)
    try:
        raw = b"".join([chunk async for chunk in stream])
    finally:
        await stream.aclose()
    response.stream = httpx.ByteStream(raw)
