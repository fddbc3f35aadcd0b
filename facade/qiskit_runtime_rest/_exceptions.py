"""The exception hierarchy, and the one parser that turns an error response into it.

Every error a user can see is a ``QiskitRuntimeError``. HTTP failures are ``ApiError`` subclasses
chosen by status (and by IBM's code 1202 for rate limits); failures caught before anything is sent
are ``InvalidInputError``; job outcomes are ``JobFailedError`` / ``JobCancelledError`` /
``JobTimeoutError``. No message or repr here ever contains a credential: the request line is kept
as method and URL only, and headers are never copied.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "ApiTimeoutError",
    "AuthenticationError",
    "ConflictError",
    "InvalidInputError",
    "JobCancelledError",
    "JobFailedError",
    "JobSubmissionUnknownError",
    "JobTimeoutError",
    "NotFoundError",
    "PermissionDeniedError",
    "QiskitRuntimeError",
    "RateLimitError",
    "ServerError",
    "TranspilerServiceError",
    "UnexpectedResponseError",
    "error_from_response",
    "parse_error_body",
    "retry_after_seconds",
]

RATE_LIMIT_CODES = frozenset({"1202"})
_MAX_BODY_IN_MESSAGE = 300


class QiskitRuntimeError(Exception):
    """Base class of every error raised by qiskit_runtime_rest."""


class InvalidInputError(QiskitRuntimeError, ValueError):
    """Input rejected before any request was sent (bad CRN, malformed PUB, too many tags, ...)."""


class ApiConnectionError(QiskitRuntimeError):
    """The request could not be completed at the network level (after any retries)."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.method = request.method if request is not None else None
        self.url = safe_url(request.url) if request is not None else None


class ApiTimeoutError(ApiConnectionError):
    """The request timed out (connect, read, write or pool). ``read_timeout`` is the read
    timeout the request had (seconds), which bounds how long the client waited for an answer."""

    read_timeout: float | None = None


class ApiError(QiskitRuntimeError):
    """The API answered with a non-2xx status.

    ``code``, ``message``, ``trace`` and ``more_info`` come from the error body whichever of the
    three documented shapes it has; ``body`` keeps the raw text so nothing is lost.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str | None = None,
        trace: str | None = None,
        more_info: str | None = None,
        solution: str | None = None,
        body: str = "",
        method: str | None = None,
        url: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.trace = trace
        self.more_info = more_info
        self.solution = solution
        self.body = body
        self.method = method
        self.url = url
        self.retry_after = retry_after

    def __str__(self) -> str:
        # status_code 0 means no HTTP answer at all (IAM unreachable): say nothing rather than "0".
        parts = [f"{self.status_code}"] if self.status_code else []
        if self.code:
            parts.append(f"[code {self.code}]")
        parts.append(self.message)
        text = " ".join(parts)
        if self.method and self.url:
            text += f" ({self.method} {self.url})"
        if self.solution:
            text += f"; solution: {self.solution}"
        if self.trace:
            text += f"; trace: {self.trace}"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code}, code={self.code!r}, "
            f"message={self.message!r}, trace={self.trace!r})"
        )


class AuthenticationError(ApiError):
    """401 from the API, or any failure to obtain an IAM token."""


class PermissionDeniedError(ApiError):
    """403: the credentials are valid but not allowed to do this."""


class NotFoundError(ApiError):
    """404: no such job, session, backend, account, ..."""


class ConflictError(ApiError):
    """409: e.g. cancelling a job that is already final, or the instance usage limit is reached."""


class RateLimitError(ApiError):
    """429, or IBM's error code 1202 ("too many requests")."""


class ServerError(ApiError):
    """5xx (including Cloudflare's 52x)."""


class UnexpectedResponseError(QiskitRuntimeError):
    """A 2xx answer whose body this client cannot read: not JSON, truncated, or of the wrong
    shape (an HTML page from a proxy, a list where an object belongs, a job without an id)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        method: str | None = None,
        url: str | None = None,
        body: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.method = method
        self.url = url
        self.body = body


class _JobError(QiskitRuntimeError):
    def __init__(
        self,
        message: str,
        *,
        job_id: str,
        reason: str | None = None,
        reason_code: int | None = None,
        reason_solution: str | None = None,
    ) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.reason = reason
        self.reason_code = reason_code
        self.reason_solution = reason_solution


class JobFailedError(_JobError):
    """The job ended Failed (or was stopped for running too long, reason code 1305)."""


class JobCancelledError(_JobError):
    """The job ended Cancelled."""


class JobSubmissionUnknownError(QiskitRuntimeError):
    """``POST /v1/jobs`` failed ambiguously and the follow-up lookup failed too: the job may or
    may not exist. ``idempotency_tag`` finds it: ``rt.jobs.list(tags=[tag])``."""

    def __init__(self, message: str, *, idempotency_tag: str) -> None:
        super().__init__(message)
        self.idempotency_tag = idempotency_tag


class TranspilerServiceError(QiskitRuntimeError):
    """IBM's transpiler service ran a task that failed (``state`` FAILURE, or a circuit it could
    not transpile). HTTP failures of the service are ``ApiError``s, as for the API."""

    def __init__(self, message: str, *, task_id: str | None) -> None:
        super().__init__(message)
        self.task_id = task_id


class JobTimeoutError(QiskitRuntimeError, TimeoutError):
    """A wait ran out of time. The job itself is untouched and may still finish."""

    def __init__(self, message: str, *, job_id: str | None, timeout: float) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.timeout = timeout


_BY_STATUS: dict[int, type[ApiError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def parse_error_body(text: str) -> dict[str, str | None]:
    """Extract ``code``, ``message``, ``trace``, ``more_info`` and ``solution`` from an error body.

    Accepts IBM's ErrorContainer (string codes), GenericErrorDto (numeric codes, ``solution``), the
    flat ``{"code", "message"}`` shape, and ``{"error": {...}}``; anything else yields only what
    can be found. Never raises.
    """
    found: dict[str, str | None] = dict.fromkeys(
        ("code", "message", "trace", "more_info", "solution")
    )
    try:
        data: Any = json.loads(text) if text else None
    except ValueError:
        return found
    if not isinstance(data, dict):
        return found
    trace = data.get("trace") or data.get("traceId") or data.get("trace_id")
    if trace is not None:
        found["trace"] = str(trace)
    entry: Any = data
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        entry = errors[0]
    elif isinstance(data.get("error"), dict):
        entry = data["error"]
    for key in ("code", "message", "more_info", "solution"):
        value = entry.get(key)
        if value is not None and not isinstance(value, dict | list):
            found[key] = str(value)
    if found["message"] is None and isinstance(data.get("error"), str):
        found["message"] = data["error"]
    return found


def body_snippet(text: str) -> str:
    """The start of an unparsable error body, whitespace collapsed, to quote in a message."""
    return " ".join(text.split())[:_MAX_BODY_IN_MESSAGE]


def safe_url(url: httpx.URL) -> str:
    # Query strings on this API carry no secrets, but userinfo might: drop it.
    return str(url.copy_with(username=None, password=None)) if url.userinfo else str(url)


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The ``Retry-After`` header in seconds (delta or HTTP date), or None if absent or garbled."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if seconds == seconds else None  # NaN is not a delay


def error_from_response(response: httpx.Response) -> ApiError:
    """Build the typed ``ApiError`` for a non-2xx response. The body must already be read."""
    try:
        text = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        text = ""
    fields = parse_error_body(text)
    status = response.status_code
    code = fields["code"]
    if status in _BY_STATUS:
        cls = _BY_STATUS[status]
    elif status >= 500:
        cls = ServerError
    else:
        cls = ApiError
    if code in RATE_LIMIT_CODES:
        cls = RateLimitError
    message = fields["message"] or body_snippet(text) or response.reason_phrase or "HTTP error"
    trace = fields["trace"] or response.headers.get("uber-trace-id")
    request = response._request  # a bare mock response has none
    return cls(
        message,
        status_code=status,
        code=code,
        trace=trace,
        more_info=fields["more_info"],
        solution=fields["solution"],
        body=text,
        method=request.method if request is not None else None,
        url=safe_url(request.url) if request is not None else None,
        retry_after=retry_after_seconds(response),
    )
