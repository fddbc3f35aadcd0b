"""The retry policy, I/O-free: which failures are retried, how long to wait, how errors read.

The retrying transports (``_async/_transport.py`` and its generated sync twin) apply it below the
auth flow, so the facade, the IAM exchange and ``rt.raw`` all get the same policy.

Policy (``docs/core-notes.md``):

* GET, PUT, DELETE, HEAD, OPTIONS: retried on any transport error, and on 429, 500, 502, 503, 504,
  520, 521, 522, 524.
* POST, PATCH: retried only when the request provably never left the client (connect error,
  connect timeout, pool timeout), or after a 429 (the server did not take it). Never after a read
  timeout or another error status: a duplicated ``POST /v1/jobs`` costs real quantum time.
* 429: any method, on its own budget (``MAX_RATE_LIMIT_RETRIES``), so a rate-limited bulk
  submission slows down instead of failing.
* Delay: ``Retry-After`` when the server sends one (a value above the cap means "give up now"),
  else jittered exponential backoff.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import NamedTuple

import httpx

from ._constants import (
    DEFAULT_MAX_RETRIES,
    IDEMPOTENT_EXTENSION,
    IDEMPOTENT_METHODS,
    INITIAL_RETRY_DELAY,
    MAX_RATE_LIMIT_RETRIES,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    RETRY_JITTER,
    RETRYABLE_STATUS_CODES,
)
from ._exceptions import ApiConnectionError, ApiTimeoutError, retry_after_seconds, safe_url

logger = logging.getLogger("qiskit_runtime_rest")

# Failures that happen before a single byte of the request is written.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Our own mistakes, or a misconfiguration: retrying cannot help.
_NOT_RETRYABLE = (httpx.UnsupportedProtocol, httpx.LocalProtocolError, httpx.ProxyError)


class RetryPolicy(NamedTuple):
    max_retries: int = DEFAULT_MAX_RETRIES
    max_rate_limit_retries: int = MAX_RATE_LIMIT_RETRIES
    initial_delay: float = INITIAL_RETRY_DELAY
    max_delay: float = MAX_RETRY_DELAY
    jitter: float = RETRY_JITTER
    max_retry_after: float = MAX_RETRY_AFTER
    random: Callable[[], float] = random.random

    def retries_error(self, request: httpx.Request, exc: httpx.TransportError) -> bool:
        if isinstance(exc, _NEVER_SENT):
            return True
        if isinstance(exc, _NOT_RETRYABLE):
            return False
        return _safe_to_repeat(request)

    def retries_status(
        self, request: httpx.Request, status_code: int, retries: int, rate_limited: int
    ) -> bool:
        """Whether to try again after an error status, ``retries`` retries (``rate_limited`` of
        them after a 429) into the request. A 429 means the request was not taken: any method
        is retried, on a budget of its own."""
        if status_code == 429:
            return rate_limited < self.max_rate_limit_retries
        return (
            retries - rate_limited < self.max_retries
            and _safe_to_repeat(request)
            and status_code in RETRYABLE_STATUS_CODES
        )

    def backoff(self, attempt: int) -> float:
        base = min(self.initial_delay * 2.0**attempt, self.max_delay)
        return base * (1.0 - self.jitter * float(self.random()))

    def delay_after(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None: do not retry."""
        retry_after = retry_after_seconds(response)
        if retry_after is None:
            return self.backoff(attempt)
        return retry_after if retry_after <= self.max_retry_after else None


def _safe_to_repeat(request: httpx.Request) -> bool:
    return request.method in IDEMPOTENT_METHODS or bool(
        request.extensions.get(IDEMPOTENT_EXTENSION)
    )


def connection_error(
    exc: httpx.TransportError, request: httpx.Request, attempts: int
) -> ApiConnectionError:
    cls = ApiTimeoutError if isinstance(exc, httpx.TimeoutException) else ApiConnectionError
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    detail = str(exc) or type(exc).__name__
    where = f"{request.method} {safe_url(request.url.copy_with(query=None))}"
    error = cls(f"{type(exc).__name__} on {where}{tries}: {detail}", request=request)
    if isinstance(error, ApiTimeoutError):
        read = request.extensions.get("timeout", {}).get("read")
        error.read_timeout = float(read) if isinstance(read, int | float) else None
    return error


def log_retry(request: httpx.Request, why: str, delay: float, attempt: int) -> None:
    logger.info(
        "retrying %s %s after %s in %.2f s (retry %d)",
        request.method,
        safe_url(request.url.copy_with(query=None)),
        why,
        delay,
        attempt + 1,
    )
