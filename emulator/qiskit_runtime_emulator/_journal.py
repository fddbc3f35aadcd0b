"""The request journal: what every request the emulator served looked like, secrets left out.

Tests assert on it ("the client made exactly one POST /v1/jobs", "every call sent
IBM-API-Version"). An entry keeps the method, the path and the operation it matched, the query
(values of secret-looking keys replaced), the status, a few request headers, and the body sizes.
It never keeps a token, an API key or a body: ``Authorization`` is reduced to its scheme.

The journal is bounded (the newest ``capacity`` entries), so a long-lived emulator's memory and
every route's cost stay independent of how many requests it has served.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["JOURNALED_HEADERS", "JOURNAL_CAPACITY", "Journal", "JournalEntry"]

JOURNAL_CAPACITY = 10_000
# Request headers worth asserting on; anything else (cookies, proxies' headers) is left out.
JOURNALED_HEADERS = (
    "accept",
    "content-type",
    "ibm-api-version",
    "service-crn",
    "user-agent",
    "x-qx-client-application",
    "parent-job-id",
    "ibm-api-function-id",
)
_SECRET_KEYS = ("apikey", "api_key", "token", "access_token", "refresh_token", "password")
REDACTED = "<redacted>"


@dataclass(frozen=True)
class JournalEntry:
    """One request and its answer."""

    seq: int
    time: float
    method: str
    path: str
    # "POST /v1/jobs/{id}/cancel" whatever prefix was used; "" for unrouted paths.
    operation: str
    query: dict[str, list[str]]
    status: int
    headers: dict[str, str]
    # "Bearer" or "apikey" (the scheme only), or None when no Authorization was sent.
    auth_scheme: str | None
    request_bytes: int
    response_bytes: int
    duration_ms: float
    # The fault injected instead of (or after) handling: "error", "rate_limit", "drop",
    # "lost_response", or None.
    fault: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def redact_query(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    query: dict[str, list[str]] = {}
    for key, value in pairs:
        secret = any(word in key.lower() for word in _SECRET_KEYS)
        query.setdefault(key, []).append(REDACTED if secret else value)
    return query


def auth_scheme(header: str | None) -> str | None:
    if not header:
        return None
    scheme = header.split(" ", 1)[0].strip()
    return scheme if scheme.lower() in ("bearer", "apikey", "basic") else "other"


class Journal:
    """Thread-safe, bounded, in order of arrival; ``seq`` numbers keep counting after a clear."""

    def __init__(self, capacity: int = JOURNAL_CAPACITY) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self._seq = itertools.count(1)

    def next_seq(self) -> int:
        with self._lock:
            return next(self._seq)

    def record(self, entry: JournalEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def entries(
        self,
        method: str | None = None,
        operation: str | None = None,
        *,
        path: str | None = None,
        since: int = 0,
    ) -> list[JournalEntry]:
        """Entries after ``since`` (a ``seq``), filtered by method, operation and path.

        ``operation`` is the spec's template, with or without its method (``"/v1/jobs/{id}"`` or
        ``"GET /v1/jobs/{id}"``, as entries record it), ``path`` the path as sent after the API
        prefix (``"/v1/jobs/abc"``); both match exactly.
        """
        with self._lock:
            snapshot = list(self._entries)
        wanted_method = method.upper() if method else None
        return [
            entry
            for entry in snapshot
            if entry.seq > since
            and (wanted_method is None or entry.method == wanted_method)
            and (
                operation is None
                or operation in (entry.operation, entry.operation.split(" ", 1)[-1])
            )
            and (path is None or entry.path == path or entry.path.endswith(f"/api{path}"))
        ]

    def count(self, method: str | None = None, operation: str | None = None, **kw: Any) -> int:
        return len(self.entries(method, operation, **kw))

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the newest entry (0 if none): pass it as ``since`` later."""
        with self._lock:
            return self._entries[-1].seq if self._entries else 0

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _path_of(operation: str) -> str:
    """``"GET /v1/jobs/{id}"`` without its method."""
    return operation.split(" ", 1)[-1]
