"""Jobs: submission (``rt.jobs``), the job handle, waiting and results.

Submission never sends ``POST /v1/jobs`` twice blindly; the rules (idempotency tags, ambiguous
failures, the tag lookup) are in ``_jobs_base.py`` and ``docs/jobs-notes.md``.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Unpack

from .._constants import (
    IDEMPOTENCY_LOOKUP_SETTLE,
    LIST_PAGE_SIZE,
    MAX_SUBMIT_ATTEMPTS,
    WAIT_ALL_MAX_INTERVAL,
)
from .._exceptions import (
    ConflictError,
    InvalidInputError,
    QiskitRuntimeError,
    UnexpectedResponseError,
)
from .._jobs_base import (
    AllWaiter,
    JobBase,
    JobOptions,
    R,
    already_final,
    is_ambiguous,
    lacks_widths,
    lookup_window,
    matching_rows,
    prepare_tags,
    results_budget,
    session_id_of,
    split_job_options,
    submitted,
    unknown_outcome,
    widths_from_params,
)
from .._protocol import Page, job_list_params, job_path, page_rows
from .._pubs import build_envelope, estimator_params, sampler_params, validate_tags
from .._results import EstimatorResult, SamplerResult
from .._shapes import job_metrics
from .._status import JobState, JobStatus
from .._waiters import Backoff, Deadline, FailureBudget, raise_for_outcome
from .._wire import expect_id, read_json, read_object, require_id
from ._flavour import call_back, gather
from ._requester import AsyncRequester

if TYPE_CHECKING:
    from ._sessions import AsyncSession

__all__ = ["AsyncJob", "AsyncJobs"]

logger = logging.getLogger("qiskit_runtime_rest")

# `Jobs.list` hides the builtin inside the class body.
_Rows = list[Mapping[str, Any]]

# Called with (job, status) each time a job's status changes; may be a coroutine function.
StatusCallback = Callable[["AsyncJob[Any]", JobStatus], Any]


class AsyncJob(JobBase[R]):
    """A handle on one job. Cheap to create: nothing is fetched until a method asks."""

    def __init__(self, client: AsyncRequester, job_id: str, **kwargs: Any) -> None:
        super().__init__(job_id, **kwargs)
        self._client = client

    async def refresh(self) -> AsyncJob[R]:
        """Fetch the job (``GET /v1/jobs/{id}?exclude_params=true``) and return it."""
        await self._poll(None)
        return self

    async def _poll(self, timeout: float | None) -> JobState:
        response = await self._client._request(
            "GET", job_path(self._id), params={"exclude_params": "true"}, timeout=timeout
        )
        body = read_object(response, f"job {self._id}")
        expect_id(response, body, self._id, "job")
        return self._apply_polled(body)

    async def status(self) -> JobStatus:
        """The current status (a request unless the job is already known to be final)."""
        if self._state is not None and self._state.status.is_final:
            return self._state.status
        return (await self._poll(None)).status

    async def wait(
        self, timeout: float | None = None, *, callback: StatusCallback | None = None
    ) -> AsyncJob[R]:
        """Poll until the job is final. Returns the job when it completed; raises
        ``JobFailedError`` / ``JobCancelledError`` otherwise, and ``JobTimeoutError`` when
        ``timeout`` seconds pass first (the job is left as it is). ``callback(job, status)`` is
        called on every change of status."""
        if self._state is not None and self._state.status.is_final:
            raise_for_outcome(self._id, self._state)  # final states never change: no request
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
                    await call_back(callback, self, state.status)
                if state.status.is_final:
                    raise_for_outcome(self._id, state)
                    return self
            if deadline.expired():
                raise deadline.timeout_error(f"job {self._id}", self._id, seen)
            await self._client._sleep(deadline.clip(backoff.next()))

    async def result(self, timeout: float | None = None) -> R:
        """Wait for the job, then fetch and decode its results (cached: a private job's results
        can be read only once)."""
        if self._has_result:
            return self._result  # type: ignore[no-any-return]
        deadline = Deadline(self._client._clock, timeout)
        await self.wait(deadline.remaining())
        grace = Deadline(self._client._clock, results_budget(deadline))
        backoff = Backoff()
        while True:
            response = await self._client._request(
                "GET", job_path(self._id, "/results"), timeout=grace.request_timeout()
            )
            if response.status_code != 204:
                break
            if grace.expired():
                raise grace.timeout_error(f"results of job {self._id}", self._id, self.last_status)
            await self._client._sleep(grace.clip(backoff.next()))
        result = self._decode(response)
        if lacks_widths(result) and await self._fetch_params():
            result = self._decode(response)
        self._result, self._has_result = result, True
        return result  # type: ignore[no-any-return]

    async def _fetch_params(self) -> bool:
        """Learn register widths from the job's own circuits (only needed when the result body
        has no ``num_bits`` and this handle did not submit the job)."""
        if self._widths is not None or self._details.get("private"):
            return False
        try:
            response = await self._client._request("GET", job_path(self._id))
            body = read_object(response, f"job {self._id}")
            expect_id(response, body, self._id, "job")
        except QiskitRuntimeError:
            return False
        self._widths = widths_from_params(body.get("params"))
        return self._widths is not None

    async def cancel(self) -> None:
        """Cancel the job (``POST /v1/jobs/{id}/cancel``). A job already final raises a
        ``ConflictError`` that says so."""
        try:
            await self._client._request("POST", job_path(self._id, "/cancel"))
        except ConflictError as exc:
            raise already_final(exc, self._id) from exc

    async def delete(self) -> None:
        """Delete the job and its data (it must be final)."""
        await self._client._request("DELETE", job_path(self._id))

    async def logs(self) -> str:
        """The job's log text (``GET /v1/jobs/{id}/logs``)."""
        response = await self._client._request(
            "GET", job_path(self._id, "/logs"), headers={"Accept": "text/plain"}
        )
        return response.text

    async def metrics(self) -> dict[str, Any]:
        """Timestamps, usage and qiskit version of the job (``GET /v1/jobs/{id}/metrics``)."""
        response = await self._client._request("GET", job_path(self._id, "/metrics"))
        return job_metrics(read_json(response, f"metrics of job {self._id}"))

    async def set_tags(self, tags: Sequence[str]) -> None:
        """Replace the job's tags (``[]`` clears them)."""
        found = validate_tags(tags)
        await self._client._request("PUT", job_path(self._id, "/tags"), json={"tags": found})
        self._details["tags"] = found


class AsyncJobs:
    """``rt.jobs``: submit, find and wait on jobs.

    Every submission takes the keyword options of ``JobOptions``: ``tags``, ``idempotency``,
    ``max_execution_time``, ``log_level`` and ``private``."""

    def __init__(self, client: AsyncRequester) -> None:
        self._client = client

    async def run_sampler(
        self,
        backend: str,
        pubs: Any,
        *,
        shots: int | None = None,
        options: Mapping[str, Any] | None = None,
        session: AsyncSession | str | None = None,
        support_qiskit: bool = False,
        transpile: bool = False,
        **job_options: Unpack[JobOptions],
    ) -> AsyncJob[SamplerResult]:
        """Submit a SamplerV2 job. A PUB is a circuit or ``(circuit, parameter_values, shots)``.
        ``transpile=True`` first transpiles each circuit for the backend, locally (the
        ``[transpile]`` extra; ``rt.transpile`` documents how)."""
        if transpile:
            from ._transpile import transpile_pubs

            pubs = await transpile_pubs(self._client, backend, pubs, "sampler")
        params, widths = sampler_params(
            pubs, shots=shots, options=options, support_qiskit=support_qiskit
        )
        return await self._submit("sampler", backend, params, widths, session, job_options)

    async def run_estimator(
        self,
        backend: str,
        pubs: Any,
        *,
        precision: float | None = None,
        resilience_level: int | None = None,
        options: Mapping[str, Any] | None = None,
        session: AsyncSession | str | None = None,
        support_qiskit: bool = False,
        transpile: bool = False,
        **job_options: Unpack[JobOptions],
    ) -> AsyncJob[EstimatorResult]:
        """Submit an EstimatorV2 job. A PUB is
        ``(circuit, observables, parameter_values=None, precision=None)``. ``transpile=True``
        first transpiles each circuit for the backend, locally (the ``[transpile]`` extra), and
        lays the observables out to match."""
        if transpile:
            from ._transpile import transpile_pubs

            pubs = await transpile_pubs(self._client, backend, pubs, "estimator")
        params = estimator_params(
            pubs,
            precision=precision,
            resilience_level=resilience_level,
            options=options,
            support_qiskit=support_qiskit,
        )
        return await self._submit("estimator", backend, params, None, session, job_options)

    async def create(
        self,
        program_id: str,
        backend: str,
        params: Mapping[str, Any],
        *,
        session: AsyncSession | str | None = None,
        **envelope: Any,
    ) -> AsyncJob[Any]:
        """Submit a job of any program with ``params`` as given. ``envelope`` takes the
        ``JobOptions`` and ``runtime``, ``calibration_id``, ``remote_storage``."""
        if not isinstance(params, Mapping):
            raise InvalidInputError(f"params must be a mapping, got {type(params).__name__}")
        return await self._submit(program_id, backend, params, None, session, envelope)

    async def _submit(
        self,
        program_id: str,
        backend: str,
        params: Mapping[str, Any],
        widths: Sequence[Mapping[str, int]] | None,
        session: AsyncSession | str | None,
        options: Mapping[str, Any],
    ) -> AsyncJob[Any]:
        tags, idempotency, extras = split_job_options(options)
        all_tags, tag = prepare_tags(tags, idempotency)
        body = build_envelope(
            program_id,
            backend,
            params,
            session_id=session_id_of(session),
            tags=all_tags,
            extras=extras,
        )
        for attempt in range(1, MAX_SUBMIT_ATTEMPTS + 1):
            sent_at = self._client._clock()
            try:
                response = await self._client._request("POST", "/v1/jobs", json=body)
                answer = read_object(response, "POST /v1/jobs")
                require_id(response, answer, "POST /v1/jobs")
            except QiskitRuntimeError as exc:
                # An answer without an id may still stand for a created job: look it up too.
                if tag is None or not (
                    is_ambiguous(exc) or isinstance(exc, UnexpectedResponseError)
                ):
                    raise
                found = await self._find_by_tag(tag, exc, sent_at)
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
            return self._job(answer, program_id, widths, tag)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _find_by_tag(
        self, tag: str, original: BaseException, sent_at: float
    ) -> Mapping[str, Any] | None:
        """The job the idempotency tag finds, or None once a lookup proves there is none: two
        lookups ``IDEMPOTENCY_LOOKUP_SETTLE`` apart, and after a timeout, lookups until
        ``IDEMPOTENCY_LOOKUP_TIMEOUTS`` read timeouts have passed since the request was sent."""
        window = lookup_window(original)
        backoff = Backoff(initial=IDEMPOTENCY_LOOKUP_SETTLE, jitter=0.0)
        # Time since the request was sent: what the request itself took, plus the pauses here.
        waited = self._client._clock() - sent_at
        looks = 0
        while True:
            try:
                response = await self._client._request(
                    "GET", "/v1/jobs", params={"tags": [tag], "exclude_params": "true"}
                )
                rows = matching_rows(read_json(response, "GET /v1/jobs"), tag)
            except QiskitRuntimeError as lookup:
                raise unknown_outcome(tag, original, lookup) from original
            if rows:
                return rows[0]
            looks += 1
            if looks >= 2 and waited >= window:
                return None
            pause = backoff.next()
            await self._client._sleep(pause)
            waited += pause

    def _job(
        self,
        body: Mapping[str, Any],
        program_id: str,
        widths: Sequence[Mapping[str, int]] | None,
        tag: str | None,
    ) -> AsyncJob[Any]:
        return AsyncJob(self._client, str(body["id"]), **submitted(body, program_id, widths, tag))

    async def get(self, job_id: str) -> AsyncJob[Any]:
        """Fetch one job. Its ``params`` (possibly large) are fetched later, and only if its
        results need them to learn register widths."""
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
        """Every matching job, newest first by default, fetching pages of 200 as iteration goes;
        ``limit`` caps the number of jobs yielded."""
        params = job_list_params(
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

    async def _page(self, params: Mapping[str, Any], offset: int) -> Page:
        response = await self._client._request(
            "GET", "/v1/jobs", params={**params, "limit": LIST_PAGE_SIZE, "offset": offset}
        )
        return page_rows(read_json(response, "GET /v1/jobs"), offset)

    async def wait_all(
        self,
        jobs: Sequence[AsyncJob[Any]],
        *,
        timeout: float | None = None,
        callback: StatusCallback | None = None,
        progress: Callable[[int, int], Any] | None = None,
    ) -> builtins.list[AsyncJob[Any]]:
        """Wait until every job is final and return them, in order. Failed or cancelled jobs do
        not raise here (check ``job.status()`` or call ``job.result()``); a timeout does.

        A round costs a few pages of one job listing (``GET /v1/jobs``, narrowed by creation
        time and by the backend, session or tag the jobs share) whatever the number of jobs, and
        each job's final state is read from its row; only a job the listing keeps missing is
        polled on its own. ``callback(job, status)`` is called on every change of a job's
        status, ``progress(final, total)`` whenever more jobs are final. Transient failures are
        waited through round by round, as a single wait does."""
        waiter = AllWaiter(jobs, Deadline(self._client._clock, timeout))
        backoff = Backoff(cap=WAIT_ALL_MAX_INTERVAL)
        reported = -1
        while True:
            try:
                await self._wait_round(waiter)
            except QiskitRuntimeError as exc:
                if not waiter.failures.absorb(exc):
                    if waiter.deadline.expired():  # as a single wait: the timeout is the news
                        raise waiter.timeout() from exc
                    raise
                logger.info("a wait_all round failed (%s); still waiting", exc)
            else:
                waiter.failures.reset()
            for job, status in waiter.take_changes():
                await call_back(callback, job, status)
            if waiter.final != reported:
                reported = waiter.final
                await call_back(progress, waiter.final, waiter.total)
            if waiter.finished():
                return list(jobs)
            if waiter.deadline.expired():
                raise waiter.timeout()
            await self._client._sleep(waiter.deadline.clip(backoff.next()))

    async def _wait_round(self, waiter: AllWaiter) -> None:
        query = waiter.listing_query()
        offset = pages = 0
        while query is not None:
            page = await self._page(query, offset)
            waiter.absorb_rows([row for row, _ in page])
            pages += 1
            if not page or page[-1][1] or waiter.listed_all() or pages >= waiter.max_pages():
                break
            offset += LIST_PAGE_SIZE
        singles = waiter.singles()
        timeout_each = waiter.deadline.request_timeout()
        polls = [partial(waiter.job(job_id)._poll, timeout_each) for job_id in singles]
        failed: Exception | None = None
        for job_id, outcome in zip(singles, await gather(polls), strict=True):
            if isinstance(outcome, Exception):
                failed = failed or outcome
            else:
                waiter.observe(job_id, outcome)
        if failed is not None:
            raise failed
