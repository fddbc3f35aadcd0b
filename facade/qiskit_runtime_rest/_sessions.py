"""Sessions and batches (``rt.session(...)``, ``rt.batch(...)``, ``rt.sessions``). Sync and async.

A ``Session`` is a context manager: leaving the block closes it gracefully
(``PATCH /v1/sessions/{id}`` with ``accepting_jobs: false``: queued jobs still run) on every
path, an exception or a KeyboardInterrupt included, and a failure to close never hides the
exception that ended the block (it is attached to it as a note instead).
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote

from ._exceptions import ConflictError, InvalidInputError, NotFoundError
from ._jobs import AsyncJob, AsyncJobs, Job, Jobs, _AsyncClient, _json, _SyncClient
from ._resources import _int, _number, parse_time
from ._results import EstimatorResult, SamplerResult

__all__ = [
    "AsyncSession",
    "AsyncSessionOpener",
    "AsyncSessions",
    "Session",
    "SessionDetails",
    "Sessions",
]

logger = logging.getLogger("qiskit_runtime_rest")

SESSION_MODES = ("dedicated", "batch")


def _session_path(session_id: str, suffix: str = "") -> str:
    return f"/v1/sessions/{quote(session_id, safe='')}{suffix}"


@dataclass(frozen=True)
class SessionDetails:
    """``GET /v1/sessions/{id}``. ``state`` is ``open``, ``active``, ``inactive`` or ``closed``;
    TTLs are in seconds; timestamps are timezone-aware datetimes (``None`` when not reached)."""

    id: str
    mode: str | None
    state: str | None
    state_reason: str | None
    accepting_jobs: bool | None
    backend_name: str | None
    max_ttl: int | None
    active_ttl: int | None
    interactive_ttl: int | None
    started_at: datetime | None
    activated_at: datetime | None
    closed_at: datetime | None
    last_job_started: datetime | None
    last_job_completed: datetime | None
    elapsed_time: float | None
    timestamps: list[tuple[str, datetime | None]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> SessionDetails:
        accepting = body.get("accepting_jobs")
        return cls(
            id=str(body.get("id")),
            mode=body.get("mode"),
            state=body.get("state"),
            state_reason=body.get("state_reason") or None,
            accepting_jobs=accepting if isinstance(accepting, bool) else None,
            backend_name=body.get("backend_name"),
            max_ttl=_int(body.get("max_ttl")),
            active_ttl=_int(body.get("active_ttl")),
            interactive_ttl=_int(body.get("interactive_ttl")),
            started_at=parse_time(body.get("started_at")),
            activated_at=parse_time(body.get("activated_at")),
            closed_at=parse_time(body.get("closed_at")),
            last_job_started=parse_time(body.get("last_job_started")),
            last_job_completed=parse_time(body.get("last_job_completed")),
            elapsed_time=_number(body.get("elapsed_time")),
            timestamps=[
                (str(item.get("status")), parse_time(item.get("timestamp")))
                for item in body.get("timestamps") or []
                if isinstance(item, Mapping)
            ],
            raw=dict(body),
        )


def _create_body(backend: str, mode: str, max_ttl: int | None) -> dict[str, Any]:
    if not isinstance(backend, str) or not backend:
        raise InvalidInputError("backend must be a non-empty backend name, e.g. 'ibm_pittsburgh'")
    if mode not in SESSION_MODES:
        raise InvalidInputError(f"mode must be 'dedicated' (a session) or 'batch', got {mode!r}")
    body: dict[str, Any] = {"mode": mode, "backend": backend}
    if max_ttl is not None:
        if isinstance(max_ttl, bool) or not isinstance(max_ttl, int) or max_ttl < 1:
            raise InvalidInputError(f"max_ttl must be a whole number of seconds >= 1: {max_ttl!r}")
        body["max_ttl"] = max_ttl
    return body


def _note_close_failure(original: BaseException, session_id: str, close: Exception) -> None:
    logger.warning("closing session %s after an error failed too: %s", session_id, close)
    original.add_note(f"(closing session {session_id} on the way out also failed: {close})")


class _SessionBase:
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


class Session(_SessionBase):
    """A session or batch. Use it as a context manager; jobs submitted through it join it."""

    def __init__(
        self,
        client: _SyncClient,
        session_id: str,
        *,
        backend: str | None = None,
        mode: str | None = None,
    ) -> None:
        super().__init__(session_id, backend, mode)
        self._client = client
        self._jobs = Jobs(client)

    def run_sampler(
        self,
        pubs: Any,
        *,
        shots: int | None = None,
        options: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        max_execution_time: int | None = None,
        log_level: str | None = None,
        private: bool | None = None,
        support_qiskit: bool = False,
        idempotency: bool = True,
    ) -> Job[SamplerResult]:
        """``rt.jobs.run_sampler`` on this session's backend, inside this session."""
        return self._jobs.run_sampler(
            self._require_backend(),
            pubs,
            session=self._id,
            shots=shots,
            options=options,
            tags=tags,
            max_execution_time=max_execution_time,
            log_level=log_level,
            private=private,
            support_qiskit=support_qiskit,
            idempotency=idempotency,
        )

    def run_estimator(
        self,
        pubs: Any,
        *,
        precision: float | None = None,
        resilience_level: int | None = None,
        options: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        max_execution_time: int | None = None,
        log_level: str | None = None,
        private: bool | None = None,
        support_qiskit: bool = False,
        idempotency: bool = True,
    ) -> Job[EstimatorResult]:
        """``rt.jobs.run_estimator`` on this session's backend, inside this session."""
        return self._jobs.run_estimator(
            self._require_backend(),
            pubs,
            session=self._id,
            precision=precision,
            resilience_level=resilience_level,
            options=options,
            tags=tags,
            max_execution_time=max_execution_time,
            log_level=log_level,
            private=private,
            support_qiskit=support_qiskit,
            idempotency=idempotency,
        )

    def jobs(self) -> list[Job[Any]]:
        """The jobs submitted to this session (``GET /v1/jobs?session_id=...``)."""
        return list(self._jobs.list(session_id=self._id))

    def details(self) -> SessionDetails:
        return self._apply_details(
            _json(self._client._request("GET", _session_path(self._id)), "session")
        )

    def close(self) -> None:
        """Stop accepting jobs; queued and running jobs still finish, then the session ends."""
        self._client._request("PATCH", _session_path(self._id), json={"accepting_jobs": False})
        self._closed = True

    def cancel(self) -> None:
        """End the session now: queued jobs will not run (running ones finish)."""
        self._client._request("DELETE", _session_path(self._id, "/close"))
        self._closed = True

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._closed:
            return
        try:
            self.close()
        except (ConflictError, NotFoundError) as gone:
            # Already closed or expired (max_ttl): nothing left to close.
            logger.info("session %s was already closed: %s", self._id, gone)
            self._closed = True
        except Exception as close_error:
            if exc is None:
                raise
            _note_close_failure(exc, self._id, close_error)


class Sessions:
    """``rt.sessions``: open a session or batch, or re-attach to one."""

    def __init__(self, client: _SyncClient) -> None:
        self._client = client

    def open(self, backend: str, *, mode: str, max_ttl: int | None = None) -> Session:
        """``POST /v1/sessions``; ``mode`` is ``"dedicated"`` (a session) or ``"batch"``."""
        body = _create_body(backend, mode, max_ttl)
        created = _json(self._client._request("POST", "/v1/sessions", json=body), "session")
        return Session(self._client, str(created["id"]), backend=backend, mode=mode)

    def get(self, session_id: str, *, backend: str | None = None) -> Session:
        """Re-attach to an existing session (its backend and mode are read from the server)."""
        session = Session(self._client, session_id, backend=backend)
        session.details()
        return session


class AsyncSession(_SessionBase):
    """The async twin of ``Session``; use ``async with``."""

    def __init__(
        self,
        client: _AsyncClient,
        session_id: str,
        *,
        backend: str | None = None,
        mode: str | None = None,
    ) -> None:
        super().__init__(session_id, backend, mode)
        self._client = client
        self._jobs = AsyncJobs(client)

    async def run_sampler(
        self,
        pubs: Any,
        *,
        shots: int | None = None,
        options: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        max_execution_time: int | None = None,
        log_level: str | None = None,
        private: bool | None = None,
        support_qiskit: bool = False,
        idempotency: bool = True,
    ) -> AsyncJob[SamplerResult]:
        """``rt.jobs.run_sampler`` on this session's backend, inside this session."""
        return await self._jobs.run_sampler(
            self._require_backend(),
            pubs,
            session=self._id,
            shots=shots,
            options=options,
            tags=tags,
            max_execution_time=max_execution_time,
            log_level=log_level,
            private=private,
            support_qiskit=support_qiskit,
            idempotency=idempotency,
        )

    async def run_estimator(
        self,
        pubs: Any,
        *,
        precision: float | None = None,
        resilience_level: int | None = None,
        options: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        max_execution_time: int | None = None,
        log_level: str | None = None,
        private: bool | None = None,
        support_qiskit: bool = False,
        idempotency: bool = True,
    ) -> AsyncJob[EstimatorResult]:
        """``rt.jobs.run_estimator`` on this session's backend, inside this session."""
        return await self._jobs.run_estimator(
            self._require_backend(),
            pubs,
            session=self._id,
            precision=precision,
            resilience_level=resilience_level,
            options=options,
            tags=tags,
            max_execution_time=max_execution_time,
            log_level=log_level,
            private=private,
            support_qiskit=support_qiskit,
            idempotency=idempotency,
        )

    async def jobs(self) -> list[AsyncJob[Any]]:
        return [job async for job in self._jobs.list(session_id=self._id)]

    async def details(self) -> SessionDetails:
        response = await self._client._request("GET", _session_path(self._id))
        return self._apply_details(_json(response, "session"))

    async def close(self) -> None:
        await self._client._request(
            "PATCH", _session_path(self._id), json={"accepting_jobs": False}
        )
        self._closed = True

    async def cancel(self) -> None:
        await self._client._request("DELETE", _session_path(self._id, "/close"))
        self._closed = True

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._closed:
            return
        try:
            await self.close()
        except (ConflictError, NotFoundError) as gone:
            logger.info("session %s was already closed: %s", self._id, gone)
            self._closed = True
        except Exception as close_error:
            if exc is None:
                raise
            _note_close_failure(exc, self._id, close_error)


class AsyncSessionOpener:
    """What ``AsyncSessions.open`` returns: ``await`` it for the session, or use it directly in
    ``async with`` (the session is created on entry and closed on exit)."""

    def __init__(self, sessions: AsyncSessions, body: dict[str, Any]) -> None:
        self._sessions = sessions
        self._body = body
        self._session: AsyncSession | None = None

    def __await__(self) -> Generator[Any, None, AsyncSession]:
        return self._sessions._create(self._body).__await__()

    async def __aenter__(self) -> AsyncSession:
        self._session = await self._sessions._create(self._body)
        return self._session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.__aexit__(exc_type, exc, tb)


class AsyncSessions:
    """The async twin of ``Sessions``."""

    def __init__(self, client: _AsyncClient) -> None:
        self._client = client

    def open(self, backend: str, *, mode: str, max_ttl: int | None = None) -> AsyncSessionOpener:
        """``async with rt.sessions.open(...) as s`` or ``s = await rt.sessions.open(...)``."""
        return AsyncSessionOpener(self, _create_body(backend, mode, max_ttl))

    async def _create(self, body: dict[str, Any]) -> AsyncSession:
        response = await self._client._request("POST", "/v1/sessions", json=body)
        created = _json(response, "session")
        return AsyncSession(
            self._client, str(created["id"]), backend=body["backend"], mode=body["mode"]
        )

    async def get(self, session_id: str, *, backend: str | None = None) -> AsyncSession:
        session = AsyncSession(self._client, session_id, backend=backend)
        await session.details()
        return session
