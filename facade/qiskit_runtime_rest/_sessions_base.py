"""What the session handles of both flavours share, I/O-free: identity, details, and how a
failure to close on the way out is reported without hiding the error that ended the block."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ._constants import LISTING_CLOCK_SKEW
from ._exceptions import InvalidInputError
from ._models import SessionDetails

logger = logging.getLogger("qiskit_runtime_rest")


# Sessions this process created or opened: after a lost creation answer, the one open session
# that is not among them is the one that answer would have named.
_SEEN: set[str] = set()
_WORKLOAD_MODES = {"dedicated": "session", "batch": "batch"}


def remember_session(session_id: str) -> None:
    _SEEN.add(session_id)


def session_search_params(body: Mapping[str, Any], started: datetime) -> dict[str, Any]:
    """``GET /v1/workloads`` filters for sessions like ``body`` created since ``started``."""
    return {
        "user": "me",
        "mode": _WORKLOAD_MODES.get(body["mode"], body["mode"]),
        "backend": body["backend"],
        "created_after": started - timedelta(seconds=LISTING_CLOCK_SKEW),
        "sort": "-createdAt",
        "limit": 50,
    }


def orphan_sessions(page: Mapping[str, Any]) -> list[str]:
    """Open sessions in a workloads page that this process never saw. A session another process
    of the same user opened on that backend at that moment is indistinguishable: the caller
    adopts a candidate only when it is the only one."""
    rows = page.get("workloads")
    ended = ("completed", "canceled", "cancelled", "failed")
    return [
        str(row["id"])
        for row in (rows if isinstance(rows, list) else [])
        if isinstance(row, Mapping)
        and row.get("id")
        and row.get("accepting_jobs") is not False
        and str(row.get("status", "")).lower() not in ended
        and str(row["id"]) not in _SEEN
    ]


def note_close_failure(original: BaseException, session_id: str, close: Exception) -> None:
    logger.warning("closing session %s after an error failed too: %s", session_id, close)
    original.add_note(f"(closing session {session_id} on the way out also failed: {close})")


class SessionBase:
    """A session's identity and last-known details; the requests live in the subclasses."""

    def __init__(self, session_id: str, backend: str | None, mode: str | None) -> None:
        self._id = session_id
        self._backend = backend
        self._mode = mode
        self._closed = False

    @property
    def id(self) -> str:
        return self._id

    @property
    def backend(self) -> str | None:
        return self._backend

    @property
    def mode(self) -> str | None:
        """``"dedicated"`` for a session, ``"batch"`` for a batch."""
        return self._mode

    def _apply_details(self, body: Any) -> SessionDetails:
        details = SessionDetails.from_body(body)
        self._backend = details.backend_name or self._backend
        self._mode = details.mode or self._mode
        return details

    def _require_backend(self) -> str:
        if not self._backend:
            raise InvalidInputError(
                f"session {self._id} has no backend yet (it is still 'open'); re-attach with "
                "rt.sessions.get(session_id, backend=...)"
            )
        return self._backend

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(id={self._id!r}, backend={self._backend!r}, mode={self._mode!r})"
