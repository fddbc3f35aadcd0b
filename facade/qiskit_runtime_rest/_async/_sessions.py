"""Sessions and batches (``rt.session(...)``, ``rt.batch(...)``, ``rt.sessions``).

A session is a context manager: leaving the block closes it gracefully
(``PATCH /v1/sessions/{id}`` with ``accepting_jobs: false``: queued jobs still run) on every
path, an exception or a KeyboardInterrupt included, and a failure to close never hides the
exception that ended the block (it is attached to it as a note instead).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Unpack

from .._constants import IDEMPOTENCY_LOOKUP_SETTLE, SESSION_LOOKUPS
from .._exceptions import (
    ConflictError,
    NotFoundError,
    QiskitRuntimeError,
    UnexpectedResponseError,
)
from .._jobs_base import EstimatorOptions, SamplerOptions, is_ambiguous
from .._models import SessionDetails
from .._protocol import session_create_body, session_path
from .._results import EstimatorResult, SamplerResult
from .._sessions_base import (
    SessionBase,
    note_close_failure,
    orphan_sessions,
    remember_session,
    session_search_params,
)
from .._wire import read_object, require_id
from ._flavour import Opener, open_lazily
from ._jobs import AsyncJob, AsyncJobs
from ._requester import AsyncRequester

__all__ = ["AsyncSession", "AsyncSessions"]

logger = logging.getLogger("qiskit_runtime_rest")


class AsyncSession(SessionBase):
    """A session or batch. Use it as a context manager; jobs submitted through it join it."""

    def __init__(
        self,
        client: AsyncRequester,
        session_id: str,
        *,
        backend: str | None = None,
        mode: str | None = None,
    ) -> None:
        super().__init__(session_id, backend, mode)
        self._client = client
        self._jobs = AsyncJobs(client)

    async def run_sampler(
        self, pubs: Any, **options: Unpack[SamplerOptions]
    ) -> AsyncJob[SamplerResult]:
        """``rt.jobs.run_sampler`` on this session's backend, inside this session (same
        keyword options: ``shots``, ``options``, ``tags``, ``transpile``, ...)."""
        backend = self._require_backend()
        return await self._jobs.run_sampler(backend, pubs, session=self._id, **options)

    async def run_estimator(
        self, pubs: Any, **options: Unpack[EstimatorOptions]
    ) -> AsyncJob[EstimatorResult]:
        """``rt.jobs.run_estimator`` on this session's backend, inside this session (same
        keyword options: ``precision``, ``resilience_level``, ``options``, ``tags``, ...)."""
        backend = self._require_backend()
        return await self._jobs.run_estimator(backend, pubs, session=self._id, **options)

    async def jobs(self) -> list[AsyncJob[Any]]:
        """The jobs submitted to this session (``GET /v1/jobs?session_id=...``)."""
        return [job async for job in self._jobs.list(session_id=self._id)]

    async def details(self) -> SessionDetails:
        """The session's state, mode, backend, TTLs and timestamps."""
        response = await self._client._request("GET", session_path(self._id))
        return self._apply_details(read_object(response, f"session {self._id}"))

    async def close(self) -> None:
        """Stop accepting jobs; queued and running jobs still finish, then the session ends."""
        # Safe to repeat, so retried like a GET: one lost answer must not leave it open.
        await self._client._request(
            "PATCH", session_path(self._id), json={"accepting_jobs": False}, idempotent=True
        )
        self._closed = True

    async def cancel(self) -> None:
        """End the session now: queued jobs will not run (running ones finish)."""
        await self._client._request("DELETE", session_path(self._id, "/close"))
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
            # Already closed or expired (max_ttl): nothing left to close.
            logger.info("session %s was already closed: %s", self._id, gone)
            self._closed = True
        except Exception as close_error:
            if exc is None:
                raise
            note_close_failure(exc, self._id, close_error)


class AsyncSessions:
    """``rt.sessions``: open a session or batch, or re-attach to one."""

    def __init__(self, client: AsyncRequester) -> None:
        self._client = client

    def open(self, backend: str, *, mode: str, max_ttl: int | None = None) -> Opener[AsyncSession]:
        """``POST /v1/sessions``; ``mode`` is ``"dedicated"`` (a session) or ``"batch"``. Use the
        result in a ``with`` block (the async client also lets you ``await`` it)."""
        body = session_create_body(backend, mode, max_ttl)
        return open_lazily(lambda: self._create(body))

    async def _create(self, body: dict[str, Any]) -> AsyncSession:
        started = datetime.now(UTC)
        try:
            response = await self._client._request("POST", "/v1/sessions", json=body)
            session_id = require_id(
                response, read_object(response, "POST /v1/sessions"), "POST /v1/sessions"
            )
        except QiskitRuntimeError as exc:
            if not (is_ambiguous(exc) or isinstance(exc, UnexpectedResponseError)):
                raise
            session_id = await self._find_created(body, started, exc)
        remember_session(session_id)
        return AsyncSession(self._client, session_id, backend=body["backend"], mode=body["mode"])

    async def _find_created(
        self, body: dict[str, Any], started: datetime, original: QiskitRuntimeError
    ) -> str:
        """The session an ambiguously failed ``POST /v1/sessions`` created, if the server made
        one: the one open session of this user, backend and mode created since, that this
        process has not seen. Without one, the original error stands."""
        params = session_search_params(body, started)
        for look in range(SESSION_LOOKUPS):
            if look:
                await self._client._sleep(IDEMPOTENCY_LOOKUP_SETTLE)
            try:
                response = await self._client._request("GET", "/v1/workloads", params=params)
                candidates = orphan_sessions(read_object(response, "GET /v1/workloads"))
            except QiskitRuntimeError:
                continue
            if len(candidates) == 1:
                logger.warning(
                    "POST /v1/sessions failed (%s) but session %s was created: using it",
                    original,
                    candidates[0],
                )
                return candidates[0]
        raise original

    async def get(self, session_id: str, *, backend: str | None = None) -> AsyncSession:
        """Re-attach to an existing session (its backend and mode are read from the server)."""
        session = AsyncSession(self._client, session_id, backend=backend)
        await session.details()
        remember_session(session_id)
        return session
