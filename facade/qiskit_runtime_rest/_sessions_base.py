"""What the session handles of both flavours share, I/O-free: identity, details, and how a
failure to close on the way out is reported without hiding the error that ended the block."""

from __future__ import annotations

import logging
from typing import Any

from ._exceptions import InvalidInputError
from ._models import SessionDetails

logger = logging.getLogger("qiskit_runtime_rest")


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
