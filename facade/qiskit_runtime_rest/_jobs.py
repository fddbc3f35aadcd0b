"""Jobs: submission (``rt.jobs``), the ``Job`` handle, waiting and results. Sync and async twins.

Submission never sends ``POST /v1/jobs`` twice blindly: the transport does not retry it once it
may have reached the server, and with ``idempotency=True`` (the default) each submission carries a
client-generated tag. After an ambiguous failure (a timeout or dropped connection after the
request left, or a 5xx) the tag is looked up with ``GET /v1/jobs?tags=...``: a job found is
returned as if the POST had answered, and the job is resubmitted only when the lookup proves none
exists. Design notes: ``docs/jobs-notes.md``.
"""

from __future__ import annotations

import asyncio
import builtins
import json as jsonlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar
from urllib.parse import quote

import httpx

from ._constants import (
    IDEMPOTENCY_LOOKUP_SETTLE,
    IDEMPOTENCY_TAG_PREFIX,
    LIST_PAGE_SIZE,
    MAX_SUBMIT_ATTEMPTS,
    RESULTS_GRACE_PERIOD,
)
from ._exceptions import (
    ApiConnectionError,
    ConflictError,
    InvalidInputError,
    JobSubmissionUnknownError,
    QiskitRuntimeError,
    ServerError,
)
from ._pubs import (
    build_envelope,
    estimator_params,
    register_widths,
    sampler_params,
    validate_tags,
)
from ._results import BitArray, EstimatorResult, SamplerResult, decode_results
from ._shapes import job_metrics
from ._status import JobState, JobStatus, parse_job_state
from ._waiters import (
    Backoff,
    Deadline,
    FailureBudget,
    ListingGroup,
    plan_listing,
    raise_for_outcome,
)

if TYPE_CHECKING:
    from ._sessions import AsyncSession, Session

__all__ = [
    "AsyncJob",
    "AsyncJobs",
    "Job",
    "Jobs",
]

logger = logging.getLogger("qiskit_runtime_rest")

R = TypeVar("R")

# Aliases used inside Jobs/AsyncJobs, whose `list` method hides the builtin in annotations.
_Page = list[tuple[Mapping[str, Any], bool]]
_Rows = list[Mapping[str, Any]]

StatusCallback = Callable[["Job[Any]", JobStatus], None]
AsyncStatusCallback = Callable[["AsyncJob[Any]", JobStatus], Awaitable[None] | None]


class _SyncClient(Protocol):
    _clock: Callable[[], float]
    _sleep: Callable[[float], None]

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> httpx.Response: ...


class _AsyncClient(Protocol):
    _clock: Callable[[], float]
    _sleep: Callable[[float], Awaitable[None]]

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | httpx.Timeout | None = None,
    ) -> httpx.Response: ...


# --- shared, I/O-free helpers -------------------------------------------------------------------


def _job_path(job_id: str, suffix: str = "") -> str:
    return f"/v1/jobs/{quote(job_id, safe='')}{suffix}"


def _session_id_of(session: Session | AsyncSession | str | None) -> str | None:
    if session is None or isinstance(session, str):
        return session
    return session.id


def _new_idempotency_tag() -> str:
    return IDEMPOTENCY_TAG_PREFIX + uuid.uuid4().hex[:20]


def _prepare_tags(tags: Sequence[str] | None, idempotency: bool) -> tuple[list[str], str | None]:
    found = validate_tags(tags, reserved=1 if idempotency else 0)
    if not idempotency:
        return found, None
    tag = _new_idempotency_tag()
    return [*found, tag], tag


def _never_sent(exc: BaseException) -> bool:
    # The transport raises ApiConnectionError *from* the httpx error; these kinds happen before
    # any byte of the request is written (and were already retried by the transport).
    return isinstance(exc, ApiConnectionError) and isinstance(
        exc.__cause__, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout
    )


def _is_ambiguous(exc: BaseException) -> bool:
    return isinstance(exc, ApiConnectionError | ServerError) and not _never_sent(exc)


def _matching_rows(body: Any, tag: str) -> list[Mapping[str, Any]]:
    rows = body.get("jobs") if isinstance(body, Mapping) else None
    return [
        row
        for row in rows or []
        if isinstance(row, Mapping) and tag in (row.get("tags") or []) and row.get("id")
    ]


def _unknown_outcome(
    tag: str, original: BaseException, lookup: BaseException
) -> JobSubmissionUnknownError:
    return JobSubmissionUnknownError(
        f"submitting the job failed ambiguously ({original}) and looking it up by its "
        f"idempotency tag {tag!r} failed too ({lookup}). The job may or may not exist: check "
        f"with rt.jobs.list(tags=[{tag!r}]) before submitting again.",
        idempotency_tag=tag,
    )


def _list_params(
    *,
    backend: str | None,
    session_id: str | None,
    pending: bool | None,
    tags: Sequence[str] | None,
    program: str | None,
    created_after: datetime | str | None,
    created_before: datetime | str | None,
    sort: str | None,
) -> dict[str, Any]:
    # The client's `_request` drops None values and formats datetimes (naive ones as UTC).
    if sort is not None and sort.upper() not in ("ASC", "DESC"):
        raise InvalidInputError(f"sort must be 'ASC' or 'DESC', got {sort!r}")
    return {
        "backend": backend,
        "session_id": session_id,
        "pending": None if pending is None else ("true" if pending else "false"),
        "tags": validate_tags(tags) or None,
        "program": program,
        "created_after": created_after,
        "created_before": created_before,
        "sort": sort.upper() if sort else None,
        "exclude_params": "true",
    }


def _page_rows(body: Any, offset: int) -> _Page:
    """A listing page's rows, each paired with "this is the last row of the whole listing"."""
    found = body.get("jobs") if isinstance(body, Mapping) else None
    rows = [row for row in found or [] if isinstance(row, Mapping) and row.get("id")]
    count = body.get("count") if isinstance(body, Mapping) else None
    last_page = len(rows) < LIST_PAGE_SIZE or (
        isinstance(count, int) and offset + len(rows) >= count
    )
    return [(row, last_page and i == len(rows) - 1) for i, row in enumerate(rows)]


def _json(response: httpx.Response, what: str) -> Any:
    try:
        return jsonlib.loads(response.content)
    except ValueError as exc:
        raise QiskitRuntimeError(
            f"{what}: the response is not JSON ({response.status_code}, "
            f"{len(response.content)} bytes)"
        ) from exc


def _widths_from_params(params: Any) -> list[Mapping[str, int]] | None:
    pubs = params.get("pubs") if isinstance(params, Mapping) else None
    if not isinstance(pubs, list):
        return None
    out: list[Mapping[str, int]] = []
    for pub in pubs:
        circuit = pub[0] if isinstance(pub, list) and pub else pub
        out.append(register_widths(circuit) if isinstance(circuit, str) else {})
    return out


def _lacks_widths(result: Any) -> bool:
    if not isinstance(result, SamplerResult):
        return False
    return any(
        isinstance(field, BitArray) and field._declared_bits is None
        for pub in result
        for field in pub.data.values()
    )


def _results_budget(deadline: Deadline) -> float:
    left = deadline.remaining()
    return RESULTS_GRACE_PERIOD if left is None else max(0.0, left)


def _already_final(exc: ConflictError, job_id: str) -> ConflictError:
    return ConflictError(
        f"job {job_id} is already in a final state (completed, failed or cancelled) and cannot "
        f"be cancelled ({exc.message})",
        status_code=exc.status_code,
        code=exc.code,
        trace=exc.trace,
        more_info=exc.more_info,
        solution=exc.solution,
        body=exc.body,
        method=exc.method,
        url=exc.url,
    )


def _submitted(
    body: Mapping[str, Any],
    program_id: str,
    widths: Sequence[Mapping[str, int]] | None,
    tag: str | None,
) -> dict[str, Any]:
    """Constructor arguments of the job a ``POST /v1/jobs`` answer (or the listing row its
    idempotency lookup found) stands for; only a body that carries a status is kept as details."""
    return {
        "backend": body.get("backend"),
        "session_id": body.get("session_id"),
        "program_id": program_id,
        "register_widths": widths,
        "idempotency_tag": tag,
        "details": body if "state" in body or "status" in body else None,
    }


class _JobBase(Generic[R]):
    """State and accessors shared by ``Job`` and ``AsyncJob``; every request lives in those."""

    def __init__(
        self,
        job_id: str,
        *,
        backend: str | None = None,
        session_id: str | None = None,
        program_id: str | None = None,
        register_widths: Sequence[Mapping[str, int]] | None = None,
        details: Mapping[str, Any] | None = None,
        idempotency_tag: str | None = None,
    ) -> None:
        self._id = job_id
        self._backend = backend
        self._session_id = session_id
        self._program_id = program_id
        self._widths: list[Mapping[str, int]] | None = (
            list(register_widths) if register_widths is not None else None
        )
        self._details: dict[str, Any] = {}
        self._state: JobState | None = None
        self._result: Any = None
        self._has_result = False
        self.idempotency_tag = idempotency_tag
        if details:
            self._apply(details)

    def _apply(self, body: Mapping[str, Any]) -> None:
        self._details = dict(body)
        if "state" in body or "status" in body:
            self._state = parse_job_state(body)
        self._backend = body.get("backend") or self._backend
        self._session_id = body.get("session_id") or self._session_id
        program = body.get("program")
        if isinstance(program, Mapping) and isinstance(program.get("id"), str):
            self._program_id = program["id"]
        if self._widths is None:
            self._widths = _widths_from_params(body.get("params"))

    @property
    def id(self) -> str:
        return self._id

    @property
    def backend(self) -> str | None:
        return self._backend

    @property
    def session_id(self) -> str | None:
        return self._session_id

    @property
    def program_id(self) -> str | None:
        return self._program_id

    @property
    def raw(self) -> dict[str, Any]:
        """The last job body fetched (``GET /v1/jobs/{id}`` or a listing row), as sent."""
        return dict(self._details)

    @property
    def tags(self) -> list[str]:
        """Tags from the last fetch (the client's own idempotency tag included)."""
        return list(self._details.get("tags") or [])

    @property
    def created(self) -> str | None:
        value = self._details.get("created")
        return value if isinstance(value, str) else None

    @property
    def last_status(self) -> JobStatus | None:
        """The status seen by the last request, without sending one."""
        return self._state.status if self._state else None

    @property
    def reason(self) -> str | None:
        return self._state.reason if self._state else None

    @property
    def reason_code(self) -> int | None:
        return self._state.reason_code if self._state else None

    @property
    def reason_solution(self) -> str | None:
        return self._state.reason_solution if self._state else None

    def _apply_polled(self, body: Any) -> JobState:
        if not isinstance(body, Mapping):
            raise QiskitRuntimeError(f"job {self._id}: unexpected response {str(body)[:100]!r}")
        self._apply(body)
        if self._state is None:  # a body without any status: say so, but keep waiting
            self._state = JobState(JobStatus.UNKNOWN)
        return self._state

    def _final(self) -> bool:
        return self._state is not None and self._state.status.is_final

    def _decode(self, response: httpx.Response) -> Any:
        try:
            return decode_results(
                response.content, program_id=self._program_id, register_widths=self._widths
            )
        except ValueError as exc:
            raise QiskitRuntimeError(
                f"the results of job {self._id} could not be decoded: {exc}"
            ) from exc

    def __repr__(self) -> str:
        status = self._state.status.value if self._state else "not fetched"
        return (
            f"{type(self).__name__}(id={self._id!r}, backend={self._backend!r}, status={status!r})"
        )


# --- sync ---------------------------------------------------------------------------------------


class Job(_JobBase[R]):
    """A handle on one job. Cheap to create: nothing is fetched until a method asks."""

    def __init__(self, client: _SyncClient, job_id: str, **kwargs: Any) -> None:
        super().__init__(job_id, **kwargs)
        self._client = client

    def refresh(self) -> Job[R]:
        """Fetch the job (``GET /v1/jobs/{id}?exclude_params=true``) and return ``self``."""
        self._poll(None)
        return self

    def _poll(self, timeout: float | None) -> JobState:
        response = self._client._request(
            "GET", _job_path(self._id), params={"exclude_params": "true"}, timeout=timeout
        )
        return self._apply_polled(_json(response, f"job {self._id}"))

    def status(self) -> JobStatus:
        """The current status (a request unless the job is already known to be final)."""
        if self._final():
            assert self._state is not None
            return self._state.status
        return self._poll(None).status

    def wait(
        self, timeout: float | None = None, *, callback: StatusCallback | None = None
    ) -> Job[R]:
        """Poll until the job is final. Returns ``self`` when it completed; raises
        ``JobFailedError`` / ``JobCancelledError`` otherwise, and ``JobTimeoutError`` when
        ``timeout`` seconds pass first (the job is left as it is)."""
        if self._state is not None and self._state.status.is_final:
            raise_for_outcome(self._id, self._state)  # final states never change: no request
            return self
        deadline = Deadline(self._client._clock, timeout)
        backoff = Backoff()
        failures = FailureBudget(deadline)
        seen: JobStatus | None = None
        while True:
            try:
                state = self._poll(deadline.request_timeout())
            except QiskitRuntimeError as exc:
                if not failures.absorb(exc):
                    if deadline.expired():
                        raise deadline.timeout_error(f"job {self._id}", self._id, seen) from exc
                    raise
                logger.info("polling job %s failed (%s); still waiting", self._id, exc)
            else:
                failures.reset()
                if state.status is not seen:
                    seen = state.status
                    if callback is not None:
                        callback(self, state.status)
                if state.status.is_final:
                    raise_for_outcome(self._id, state)
                    return self
            if deadline.expired():
                raise deadline.timeout_error(f"job {self._id}", self._id, seen)
            self._client._sleep(deadline.clip(backoff.next()))

    def result(self, timeout: float | None = None) -> R:
        """Wait for the job, then fetch and decode its results (cached: a private job's results
        can be read only once)."""
        if self._has_result:
            return self._result  # type: ignore[no-any-return]
        deadline = Deadline(self._client._clock, timeout)
        self.wait(deadline.remaining())
        grace = Deadline(self._client._clock, _results_budget(deadline))
        backoff = Backoff()
        while True:
            response = self._client._request(
                "GET", _job_path(self._id, "/results"), timeout=grace.request_timeout()
            )
            if response.status_code != 204:
                break
            if grace.expired():
                raise grace.timeout_error(f"results of job {self._id}", self._id, self.last_status)
            self._client._sleep(grace.clip(backoff.next()))
        result = self._decode(response)
        if _lacks_widths(result) and self._fetch_params():
            result = self._decode(response)
        self._result, self._has_result = result, True
        return result  # type: ignore[no-any-return]

    def _fetch_params(self) -> bool:
        """Learn register widths from the job's own circuits (only needed when the result body
        has no ``num_bits`` and this handle did not submit the job)."""
        if self._widths is not None or self._details.get("private"):
            return False
        try:
            response = self._client._request("GET", _job_path(self._id))
        except QiskitRuntimeError:
            return False
        self._widths = _widths_from_params(_json(response, f"job {self._id}").get("params"))
        return self._widths is not None

    def cancel(self) -> None:
        """Cancel the job (``POST /v1/jobs/{id}/cancel``). A job already final raises a
        ``ConflictError`` that says so."""
        try:
            self._client._request("POST", _job_path(self._id, "/cancel"))
        except ConflictError as exc:
            raise _already_final(exc, self._id) from exc

    def delete(self) -> None:
        """Delete the job and its data (it must be final)."""
        self._client._request("DELETE", _job_path(self._id))

    def logs(self) -> str:
        return self._client._request(
            "GET", _job_path(self._id, "/logs"), headers={"Accept": "text/plain"}
        ).text

    def metrics(self) -> dict[str, Any]:
        body = _json(self._client._request("GET", _job_path(self._id, "/metrics")), "metrics")
        return job_metrics(body)

    def set_tags(self, tags: Sequence[str]) -> None:
        """Replace the job's tags (``[]`` clears them)."""
        found = validate_tags(tags)
        self._client._request("PUT", _job_path(self._id, "/tags"), json={"tags": found})
        self._details["tags"] = found


class Jobs:
    """``rt.jobs``: submit, find and wait on jobs."""

    def __init__(self, client: _SyncClient) -> None:
        self._client = client

    def run_sampler(
        self,
        backend: str,
        pubs: Any,
        *,
        shots: int | None = None,
        options: Mapping[str, Any] | None = None,
        session: Session | str | None = None,
        tags: Sequence[str] | None = None,
        max_execution_time: int | None = None,
        log_level: str | None = None,
        private: bool | None = None,
        support_qiskit: bool = False,
        idempotency: bool = True,
    ) -> Job[SamplerResult]:
        """Submit a SamplerV2 job. A PUB is a circuit or ``(circuit, parameter_values, shots)``."""
        params, widths = sampler_params(
            pubs, shots=shots, options=options, support_qiskit=support_qiskit
        )
        return self._submit(
            "sampler",
            backend,
            params,
            widths,
            session=session,
            tags=tags,
            idempotency=idempotency,
            extras={
                "max_execution_time": max_execution_time,
                "log_level": log_level,
                "private": private,
            },
        )

    def run_estimator(
        self,
        backend: str,
        pubs: Any,
        *,
        precision: float | None = None,
        resilience_level: int | None = None,
        options: Mapping[str, Any] | None = None,
        session: Session | str | None = None,
        tags: Sequence[str] | None = None,
        max_execution_time: int | None = None,
        log_level: str | None = None,
        private: bool | None = None,
        support_qiskit: bool = False,
        idempotency: bool = True,
    ) -> Job[EstimatorResult]:
        """Submit an EstimatorV2 job. A PUB is
        ``(circuit, observables, parameter_values=None, precision=None)``."""
        params = estimator_params(
            pubs,
            precision=precision,
            resilience_level=resilience_level,
            options=options,
            support_qiskit=support_qiskit,
        )
        return self._submit(
            "estimator",
            backend,
            params,
            None,
            session=session,
            tags=tags,
            idempotency=idempotency,
            extras={
                "max_execution_time": max_execution_time,
                "log_level": log_level,
                "private": private,
            },
        )

    def create(
        self,
        program_id: str,
        backend: str,
        params: Mapping[str, Any],
        *,
        session: Session | str | None = None,
        tags: Sequence[str] | None = None,
        idempotency: bool = True,
        **envelope: Any,
    ) -> Job[Any]:
        """Submit a job of any program with ``params`` as given. ``envelope`` takes
        ``max_execution_time``, ``log_level``, ``private``, ``runtime``, ``calibration_id``,
        ``remote_storage``."""
        if not isinstance(params, Mapping):
            raise InvalidInputError(f"params must be a mapping, got {type(params).__name__}")
        return self._submit(
            program_id,
            backend,
            params,
            None,
            session=session,
            tags=tags,
            idempotency=idempotency,
            extras=envelope,
        )

    def _submit(
        self,
        program_id: str,
        backend: str,
        params: Mapping[str, Any],
        widths: Sequence[Mapping[str, int]] | None,
        *,
        session: Session | str | None,
        tags: Sequence[str] | None,
        idempotency: bool,
        extras: Mapping[str, Any],
    ) -> Job[Any]:
        all_tags, tag = _prepare_tags(tags, idempotency)
        body = build_envelope(
            program_id,
            backend,
            params,
            session_id=_session_id_of(session),
            tags=all_tags,
            extras=extras,
        )
        for attempt in range(1, MAX_SUBMIT_ATTEMPTS + 1):
            try:
                response = self._client._request("POST", "/v1/jobs", json=body)
            except QiskitRuntimeError as exc:
                if tag is None or not _is_ambiguous(exc):
                    raise
                found = self._find_by_tag(tag, exc)
                if found is not None:
                    logger.warning(
                        "POST /v1/jobs failed (%s) but job %s was created: using it", exc, found
                    )
                    return self._job(found, program_id, widths, tag)
                if attempt == MAX_SUBMIT_ATTEMPTS:
                    raise
                logger.warning(
                    "POST /v1/jobs failed (%s) and no job was created: resubmitting", exc
                )
                continue
            return self._job(_json(response, "POST /v1/jobs"), program_id, widths, tag)
        raise AssertionError("unreachable")  # pragma: no cover

    def _find_by_tag(self, tag: str, original: BaseException) -> Mapping[str, Any] | None:
        for look in range(2):
            if look:
                self._client._sleep(IDEMPOTENCY_LOOKUP_SETTLE)
            try:
                response = self._client._request(
                    "GET", "/v1/jobs", params={"tags": [tag], "exclude_params": "true"}
                )
                rows = _matching_rows(_json(response, "GET /v1/jobs"), tag)
            except QiskitRuntimeError as lookup:
                raise _unknown_outcome(tag, original, lookup) from original
            if rows:
                return rows[0]
        return None

    def _job(
        self,
        body: Mapping[str, Any],
        program_id: str,
        widths: Sequence[Mapping[str, int]] | None,
        tag: str | None,
    ) -> Job[Any]:
        return Job(self._client, str(body["id"]), **_submitted(body, program_id, widths, tag))

    def get(self, job_id: str) -> Job[Any]:
        """Fetch one job. Its ``params`` (possibly large) are fetched later, and only if its
        results need them to learn register widths."""
        job: Job[Any] = Job(self._client, job_id)
        job.refresh()
        return job

    def list(
        self,
        *,
        backend: str | None = None,
        session_id: str | None = None,
        pending: bool | None = None,
        tags: Sequence[str] | None = None,
        program: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        sort: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Job[Any]]:
        """Every matching job, newest first by default, fetching pages of 200 as iteration goes;
        ``limit`` caps the number of jobs yielded."""
        params = _list_params(
            backend=backend,
            session_id=session_id,
            pending=pending,
            tags=tags,
            program=program,
            created_after=created_after,
            created_before=created_before,
            sort=sort,
        )
        return self._iterate(params, limit)

    def _iterate(self, params: Mapping[str, Any], limit: int | None) -> Iterator[Job[Any]]:
        offset, yielded = 0, 0
        while True:
            page = self._page(params, offset)
            for row, done in page:
                if limit is not None and yielded >= limit:
                    return
                yield Job(self._client, str(row["id"]), details=row)
                yielded += 1
                if done:
                    return
            if not page:
                return
            offset += LIST_PAGE_SIZE

    def _page(self, params: Mapping[str, Any], offset: int) -> _Page:
        response = self._client._request(
            "GET", "/v1/jobs", params={**params, "limit": LIST_PAGE_SIZE, "offset": offset}
        )
        return _page_rows(_json(response, "GET /v1/jobs"), offset)

    def wait_all(
        self,
        jobs: Sequence[Job[Any]],
        *,
        timeout: float | None = None,
        callback: StatusCallback | None = None,
    ) -> builtins.list[Job[Any]]:
        """Wait until every job is final and return them, in order. Failed or cancelled jobs do
        not raise here (check ``job.status()`` or call ``job.result()``); a timeout does.

        Each round asks one ``GET /v1/jobs`` per session (or shared tag) instead of one request
        per job, and polls singly only the jobs no listing covered."""
        waiter = _AllWaiter(jobs, Deadline(self._client._clock, timeout), callback)
        backoff = Backoff()
        while True:
            groups, singles = waiter.plan()
            for group in groups:
                rows = self._listing_rows(group, waiter)
                singles += waiter.absorb_rows(group, rows)
            for job_id in singles:
                try:
                    state = waiter.job(job_id)._poll(waiter.deadline.request_timeout())
                except QiskitRuntimeError as exc:
                    if not waiter.failures.absorb(exc):
                        raise
                    continue
                waiter.observe(job_id, state)
            waiter.take_callback_results()  # sync callbacks have run already
            if waiter.finished():
                return list(jobs)
            if waiter.deadline.expired():
                raise waiter.timeout()
            self._client._sleep(waiter.deadline.clip(backoff.next()))

    def _listing_rows(self, group: ListingGroup, waiter: _AllWaiter) -> _Rows:
        rows: _Rows = []
        offset = 0
        params = {**group.params, "exclude_params": "true"}
        try:
            while True:
                page = self._page(params, offset)
                rows += [row for row, _ in page]
                if not page or page[-1][1] or group.job_ids <= {str(r.get("id")) for r in rows}:
                    return rows
                offset += LIST_PAGE_SIZE
        except QiskitRuntimeError as exc:
            if not waiter.failures.absorb(exc):
                raise
            return rows


class _AllWaiter:
    """Book-keeping of ``wait_all``, shared by the sync and async versions."""

    def __init__(self, jobs: Sequence[_JobBase[Any]], deadline: Deadline, callback: Any) -> None:
        self._jobs = {job.id: job for job in jobs}
        self._seen: dict[str, JobStatus] = {}
        self.deadline = deadline
        self.failures = FailureBudget(deadline)
        self._callback = callback
        self._callback_results: list[Any] = []
        self._pending = list(dict.fromkeys(job.id for job in jobs if not job._final()))

    def job(self, job_id: str) -> Any:
        return self._jobs[job_id]

    def plan(self) -> tuple[list[ListingGroup], list[str]]:
        return plan_listing(
            [
                (job_id, self._jobs[job_id].session_id, self._jobs[job_id].tags)
                for job_id in self._pending
            ],
            exclude_tag_prefix=IDEMPOTENCY_TAG_PREFIX,
        )

    def absorb_rows(self, group: ListingGroup, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        """Apply listed rows; return the ids the listing did not cover (to poll singly)."""
        found: set[str] = set()
        for row in rows:
            job_id = str(row.get("id"))
            if job_id in group.job_ids and job_id not in found:
                found.add(job_id)
                job = self._jobs[job_id]
                job._apply({**job._details, **row})
                if job._state is not None:
                    self.observe(job_id, job._state)
        return sorted(group.job_ids - found)

    def observe(self, job_id: str, state: JobState) -> None:
        self.failures.reset()
        if self._seen.get(job_id) is not state.status:
            self._seen[job_id] = state.status
            if self._callback is not None:
                # An async callback returns a coroutine: kept for the async waiter to await.
                self._callback_results.append(self._callback(self._jobs[job_id], state.status))
        if state.status.is_final and job_id in self._pending:
            self._pending.remove(job_id)

    def take_callback_results(self) -> list[Any]:
        taken, self._callback_results = self._callback_results, []
        return taken

    def finished(self) -> bool:
        return not self._pending

    def timeout(self) -> Exception:
        error = self.deadline.timeout_error(
            f"{len(self._pending)} of {len(self._jobs)} jobs", None, None
        )
        error.args = (f"{error.args[0]} Still pending: {', '.join(self._pending)}.",)
        return error


# --- async --------------------------------------------------------------------------------------


class AsyncJob(_JobBase[R]):
    """The async twin of ``Job``: the same methods, awaited."""

    def __init__(self, client: _AsyncClient, job_id: str, **kwargs: Any) -> None:
        super().__init__(job_id, **kwargs)
        self._client = client

    async def refresh(self) -> AsyncJob[R]:
        await self._poll(None)
        return self

    async def _poll(self, timeout: float | None) -> JobState:
        response = await self._client._request(
            "GET", _job_path(self._id), params={"exclude_params": "true"}, timeout=timeout
        )
        return self._apply_polled(_json(response, f"job {self._id}"))

    async def status(self) -> JobStatus:
        if self._final():
            assert self._state is not None
            return self._state.status
        return (await self._poll(None)).status

    async def wait(
        self, timeout: float | None = None, *, callback: AsyncStatusCallback | None = None
    ) -> AsyncJob[R]:
        if self._state is not None and self._state.status.is_final:
            raise_for_outcome(self._id, self._state)
            return self
        deadline = Deadline(self._client._clock, timeout)
        backoff = Backoff()
        failures = FailureBudget(deadline)
        seen: JobStatus | None = None
        while True:
            try:
                state = await self._poll(deadline.request_timeout())
            except QiskitRuntimeError as exc:
                if not failures.absorb(exc):
                    if deadline.expired():
                        raise deadline.timeout_error(f"job {self._id}", self._id, seen) from exc
                    raise
                logger.info("polling job %s failed (%s); still waiting", self._id, exc)
            else:
                failures.reset()
                if state.status is not seen:
                    seen = state.status
                    if callback is not None:
                        await _maybe_await(callback(self, state.status))
                if state.status.is_final:
                    raise_for_outcome(self._id, state)
                    return self
            if deadline.expired():
                raise deadline.timeout_error(f"job {self._id}", self._id, seen)
            await self._client._sleep(deadline.clip(backoff.next()))

    async def result(self, timeout: float | None = None) -> R:
        if self._has_result:
            return self._result  # type: ignore[no-any-return]
        deadline = Deadline(self._client._clock, timeout)
        await self.wait(deadline.remaining())
        grace = Deadline(self._client._clock, _results_budget(deadline))
        backoff = Backoff()
        while True:
            response = await self._client._request(
                "GET", _job_path(self._id, "/results"), timeout=grace.request_timeout()
            )
            if response.status_code != 204:
                break
            if grace.expired():
                raise grace.timeout_error(f"results of job {self._id}", self._id, self.last_status)
            await self._client._sleep(grace.clip(backoff.next()))
        result = self._decode(response)
        if _lacks_widths(result) and await self._fetch_params():
            result = self._decode(response)
        self._result, self._has_result = result, True
        return result  # type: ignore[no-any-return]

    async def _fetch_params(self) -> bool:
        if self._widths is not None or self._details.get("private"):
            return False
        try:
            response = await self._client._request("GET", _job_path(self._id))
        except QiskitRuntimeError:
            return False
        self._widths = _widths_from_params(_json(response, f"job {self._id}").get("params"))
        return self._widths is not None

    async def cancel(self) -> None:
        try:
            await self._client._request("POST", _job_path(self._id, "/cancel"))
        except ConflictError as exc:
            raise _already_final(exc, self._id) from exc

    async def delete(self) -> None:
        await self._client._request("DELETE", _job_path(self._id))

    async def logs(self) -> str:
        response = await self._client._request(
            "GET", _job_path(self._id, "/logs"), headers={"Accept": "text/plain"}
        )
        return response.text

    async def metrics(self) -> dict[str, Any]:
        response = await self._client._request("GET", _job_path(self._id, "/metrics"))
        return job_metrics(_json(response, "metrics"))

    async def set_tags(self, tags: Sequence[str]) -> None:
        found = validate_tags(tags)
        await self._client._request("PUT", _job_path(self._id, "/tags"), json={"tags": found})
        self._details["tags"] = found


async def _maybe_await(value: Any) -> None:
    if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
        await value


class AsyncJobs:
    """The async twin of ``Jobs``."""

    def __init__(self, client: _AsyncClient) -> None:
        self._client = client

    async def run_sampler(
        self,
        backend: str,
        pubs: Any,
        *,
        shots: int | None = None,
        options: Mapping[str, Any] | None = None,
        session: AsyncSession | str | None = None,
        tags: Sequence[str] | None = None,
        max_execution_time: int | None = None,
        log_level: str | None = None,
        private: bool | None = None,
        support_qiskit: bool = False,
        idempotency: bool = True,
    ) -> AsyncJob[SamplerResult]:
        params, widths = sampler_params(
            pubs, shots=shots, options=options, support_qiskit=support_qiskit
        )
        return await self._submit(
            "sampler",
            backend,
            params,
            widths,
            session=session,
            tags=tags,
            idempotency=idempotency,
            extras={
                "max_execution_time": max_execution_time,
                "log_level": log_level,
                "private": private,
            },
        )

    async def run_estimator(
        self,
        backend: str,
        pubs: Any,
        *,
        precision: float | None = None,
        resilience_level: int | None = None,
        options: Mapping[str, Any] | None = None,
        session: AsyncSession | str | None = None,
        tags: Sequence[str] | None = None,
        max_execution_time: int | None = None,
        log_level: str | None = None,
        private: bool | None = None,
        support_qiskit: bool = False,
        idempotency: bool = True,
    ) -> AsyncJob[EstimatorResult]:
        params = estimator_params(
            pubs,
            precision=precision,
            resilience_level=resilience_level,
            options=options,
            support_qiskit=support_qiskit,
        )
        return await self._submit(
            "estimator",
            backend,
            params,
            None,
            session=session,
            tags=tags,
            idempotency=idempotency,
            extras={
                "max_execution_time": max_execution_time,
                "log_level": log_level,
                "private": private,
            },
        )

    async def create(
        self,
        program_id: str,
        backend: str,
        params: Mapping[str, Any],
        *,
        session: AsyncSession | str | None = None,
        tags: Sequence[str] | None = None,
        idempotency: bool = True,
        **envelope: Any,
    ) -> AsyncJob[Any]:
        if not isinstance(params, Mapping):
            raise InvalidInputError(f"params must be a mapping, got {type(params).__name__}")
        return await self._submit(
            program_id,
            backend,
            params,
            None,
            session=session,
            tags=tags,
            idempotency=idempotency,
            extras=envelope,
        )

    async def _submit(
        self,
        program_id: str,
        backend: str,
        params: Mapping[str, Any],
        widths: Sequence[Mapping[str, int]] | None,
        *,
        session: AsyncSession | str | None,
        tags: Sequence[str] | None,
        idempotency: bool,
        extras: Mapping[str, Any],
    ) -> AsyncJob[Any]:
        all_tags, tag = _prepare_tags(tags, idempotency)
        body = build_envelope(
            program_id,
            backend,
            params,
            session_id=_session_id_of(session),
            tags=all_tags,
            extras=extras,
        )
        for attempt in range(1, MAX_SUBMIT_ATTEMPTS + 1):
            try:
                response = await self._client._request("POST", "/v1/jobs", json=body)
            except QiskitRuntimeError as exc:
                if tag is None or not _is_ambiguous(exc):
                    raise
                found = await self._find_by_tag(tag, exc)
                if found is not None:
                    logger.warning(
                        "POST /v1/jobs failed (%s) but job %s was created: using it", exc, found
                    )
                    return self._job(found, program_id, widths, tag)
                if attempt == MAX_SUBMIT_ATTEMPTS:
                    raise
                logger.warning(
                    "POST /v1/jobs failed (%s) and no job was created: resubmitting", exc
                )
                continue
            return self._job(_json(response, "POST /v1/jobs"), program_id, widths, tag)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _find_by_tag(self, tag: str, original: BaseException) -> Mapping[str, Any] | None:
        for look in range(2):
            if look:
                await self._client._sleep(IDEMPOTENCY_LOOKUP_SETTLE)
            try:
                response = await self._client._request(
                    "GET", "/v1/jobs", params={"tags": [tag], "exclude_params": "true"}
                )
                rows = _matching_rows(_json(response, "GET /v1/jobs"), tag)
            except QiskitRuntimeError as lookup:
                raise _unknown_outcome(tag, original, lookup) from original
            if rows:
                return rows[0]
        return None

    def _job(
        self,
        body: Mapping[str, Any],
        program_id: str,
        widths: Sequence[Mapping[str, int]] | None,
        tag: str | None,
    ) -> AsyncJob[Any]:
        return AsyncJob(self._client, str(body["id"]), **_submitted(body, program_id, widths, tag))

    async def get(self, job_id: str) -> AsyncJob[Any]:
        job: AsyncJob[Any] = AsyncJob(self._client, job_id)
        await job.refresh()
        return job

    def list(
        self,
        *,
        backend: str | None = None,
        session_id: str | None = None,
        pending: bool | None = None,
        tags: Sequence[str] | None = None,
        program: str | None = None,
        created_after: datetime | str | None = None,
        created_before: datetime | str | None = None,
        sort: str | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[AsyncJob[Any]]:
        """``async for job in rt.jobs.list(...)``: every matching job, page by page."""
        params = _list_params(
            backend=backend,
            session_id=session_id,
            pending=pending,
            tags=tags,
            program=program,
            created_after=created_after,
            created_before=created_before,
            sort=sort,
        )
        return self._iterate(params, limit)

    async def _iterate(
        self, params: Mapping[str, Any], limit: int | None
    ) -> AsyncIterator[AsyncJob[Any]]:
        offset, yielded = 0, 0
        while True:
            page = await self._page(params, offset)
            for row, done in page:
                if limit is not None and yielded >= limit:
                    return
                yield AsyncJob(self._client, str(row["id"]), details=row)
                yielded += 1
                if done:
                    return
            if not page:
                return
            offset += LIST_PAGE_SIZE

    async def _page(self, params: Mapping[str, Any], offset: int) -> _Page:
        response = await self._client._request(
            "GET", "/v1/jobs", params={**params, "limit": LIST_PAGE_SIZE, "offset": offset}
        )
        return _page_rows(_json(response, "GET /v1/jobs"), offset)

    async def wait_all(
        self,
        jobs: Sequence[AsyncJob[Any]],
        *,
        timeout: float | None = None,
        callback: AsyncStatusCallback | None = None,
    ) -> builtins.list[AsyncJob[Any]]:
        """Like ``Jobs.wait_all``; each round's listings and single polls run concurrently."""
        waiter = _AllWaiter(jobs, Deadline(self._client._clock, timeout), callback)
        backoff = Backoff()
        while True:
            groups, singles = waiter.plan()
            listed = await asyncio.gather(*(self._listing_rows(g, waiter) for g in groups))
            for group, rows in zip(groups, listed, strict=True):
                singles += waiter.absorb_rows(group, rows)
            polled = await asyncio.gather(
                *(
                    waiter.job(job_id)._poll(waiter.deadline.request_timeout())
                    for job_id in singles
                ),
                return_exceptions=True,
            )
            for job_id, outcome in zip(singles, polled, strict=True):
                if isinstance(outcome, BaseException):
                    if not isinstance(outcome, Exception) or not waiter.failures.absorb(outcome):
                        raise outcome
                    continue
                waiter.observe(job_id, outcome)
            for pending_callback in waiter.take_callback_results():
                await _maybe_await(pending_callback)
            if waiter.finished():
                return list(jobs)
            if waiter.deadline.expired():
                raise waiter.timeout()
            await self._client._sleep(waiter.deadline.clip(backoff.next()))

    async def _listing_rows(self, group: ListingGroup, waiter: _AllWaiter) -> _Rows:
        rows: _Rows = []
        offset = 0
        params = {**group.params, "exclude_params": "true"}
        try:
            while True:
                page = await self._page(params, offset)
                rows += [row for row, _ in page]
                if not page or page[-1][1] or group.job_ids <= {str(r.get("id")) for r in rows}:
                    return rows
                offset += LIST_PAGE_SIZE
        except QiskitRuntimeError as exc:
            if not waiter.failures.absorb(exc):
                raise
            return rows
