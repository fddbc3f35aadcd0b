"""The I/O-free half of waiting on jobs: poll schedule, deadline, outcome, and batching.

Sync and async waiters share this module and differ only in how they send a request and sleep,
so both back off, honour timeouts and report outcomes identically.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from numbers import Real
from typing import Any, Final

from ._constants import (
    INITIAL_POLL_INTERVAL,
    MAX_OUTAGE,
    MAX_POLL_INTERVAL,
    MIN_POLL_REQUEST_TIMEOUT,
    POLL_BACKOFF_FACTOR,
    POLL_JITTER,
)
from ._exceptions import (
    ApiConnectionError,
    InvalidInputError,
    JobCancelledError,
    JobFailedError,
    JobTimeoutError,
    RateLimitError,
    ServerError,
)
from ._status import JobState, JobStatus

__all__ = [
    "Backoff",
    "Deadline",
    "FailureBudget",
    "TransientErrors",
    "raise_for_outcome",
]

# Errors that say nothing about the job: keep waiting through them (within the deadline).
TransientErrors: Final = (ApiConnectionError, ServerError, RateLimitError)


class Backoff:
    """Successive poll delays: ``initial * factor**n`` capped at ``cap``, with downward jitter."""

    def __init__(
        self,
        initial: float = INITIAL_POLL_INTERVAL,
        factor: float = POLL_BACKOFF_FACTOR,
        cap: float = MAX_POLL_INTERVAL,
        jitter: float = POLL_JITTER,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._next = initial
        self._factor = factor
        self._cap = cap
        self._jitter = jitter
        self._rand = rand

    def next(self) -> float:
        delay = min(self._next, self._cap)
        self._next = delay * self._factor
        return delay * (1.0 - self._jitter * self._rand())


def check_timeout(value: Any) -> float | None:
    """A wait's ``timeout``: None (no limit) or a finite number of seconds >= 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InvalidInputError(f"timeout must be a number of seconds or None, got {value!r:.40}")
    try:
        seconds = float(value)
    except OverflowError:
        seconds = math.inf
    if not math.isfinite(seconds) or seconds < 0:
        raise InvalidInputError(
            f"timeout must be a finite number of seconds >= 0, or None for no limit, "
            f"got {value!r:.40}"
        )
    return seconds


class Deadline:
    """A wait's time budget on an injectable monotonic clock; ``timeout=None`` is unbounded."""

    def __init__(self, clock: Callable[[], float], timeout: float | None) -> None:
        timeout = check_timeout(timeout)
        self._clock = clock
        self.timeout = timeout
        self._end = None if timeout is None else clock() + timeout

    def now(self) -> float:
        return self._clock()

    def remaining(self) -> float | None:
        return None if self._end is None else self._end - self._clock()

    def expired(self) -> bool:
        left = self.remaining()
        return left is not None and left <= 0

    def clip(self, delay: float) -> float:
        left = self.remaining()
        return delay if left is None else max(0.0, min(delay, left))

    def request_timeout(self) -> float | None:
        """The timeout for one poll request: ``None`` (client default) unless a deadline is near."""
        left = self.remaining()
        if left is None:
            return None
        return max(MIN_POLL_REQUEST_TIMEOUT, left)

    def timeout_error(self, what: str, job_id: str | None, status: JobStatus | None) -> Exception:
        seen = f"; last status {status.value}" if status is not None else ""
        return JobTimeoutError(
            f"{what} did not finish within {self.timeout:g} s{seen}. The job itself is "
            "untouched and may still finish: wait again, or cancel it.",
            job_id=job_id,
            timeout=float(self.timeout or 0.0),
        )


class FailureBudget:
    """Decides whether a failed poll (or ``wait_all`` round) is worth waiting through: transient
    failures are, until the deadline, or with no deadline for ``MAX_OUTAGE`` seconds of nothing
    but failures."""

    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline
        self._since: float | None = None

    def absorb(self, exc: Exception) -> bool:
        """True when the waiter should keep going after ``exc``."""
        if not isinstance(exc, TransientErrors):
            return False
        now = self._deadline.now()
        if self._since is None:
            self._since = now
        if self._deadline.timeout is None:
            return now - self._since < MAX_OUTAGE
        return not self._deadline.expired()

    def reset(self) -> None:
        self._since = None


def raise_for_outcome(job_id: str, state: JobState) -> None:
    """Raise the error a final, unsuccessful state stands for; return quietly otherwise."""
    if state.ran_too_long:
        message = (
            f"job {job_id} ran longer than its maximum execution time and was stopped "
            f"(reason code 1305){_explain(state)}. Raise max_execution_time (at most 10800 s) "
            "or split the work into smaller jobs."
        )
        error: type[JobFailedError | JobCancelledError] = JobFailedError
    elif state.status is JobStatus.FAILED:
        message, error = f"job {job_id} failed{_explain(state)}", JobFailedError
    elif state.status is JobStatus.CANCELLED:
        message, error = f"job {job_id} was cancelled{_explain(state)}", JobCancelledError
    else:
        return
    raise error(
        message,
        job_id=job_id,
        reason=state.reason,
        reason_code=state.reason_code,
        reason_solution=state.reason_solution,
    )


def _explain(state: JobState) -> str:
    parts = []
    if state.reason:
        parts.append(state.reason)
    if state.reason_code is not None:
        parts.append(f"reason code {state.reason_code}")
    text = f": {'; '.join(parts)}" if parts else ""
    if state.reason_solution:
        text += f"; solution: {state.reason_solution}"
    return text
