"""Retrying transports: the one place where requests are retried and network errors are typed.

They wrap the real ``httpx`` transport, so the facade, the IAM exchange and ``rt.raw`` all get
the same policy. The body is read inside the wrapper, so a connection dropped mid-body counts as
a failed attempt (and is retried when the method allows it) instead of surfacing later.

Policy (``docs/core-notes.md``):

* GET, PUT, DELETE, HEAD, OPTIONS: retried on any transport error, and on 429, 500, 502, 503, 504,
  520, 521, 522, 524.
* POST, PATCH: retried only when the request provably never left the client (connect error,
  connect timeout, pool timeout). Never after a read timeout or an error status: a duplicated
  ``POST /v1/jobs`` costs real quantum time.
* Delay: ``Retry-After`` when the server sends one (a value above the cap means "give up now"),
  else jittered exponential backoff.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable

import attrs
import httpx

from ._constants import (
    DEFAULT_MAX_RETRIES,
    IDEMPOTENT_METHODS,
    INITIAL_RETRY_DELAY,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    RETRY_JITTER,
    RETRYABLE_STATUS_CODES,
)
from ._exceptions import ApiConnectionError, ApiTimeoutError, retry_after_seconds

__all__ = ["AsyncRetryTransport", "RetryPolicy", "RetryTransport", "connection_error"]

logger = logging.getLogger("qiskit_runtime_rest")

# Failures that happen before a single byte of the request is written.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Our own mistakes, or a misconfiguration: retrying cannot help.
_NOT_RETRYABLE = (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.ProxyError)


@attrs.frozen
class RetryPolicy:
    max_retries: int = DEFAULT_MAX_RETRIES
    initial_delay: float = INITIAL_RETRY_DELAY
    max_delay: float = MAX_RETRY_DELAY
    jitter: float = RETRY_JITTER
    max_retry_after: float = MAX_RETRY_AFTER
    random: Callable[[], float] = attrs.field(default=random.random, repr=False)

    def retries_error(self, request: httpx.Request, exc: httpx.TransportError) -> bool:
        if isinstance(exc, _NEVER_SENT):
            return True
        if isinstance(exc, _NOT_RETRYABLE):
            return False
        return request.method in IDEMPOTENT_METHODS

    def retries_status(self, request: httpx.Request, status_code: int) -> bool:
        return request.method in IDEMPOTENT_METHODS and status_code in RETRYABLE_STATUS_CODES

    def backoff(self, attempt: int) -> float:
        base = min(self.initial_delay * 2.0**attempt, self.max_delay)
        return base * (1.0 - self.jitter * float(self.random()))

    def delay_after(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None: do not retry."""
        retry_after = retry_after_seconds(response)
        if retry_after is None:
            return self.backoff(attempt)
        return retry_after if retry_after <= self.max_retry_after else None


def connection_error(
    exc: httpx.TransportError, request: httpx.Request, attempts: int
) -> ApiConnectionError:
    cls = ApiTimeoutError if isinstance(exc, httpx.TimeoutException) else ApiConnectionError
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    detail = str(exc) or type(exc).__name__
    where = f"{request.method} {request.url.copy_with(query=None)}"
    return cls(f"{type(exc).__name__} on {where}{tries}: {detail}", request=request)


class RetryTransport(httpx.BaseTransport):
    def __init__(
        self,
        inner: httpx.BaseTransport,
        policy: RetryPolicy,
        sleep: Callable[[float], None],
    ) -> None:
        self.inner = inner
        self.policy = policy
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self.inner.handle_request(request)
                _buffer(response)
            except httpx.TransportError as exc:
                if attempt < self.policy.max_retries and self.policy.retries_error(request, exc):
                    delay = self.policy.backoff(attempt)
                    _log_retry(request, type(exc).__name__, delay, attempt)
                    self._sleep(delay)
                    attempt += 1
                    continue
                raise connection_error(exc, request, attempt + 1) from exc
            if attempt < self.policy.max_retries and self.policy.retries_status(
                request, response.status_code
            ):
                wait = self.policy.delay_after(response, attempt)
                if wait is not None:
                    _log_retry(request, str(response.status_code), wait, attempt)
                    response.close()
                    self._sleep(wait)
                    attempt += 1
                    continue
            return response

    def close(self) -> None:
        self.inner.close()


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
        attempt = 0
        while True:
            try:
                response = await self.inner.handle_async_request(request)
                await _abuffer(response)
            except httpx.TransportError as exc:
                if attempt < self.policy.max_retries and self.policy.retries_error(request, exc):
                    delay = self.policy.backoff(attempt)
                    _log_retry(request, type(exc).__name__, delay, attempt)
                    await self._sleep(delay)
                    attempt += 1
                    continue
                raise connection_error(exc, request, attempt + 1) from exc
            if attempt < self.policy.max_retries and self.policy.retries_status(
                request, response.status_code
            ):
                wait = self.policy.delay_after(response, attempt)
                if wait is not None:
                    _log_retry(request, str(response.status_code), wait, attempt)
                    await response.aclose()
                    await self._sleep(wait)
                    attempt += 1
                    continue
            return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def _log_retry(request: httpx.Request, why: str, delay: float, attempt: int) -> None:
    logger.info(
        "retrying %s %s after %s in %.2f s (retry %d)",
        request.method,
        request.url.copy_with(query=None),
        why,
        delay,
        attempt + 1,
    )


def _buffer(response: httpx.Response) -> None:
    # Raw bytes, not decoded ones: the client still decodes them once, per Content-Encoding.
    stream = response.stream
    assert isinstance(stream, httpx.SyncByteStream)
    try:
        raw = b"".join(stream)
    finally:
        stream.close()
    response.stream = httpx.ByteStream(raw)


async def _abuffer(response: httpx.Response) -> None:
    stream = response.stream
    assert isinstance(stream, httpx.AsyncByteStream)
    try:
        raw = b"".join([chunk async for chunk in stream])
    finally:
        await stream.aclose()
    response.stream = httpx.ByteStream(raw)
