"""What the job handles of both flavours share, I/O-free: state, accessors, submission
book-keeping (idempotency tags, ambiguous failures) and the ``wait_all`` ledger.

Submission never sends ``POST /v1/jobs`` twice blindly: the transport does not retry it once it
may have reached the server, and with ``idempotency=True`` (the default) each submission carries a
client-generated tag. After an ambiguous failure (a timeout or dropped connection after the
request left, or a 5xx) the tag is looked up with ``GET /v1/jobs?tags=...``: a job found is
returned as if the POST had answered, and the job is resubmitted only when the lookup proves none
exists. Design notes: ``docs/jobs-notes.md``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypedDict, TypeVar

import httpx

from ._constants import (
    IDEMPOTENCY_LOOKUP_SETTLE,
    IDEMPOTENCY_LOOKUP_TIMEOUTS,
    IDEMPOTENCY_TAG_PREFIX,
    LIST_PAGE_SIZE,
    LISTING_CLOCK_SKEW,
    LISTING_MISSES_BEFORE_POLL,
    RESULTS_GRACE_PERIOD,
)
from ._exceptions import (
    ApiConnectionError,
    ConflictError,
    InvalidInputError,
    JobSubmissionUnknownError,
    QiskitRuntimeError,
    ServerError,
    UnexpectedResponseError,
    safe_url,
)
from ._models import parse_time, warn_raw_renamed
from ._pubs import register_widths, validate_tags
from ._results import BitArray, SamplerResult, decode_results
from ._status import JobState, JobStatus, parse_job_state
from ._waiters import Deadline, FailureBudget

if TYPE_CHECKING:
    from ._sessions_base import SessionBase

R = TypeVar("R")


class JobOptions(TypedDict, total=False):
    """What every submission takes besides its program's own parameters.

    ``tags``: up to 8 strings (one slot goes to the idempotency tag unless ``idempotency`` is
    False); ``max_execution_time``: seconds, 1 to 10800; ``log_level``; ``private``: results
    readable once, then deleted."""

    tags: Sequence[str] | None
    idempotency: bool
    max_execution_time: int | None
    log_level: str | None
    private: bool | None


class _ProgramOptions(JobOptions, total=False):
    options: Mapping[str, Any] | None
    support_qiskit: bool
    transpile: bool


class SamplerOptions(_ProgramOptions, total=False):
    """What ``run_sampler`` takes besides the backend, the PUBs and the session."""

    shots: int | None


class EstimatorOptions(_ProgramOptions, total=False):
    """What ``run_estimator`` takes besides the backend, the PUBs and the session."""

    precision: float | None
    resilience_level: int | None


def split_job_options(
    options: Mapping[str, Any],
) -> tuple[Sequence[str] | None, bool, dict[str, Any]]:
    """(tags, idempotency, the envelope extras) of a submission's keyword options."""
    extras = dict(options)
    tags = extras.pop("tags", None)
    idempotency = extras.pop("idempotency", True)
    if not isinstance(idempotency, bool):
        raise InvalidInputError(f"idempotency must be True or False, got {idempotency!r}")
    return tags, idempotency, extras


def session_id_of(session: SessionBase | str | None) -> str | None:
    if session is None or isinstance(session, str):
        return session
    return session.id


def _new_idempotency_tag() -> str:
    return IDEMPOTENCY_TAG_PREFIX + uuid.uuid4().hex[:20]


def prepare_tags(tags: Sequence[str] | None, idempotency: bool) -> tuple[list[str], str | None]:
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


def is_ambiguous(exc: BaseException) -> bool:
    return isinstance(exc, ApiConnectionError | ServerError) and not _never_sent(exc)


def lookup_window(original: BaseException) -> float:
    """Seconds after sending a submission before a tag lookup that finds nothing proves the
    job was not created: long enough for the server to have finished with the request."""
    read = getattr(original, "read_timeout", None)
    if isinstance(read, int | float) and read > 0:
        return max(IDEMPOTENCY_LOOKUP_SETTLE, IDEMPOTENCY_LOOKUP_TIMEOUTS * read)
    return IDEMPOTENCY_LOOKUP_SETTLE


def matching_rows(body: Any, tag: str) -> list[Mapping[str, Any]]:
    rows = body.get("jobs") if isinstance(body, Mapping) else None
    return [
        row
        for row in rows or []
        if isinstance(row, Mapping) and tag in (row.get("tags") or []) and row.get("id")
    ]


def unknown_outcome(
    tag: str, original: BaseException, lookup: BaseException
) -> JobSubmissionUnknownError:
    return JobSubmissionUnknownError(
        f"submitting the job failed ambiguously ({original}) and looking it up by its "
        f"idempotency tag {tag!r} failed too ({lookup}). The job may or may not exist: check "
        f"with rt.jobs.list(tags=[{tag!r}]) before submitting again.",
        idempotency_tag=tag,
    )


def widths_from_params(params: Any) -> list[Mapping[str, int]] | None:
    pubs = params.get("pubs") if isinstance(params, Mapping) else None
    if not isinstance(pubs, list):
        return None
    out: list[Mapping[str, int]] = []
    for pub in pubs:
        circuit = pub[0] if isinstance(pub, list) and pub else pub
        out.append(register_widths(circuit) if isinstance(circuit, str) else {})
    return out


def lacks_widths(result: Any) -> bool:
    if not isinstance(result, SamplerResult):
        return False
    return any(
        isinstance(field, BitArray) and field._declared_bits is None
        for pub in result
        for field in pub.data.values()
    )


def results_budget(deadline: Deadline) -> float:
    left = deadline.remaining()
    return RESULTS_GRACE_PERIOD if left is None else max(0.0, left)


def already_final(exc: ConflictError, job_id: str) -> ConflictError:
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


def submitted(
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
        "submitted_at": datetime.now(UTC),
    }


class JobBase(Generic[R]):
    """State and accessors of a job handle; the requests live in the flavoured subclasses."""

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
        submitted_at: datetime | None = None,
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
        self._submitted_at = submitted_at  # the client's clock, when this handle submitted it
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
            self._widths = widths_from_params(body.get("params"))

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
    def body(self) -> dict[str, Any]:
        """The last job body fetched (``GET /v1/jobs/{id}`` or a listing row), as sent."""
        return dict(self._details)

    @property
    def raw(self) -> dict[str, Any]:
        """Deprecated: the old name of ``body``."""
        warn_raw_renamed(self)
        return self.body

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
        except ValueError as exc:  # JSONDecodeError included
            request = response._request  # a bare test response has none
            raise UnexpectedResponseError(
                f"the results of job {self._id} could not be decoded: {exc}",
                status_code=response.status_code,
                method="GET",
                url=safe_url(request.url) if request is not None else None,
            ) from exc

    def _repr_html_(self) -> str:  # notebooks: the job as last fetched, nothing sent
        from ._display import job_html

        return job_html(self)

    def __repr__(self) -> str:
        status = self._state.status.value if self._state else "not fetched"
        return (
            f"{type(self).__name__}(id={self._id!r}, backend={self._backend!r}, status={status!r})"
        )


class AllWaiter:
    """The ledger of ``wait_all``: which jobs are pending, what each was last seen as, and the
    one job listing that reports on all of them.

    A round lists jobs oldest first from just before the oldest pending job was created (its
    ``created`` when known, else the client's submission time less ``LISTING_CLOCK_SKEW``),
    narrowed by the backend, session or tag every pending job shares, and stops paging once
    every pending job has been seen. A job the listing misses ``LISTING_MISSES_BEFORE_POLL``
    rounds in a row, or one with no creation time at all, is polled on its own.
    """

    def __init__(self, jobs: Sequence[JobBase[Any]], deadline: Deadline) -> None:
        self._jobs = {job.id: job for job in jobs}
        self._seen: dict[str, JobStatus] = {}
        self.deadline = deadline
        self.failures = FailureBudget(deadline)
        self._changes: list[tuple[Any, JobStatus]] = []
        self._pending = list(dict.fromkeys(job.id for job in jobs if not job._final()))
        self._misses: dict[str, int] = {}
        self._listed: set[str] = set()
        self._expected: set[str] = set()

    def job(self, job_id: str) -> Any:
        return self._jobs[job_id]

    @property
    def total(self) -> int:
        return len(self._jobs)

    @property
    def final(self) -> int:
        return len(self._jobs) - len(self._pending)

    def listing_query(self) -> dict[str, Any] | None:
        """This round's ``GET /v1/jobs`` filters, or None when no pending job can be listed."""
        self._listed = set()
        starts = {
            job_id: start
            for job_id in self._pending
            if (start := self._created_bound(job_id)) is not None
            and self._misses.get(job_id, 0) < LISTING_MISSES_BEFORE_POLL
        }
        self._expected = set(starts)
        if not self._expected:
            return None
        jobs = [self._jobs[job_id] for job_id in self._expected]
        query: dict[str, Any] = {
            # From the oldest job this listing is to find: one polled on its own instead must not
            # pull the window back and spend the round's pages on rows no pending job is in.
            "created_after": min(starts.values()),
            "sort": "ASC",
            "exclude_params": "true",
        }
        backends = {job.backend for job in jobs}
        sessions = {job.session_id for job in jobs}
        if len(backends) == 1 and None not in backends:
            query["backend"] = backends.pop()
        if len(sessions) == 1 and None not in sessions:
            query["session_id"] = sessions.pop()
        shared = set.intersection(*(set(job.tags) for job in jobs))
        shared = {tag for tag in shared if not tag.startswith(IDEMPOTENCY_TAG_PREFIX)}
        if shared:
            query["tags"] = [min(shared)]
        return query

    def _created_bound(self, job_id: str) -> datetime | None:
        job = self._jobs[job_id]
        created = parse_time(job.created)
        if created is not None:
            return created - timedelta(seconds=1)
        if job._submitted_at is not None:
            return job._submitted_at - timedelta(seconds=LISTING_CLOCK_SKEW)
        return None

    def absorb_rows(self, rows: Sequence[Mapping[str, Any]]) -> None:
        for row in rows:
            job_id = str(row.get("id"))
            job = self._jobs.get(job_id)
            if job is None or job_id in self._listed:
                continue
            self._listed.add(job_id)
            job._apply({**job._details, **row})
            if job._state is not None:
                self.observe(job_id, job._state)

    def listed_all(self) -> bool:
        return self._expected <= self._listed

    def max_pages(self) -> int:
        """A round's listing may page this far: past it, the jobs it missed are polled."""
        return 2 + 2 * ((len(self._expected) + LIST_PAGE_SIZE - 1) // LIST_PAGE_SIZE)

    def singles(self) -> list[str]:
        """After the listing: the pending jobs to poll one by one this round."""
        for job_id in self._expected - self._listed:
            self._misses[job_id] = self._misses.get(job_id, 0) + 1
        for job_id in self._listed:
            self._misses.pop(job_id, None)
        return [job_id for job_id in self._pending if job_id not in self._expected]

    def observe(self, job_id: str, state: JobState) -> None:
        if self._seen.get(job_id) is not state.status:
            self._seen[job_id] = state.status
            self._changes.append((self._jobs[job_id], state.status))
        if state.status.is_final and job_id in self._pending:
            self._pending.remove(job_id)

    def take_changes(self) -> list[tuple[Any, JobStatus]]:
        """The (job, new status) pairs seen since the last call, for the user's callback."""
        taken, self._changes = self._changes, []
        return taken

    def finished(self) -> bool:
        return not self._pending

    def timeout(self) -> Exception:
        error = self.deadline.timeout_error(
            f"{len(self._pending)} of {len(self._jobs)} jobs", None, None
        )
        error.args = (f"{error.args[0]} Still pending: {', '.join(self._pending)}.",)
        return error
