"""The emulated service: what each operation does to the state, independent of HTTP.

Handlers in ``_app`` parse requests and call one method here; every method returns the JSON
document of the response (or raises ``ApiError``). Job and session lifecycle rules live here
only, including the callbacks the job runner uses.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from . import _reports as reports
from ._backends import BACKEND_STATES, Device, build_devices
from ._config import EmulatorConfig, Faults, JobDelays, JobFailure
from ._constants import (
    BACKEND_FIELDS,
    DEFAULT_PLAN_ID,
    DEFAULT_SUBSCRIPTION_ID,
    DEFAULT_SUBSCRIPTION_NAME,
    JOB_MAX_COST_SECONDS,
    JOB_RATE_LIMIT,
    JOB_RATE_WINDOW_SECONDS,
    SESSION_INTERACTIVE_TTL_SECONDS,
    SESSION_MAX_TTL_SECONDS,
    USAGE_ALLOCATION_SECONDS,
    USAGE_LIMIT_SECONDS,
    VERSION_BACKEND_DEVICE_OBJECTS,
    VERSION_METRICS_ROOT_EXECUTION_TIME,
    VERSION_USAGE_V3,
)
from ._errors import ApiError, Code, job_reason
from ._execution import ExecutionError, ExecutionSettings, Outcome, estimate_usage, execute
from ._iam import TokenIssuer
from ._ids import format_epoch, format_time, new_id
from ._journal import Journal
from ._params import QueryLike, RequestContext, bad_request, bool_param, time_param
from ._runner import JobRunner
from ._store import JobRecord, SessionRecord, Store, usage_month
from ._transpiler import TranspilerTasks

__all__ = ["EmulatorService"]

SUPPORTED_PROGRAMS = frozenset({"sampler", "estimator"})
# Programs the real service runs but the emulator does not: accepted, then Failed.
KNOWN_PROGRAMS = SUPPORTED_PROGRAMS | {"noise-learner", "executor", "calibrate"}
_MAX_TAGS = 8
_MAX_TAG_LENGTH = 86


def _validate_tags(tags: Any) -> list[str]:
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ApiError(400, Code.TOO_MANY_TAGS, "tags must be an array of strings.")
    if len(tags) > _MAX_TAGS or any(len(tag) > _MAX_TAG_LENGTH for tag in tags):
        raise ApiError(400, Code.TOO_MANY_TAGS)
    return list(tags)


class EmulatorService:
    def __init__(self, config: EmulatorConfig) -> None:
        # qiskit must be first imported by a long-lived thread (this one: usually the main
        # thread). If the job runner imported it and then exited, as it does when an emulator
        # stops, qiskit's native extension crashes the next thread that uses it (qiskit 2.6).
        import qiskit

        self._qiskit_version: str = qiskit.__version__
        self.config = config
        calibrated = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        self.devices: dict[str, Device] = build_devices(calibrated)
        self._documents: dict[tuple[str, str], Any] = {}
        self.journal = Journal()
        self.store = Store(config.state_file)
        self.runner = JobRunner(self, lambda: self.config.job_delays)
        self.transpiler = TranspilerTasks(self)
        self._rate_lock = threading.Lock()
        self._apply_scenarios(config)
        self._requeue_unfinished()

    def _apply_scenarios(self, config: EmulatorConfig) -> None:
        """(Re)build everything the configuration decides, for a new or a reset emulator."""
        previous = getattr(self, "config", None)
        identity = (config.api_keys, config.account_id, config.token_ttl)
        if (
            previous is None
            or not hasattr(self, "issuer")
            or identity
            != (
                previous.api_keys,
                previous.account_id,
                previous.token_ttl,
            )
        ):
            # Tokens outlive a reset unless the keys or their lifetime change.
            self.issuer = TokenIssuer(config.api_keys, config.account_id, config.token_ttl)
        self.config = config
        self._recent_jobs: dict[str, deque[float]] = {}
        self._failures: list[list[Any]] = [[rule, rule.count] for rule in config.job_failures]
        self._backend_states: dict[str, tuple[str, str | None]] = {}
        self._parked: dict[str, list[str]] = {}
        for name, state in config.backend_states.items():
            if name not in self.devices:
                raise ValueError(f"backend_states names {name}; the emulator has no such device")
            self._backend_states[name] = (state, None)
        if config.usage_consumed_seconds:
            self.set_usage_consumed(config.usage_consumed_seconds)

    def close(self) -> None:
        self.runner.stop()
        self.transpiler.close()
        self.store.close()

    def reset(self, config: EmulatorConfig | None = None) -> None:
        """Forget every job, session and setting and apply ``config`` (the same one if None):
        what a test needs between two tests, without restarting the server."""
        with self.store.lock:
            self.store.clear()
            self._apply_scenarios(config or self.config)
        self.transpiler.clear()
        self.journal.clear()
        self.runner.wake()

    def _requeue_unfinished(self) -> None:
        # After a restart from a state file, unfinished jobs start over from the queue.
        with self.store.lock:
            pending = sorted(
                (job for job in self.store.jobs.values() if job.pending), key=lambda j: j.created
            )
            for job in pending:
                job.status, job.running_at = "Queued", None
                self.store.save_job(job)
        for job in pending:
            self.runner.submit(job.id)

    # ------------------------------------------------------------------------------ helpers

    def _job(self, job_id: str) -> JobRecord:
        job = self.store.jobs.get(job_id)
        if job is None:
            raise ApiError(404, Code.JOB_NOT_FOUND, f"Job ID: {job_id}")
        return job

    def _session(self, session_id: str) -> SessionRecord:
        session = self.store.sessions.get(session_id)
        if session is None:
            raise ApiError(404, Code.SESSION_NOT_FOUND, f"Session ID: {session_id}")
        return session

    def device(self, name: str) -> Device:
        device = self.devices.get(name)
        if device is None:
            raise ApiError(404, Code.BACKEND_NOT_FOUND, f"Backend: {name}")
        return device

    def _queue_length(self, backend: str) -> int:
        return self.store.pending_per_backend[backend]

    def _members(self, session_id: str) -> list[JobRecord]:
        jobs = self.store.jobs
        return [jobs[job_id] for job_id in self.store.by_session.get(session_id, ())]

    def _settings(self) -> ExecutionSettings:
        return ExecutionSettings(
            readout_noise=self.config.readout_noise,
            strict_isa=self.config.strict_isa,
            seed=self.config.seed,
            max_qubits=self.config.max_qubits,
        )

    # ---------------------------------------------------------------------- runner lifecycle

    def is_queued(self, job_id: str) -> bool:
        with self.store.lock:
            job = self.store.jobs.get(job_id)
            return job is not None and job.status == "Queued"

    def begin_job(self, job_id: str) -> Callable[[], Outcome] | None:
        with self.store.lock:
            job = self.store.jobs.get(job_id)
            now = time.time()
            session = self.store.sessions.get(job.session_id or "") if job else None
            if session is not None:
                # A session may have expired while the job waited: that cancels the job.
                self._refresh_session(session, now)
            if job is None or job.status != "Queued":
                return None
            if self.backend_state(job.backend)[0] != "online":
                # A paused device or one in maintenance keeps its queue until it is back.
                self._parked.setdefault(job.backend, []).append(job.id)
                return None
            failure = self._take_failure(job)
            job.status, job.running_at = "Running", now
            self.store.save_job(job)
            if session is not None:
                session.last_job_started = now
                session.move_to("active", now)
                self.store.save_session(session)
            program_id, params, device = job.program_id, job.params, self.devices[job.backend]
        settings = self._settings()
        if failure is not None:
            code = job_reason(failure.reason_code)
            detail = failure.reason or ""
            if failure.solution:
                code = (code[0], code[1], failure.solution)

            def scripted() -> Outcome:
                raise ExecutionError(detail, code)

            return scripted
        if program_id not in SUPPORTED_PROGRAMS:

            def unsupported() -> Outcome:
                raise ExecutionError(f"The program {program_id!r} is not emulated.")

            return unsupported
        return lambda: execute(program_id, params, device, settings)

    def finish_job(
        self, job_id: str, outcome: Outcome | None, error: ExecutionError | None
    ) -> None:
        with self.store.lock:
            job = self.store.jobs.get(job_id)
            if job is None or job.status != "Running":
                return  # cancelled or deleted while running: the result is dropped
            now = time.time()
            job.finished_at = now
            if outcome is not None:
                job.status = "Completed"
                job.result = outcome.result
                job.quantum_seconds = outcome.quantum_seconds
                job.execution_time_ns = outcome.execution_time_ns
            else:
                assert error is not None
                # IBM cancels a job that ran too long (reason code 1305) rather than failing it.
                job.status = "Cancelled" if error.reason_code == Code.RAN_TOO_LONG[0] else "Failed"
                job.reason = error.reason
                job.reason_code = error.reason_code
                job.reason_solution = error.solution
                job.quantum_seconds = 0
                job.execution_time_ns = 0
            self.store.save_job(job)
            if job.session_id and (session := self.store.sessions.get(job.session_id)):
                session.last_job_completed = now
                self._refresh_session(session, now)

    # -------------------------------------------------------------------------------- jobs

    def create_job(self, body: Any, ctx: RequestContext) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        program_id = body.get("program_id")
        backend = body.get("backend")
        if not isinstance(program_id, str) or not program_id:
            raise bad_request("program_id is required.")
        if not isinstance(backend, str) or not backend:
            raise bad_request("backend is required.")
        if program_id not in KNOWN_PROGRAMS:
            raise ApiError(404, Code.PROGRAM_NOT_FOUND, f"Program: {program_id}")
        self.device(backend)
        params = body.get("params", {})
        if not isinstance(params, dict):
            raise bad_request("params must be an object.")
        tags = _validate_tags(body.get("tags", []))
        cost = body.get("cost", JOB_MAX_COST_SECONDS)
        if not isinstance(cost, int) or isinstance(cost, bool) or cost < 0:
            raise bad_request("cost must be a non-negative integer.")
        private = body.get("private") is True
        session_id = body.get("session_id")
        with self.store.lock:
            # Timestamps taken under the lock keep the store's insertion order = creation order.
            now = time.time()
            if session_id is not None:
                self._admit_to_session(str(session_id), backend, now)
            self._check_instance_limit()
            self._check_pending_limit()
            self._check_rate_limit(ctx.user_id, now)
            job = JobRecord(
                id=new_id(),
                program_id=program_id,
                backend=backend,
                params=params,
                created=now,
                user_id=ctx.user_id,
                session_id=session_id,
                tags=tags,
                caller=ctx.caller,
                cost=min(cost, JOB_MAX_COST_SECONDS),
                log_level=body.get("log_level"),
                private=private,
                runtime=body.get("runtime"),
                calibration_id=body.get("calibration_id"),
                estimated_seconds=estimate_usage(program_id, params),
            )
            self.store.save_job(job)
        self.runner.submit(job.id)
        response: dict[str, Any] = {"id": job.id, "backend": backend}
        if session_id is not None:
            response["session_id"] = session_id
        if private:
            response["private"] = True
        return response

    def _admit_to_session(self, session_id: str, backend: str, now: float) -> None:
        session = self._session(session_id)
        self._refresh_session(session, now)
        if session.state == "closed" or not session.accepting_jobs:
            raise ApiError(400, Code.SESSION_CLOSED, f"Session ID: {session_id}")
        if session.backend_name and session.backend_name != backend:
            raise bad_request(
                f"The session runs on {session.backend_name}; the job asked for {backend}."
            )
        if session.backend_name is None:
            session.backend_name = backend
            self.store.save_session(session)

    def _check_rate_limit(self, user_id: str, now: float) -> None:
        if not self.config.rate_limit:
            return
        with self._rate_lock:
            recent = self._recent_jobs.setdefault(user_id, deque())
            while recent and recent[0] <= now - JOB_RATE_WINDOW_SECONDS:
                recent.popleft()
            if len(recent) >= JOB_RATE_LIMIT:
                wait = max(1, math.ceil(recent[0] + JOB_RATE_WINDOW_SECONDS - now))
                raise ApiError(
                    429,
                    Code.TOO_MANY_REQUESTS,
                    f"The limit is {JOB_RATE_LIMIT} per minute.",
                    headers={"Retry-After": str(wait)},
                )
            recent.append(now)

    def _usage_limit(self) -> int:
        """The limit job creation stops at: the instance limit if set, else the plan's."""
        limit = self.store.settings.get("instance_limit")
        return USAGE_LIMIT_SECONDS if limit is None else min(int(limit), USAGE_LIMIT_SECONDS)

    def _check_instance_limit(self) -> None:
        limit = self._usage_limit()
        if self._consumed_seconds() >= limit:
            raise ApiError(409, Code.USAGE_LIMIT, f"Limit: {limit} seconds.")

    def _check_pending_limit(self) -> None:
        cap = self.config.max_pending_jobs
        if cap is not None and len(self.store.pending) >= cap:
            delays = self.config.job_delays
            wait = max(1, math.ceil(delays.queued + delays.running))
            raise ApiError(
                429,
                Code.TOO_MANY_PENDING_JOBS,
                f"The limit is {cap} pending jobs.",
                headers={"Retry-After": str(wait)},
            )

    def _usage_doc(self, job: JobRecord, version: str) -> dict[str, Any]:
        usage = reports.job_usage(job)
        if version >= VERSION_USAGE_V3:
            return usage
        seconds = usage["qpu_charge_time_seconds"]
        return {"quantum_seconds": seconds, "seconds": seconds}

    def _job_doc(self, job: JobRecord, version: str, *, include_params: bool) -> dict[str, Any]:
        state: dict[str, Any] = {"status": job.status}
        status = job.status
        if job.status == "Cancelled" and job.reason_code == Code.RAN_TOO_LONG[0]:
            status = "Cancelled - Ran too long"
        if job.reason:
            state["reason"] = job.reason
        if job.reason_code is not None:
            state["reason_code"] = job.reason_code
        if job.reason_solution:
            state["reason_solution"] = job.reason_solution
        doc: dict[str, Any] = {
            "id": job.id,
            "backend": job.backend,
            "state": state,
            "status": status,
            "program": {"id": job.program_id},
            "created": format_epoch(job.created),
            "cost": job.cost if job.cost is not None else JOB_MAX_COST_SECONDS,
            "tags": list(job.tags),
            "user_id": job.user_id,
            "estimated_running_time_seconds": job.estimated_seconds,
            "usage": self._usage_doc(job, version),
        }
        if version < VERSION_USAGE_V3:
            doc["bss"] = {"seconds": doc["usage"]["seconds"]}
        if include_params and not job.private:
            doc["params"] = job.params
        if job.session_id:
            doc["session_id"] = job.session_id
        if job.private:
            doc["private"] = True
        if job.runtime:
            doc["runtime"] = job.runtime
        if job.calibration_id:
            doc["calibration_id"] = job.calibration_id
        return doc

    def get_job(self, job_id: str, query: QueryLike, ctx: RequestContext) -> dict[str, Any]:
        exclude = bool_param(query, "exclude_params", False)
        with self.store.lock:
            return self._job_doc(self._job(job_id), ctx.api_version, include_params=not exclude)

    def list_jobs(self, query: QueryLike, ctx: RequestContext) -> dict[str, Any]:
        def bounded(key: str, default: int, low: int, high: int) -> int:
            # Out-of-range values are silently replaced by the default, as documented.
            try:
                value = int(query.get(key) or default)
            except (TypeError, ValueError):
                return default
            return value if low <= value <= high else default

        limit = bounded("limit", 200, 1, 200)
        offset = bounded("offset", 0, 0, 2**31 - 1)
        pending = bool_param(query, "pending", None)
        exclude = bool_param(query, "exclude_params", True)
        after = time_param(query, "created_after")
        before = time_param(query, "created_before")
        sort = (query.get("sort") or "DESC").upper()
        if sort not in ("ASC", "DESC"):
            raise bad_request("sort must be ASC or DESC.")
        tags = set(query.getlist("tags"))
        program, backend = query.get("program"), query.get("backend")
        session_id = query.get("session_id")
        descending = sort == "DESC"
        with self.store.lock:
            store = self.store
            # Start from the smallest index that applies: cost follows the matches, not history.
            indexes: list[dict[str, None]] = [store.by_tag.get(tag, {}) for tag in tags]
            if pending is True:
                indexes.append(store.pending)
            for value, index in (
                (session_id, store.by_session),
                (backend, store.by_backend),
                (program, store.by_program),
            ):
                if value is not None:
                    indexes.append(index.get(value, {}))
            source = min(indexes, key=len) if indexes else store.jobs
            ordered: Iterable[str] = reversed(source) if descending else source

            def matches(job: JobRecord) -> bool:
                return (
                    (pending is None or job.pending == pending)
                    and (program is None or job.program_id == program)
                    and (backend is None or job.backend == backend)
                    and (session_id is None or job.session_id == session_id)
                    and tags <= set(job.tags)
                )

            jobs: Iterator[JobRecord] = (store.jobs[job_id] for job_id in ordered)
            # Creation order lets a time bound end the walk instead of filtering to the end.
            if descending and after is not None:
                jobs = itertools.takewhile(lambda job: job.created >= after, jobs)
            if not descending and before is not None:
                jobs = itertools.takewhile(lambda job: job.created <= before, jobs)
            if len(indexes) <= 1 and pending is not False and after is None and before is None:
                count = len(source)
                page = list(itertools.islice(jobs, offset, offset + limit))
            else:
                selected = [
                    job
                    for job in jobs
                    if matches(job)
                    and (after is None or job.created >= after)
                    and (before is None or job.created <= before)
                ]
                count = len(selected)
                page = selected[offset : offset + limit]
            docs = [self._job_doc(j, ctx.api_version, include_params=not exclude) for j in page]
        return {"jobs": docs, "count": count, "offset": offset, "limit": limit}

    def delete_job(self, job_id: str) -> None:
        with self.store.lock:
            job = self._job(job_id)
            if job.pending:
                raise ApiError(400, Code.JOB_NOT_FINAL, f"Job ID: {job_id}")
            self.store.delete_job(job_id)

    def cancel_job(self, job_id: str) -> None:
        with self.store.lock:
            job = self._job(job_id)
            if not job.pending:
                raise ApiError(409, Code.JOB_NOT_CANCELLABLE, f"Status: {job.status}")
            self._cancel(job, "Job was cancelled by the user.")
        self.runner.wake()

    def _cancel(self, job: JobRecord, reason: str) -> None:
        now = time.time()
        job.status, job.reason, job.finished_at = "Cancelled", reason, now
        # A job cancelled while running has used the QPU until now.
        job.quantum_seconds = math.ceil(now - job.running_at) if job.running_at else 0
        self.store.save_job(job)

    def job_results(self, job_id: str) -> str | None:
        """The result body, or None while no final result exists (the API answers 204)."""
        with self.store.lock:
            job = self._job(job_id)
            if job.status == "Failed" or (job.status == "Cancelled" and job.reason_code):
                # qiskit-ibm-runtime reads a failed job's "result" for its error text.
                return json.dumps(f"Error code {job.reason_code}; {job.reason}")
            if job.status != "Completed" or job.result is None:
                return None
            result = job.result
            if job.private:
                # Private results can be read once, then they are gone.
                job.result, job.results_read = None, True
                self.store.save_job(job)
            return result

    def job_logs(self, job_id: str) -> str:
        with self.store.lock:
            job = self._job(job_id)
            queued = f"Job {job.id} ({job.program_id}) queued on {job.backend}."
            lines = [f"{format_epoch(job.created)} INFO: {queued}"]
            if job.running_at is not None:
                lines.append(f"{format_epoch(job.running_at)} INFO: Job started running.")
            if job.finished_at is not None:
                if job.status == "Completed":
                    lines.append(f"{format_epoch(job.finished_at)} INFO: Job completed.")
                elif job.status == "Failed":
                    lines.append(f"{format_epoch(job.finished_at)} ERROR: Job failed: {job.reason}")
                else:
                    lines.append(f"{format_epoch(job.finished_at)} WARNING: {job.reason}")
            return "\n".join(lines) + "\n"

    def job_metrics(self, job_id: str, ctx: RequestContext) -> dict[str, Any]:
        with self.store.lock:
            job = self._job(job_id)
            timestamps = {
                key: format_epoch(value)
                for key, value in (
                    ("created", job.created),
                    ("running", job.running_at),
                    ("finished", job.finished_at),
                )
                if value is not None
            }
            usage = self._usage_doc(job, ctx.api_version)
            doc: dict[str, Any] = {
                "timestamps": timestamps,
                "usage": usage,
                "qiskit_version": self._qiskit_version,
            }
            if job.caller:
                doc["caller"] = job.caller
            execution_ns = job.execution_time_ns or 0
            if ctx.api_version >= VERSION_METRICS_ROOT_EXECUTION_TIME:
                doc["circuits_execution_time_ns"] = execution_ns
            elif ctx.api_version >= VERSION_USAGE_V3:
                usage["circuits_execution_time_ns"] = execution_ns
            else:
                doc["bss"] = {"seconds": usage["seconds"]}
            return doc

    def replace_tags(self, job_id: str, body: Any) -> None:
        if not isinstance(body, dict) or "tags" not in body:
            raise bad_request("The body must be an object with tags.")
        tags = _validate_tags(body["tags"])
        with self.store.lock:
            job = self._job(job_id)
            job.tags = tags
            self.store.save_job(job)

    def search_tags(self, query: QueryLike) -> dict[str, Any]:
        kind = query.get("type")
        search = query.get("search")
        if kind != "job":  # required by the spec, like search
            raise bad_request("type must be job.")
        if not isinstance(search, str) or not 3 <= len(search) <= 100:
            raise bad_request("search must be 3 to 100 characters.")
        with self.store.lock:
            found = self.store.tags_containing(search)
        return {"tags": heapq.nsmallest(_MAX_TAGS, found)}

    # ---------------------------------------------------------------------------- sessions

    def create_session(self, body: Any, ctx: RequestContext) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        mode = body.get("mode")
        if mode not in ("dedicated", "batch"):
            raise bad_request("mode must be dedicated or batch.")
        backend = body.get("backend") or body.get("backend_name")
        if backend is not None and backend not in self.devices:
            raise ApiError(400, Code.BACKEND_NOT_FOUND, f"Backend: {backend}")

        def ttl(key: str, default: int) -> int:
            value = body.get(key, default)
            if value is None:
                return default
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise bad_request(f"{key} must be a positive integer.")
            # Values above the plan's limit are capped, not rejected.
            return min(value, SESSION_MAX_TTL_SECONDS)

        max_ttl = min(ttl("max_ttl", SESSION_MAX_TTL_SECONDS), self.config.session_max_ttl)
        active_ttl = min(ttl("active_ttl", max_ttl), max_ttl)
        interactive_ttl = min(ttl("interactive_ttl", SESSION_INTERACTIVE_TTL_SECONDS), active_ttl)
        now = time.time()
        session = SessionRecord(
            id=new_id(),
            mode=mode,
            backend_name=backend,
            max_ttl=max_ttl,
            interactive_ttl=interactive_ttl,
            active_ttl=active_ttl,
            user_id=ctx.user_id,
            started_at=now,
            timestamps=[("open", now)],
        )
        with self.store.lock:
            self.store.save_session(session)
            return self._session_doc(session)

    def _refresh_session(self, session: SessionRecord, now: float) -> None:
        """Apply the time- and job-driven transitions a session has gone through by ``now``."""
        if session.state == "closed":
            return
        members = self._members(session.id)
        if now >= session.deadline:
            for job in members:
                if job.status == "Queued":
                    self._cancel(job, "The session reached its max_ttl before the job ran.")
            session.move_to("closed", now, "max_ttl reached")
        elif not session.accepting_jobs and not any(job.pending for job in members):
            session.move_to("closed", now, "closed by the user")
        elif (
            session.state == "active"
            and session.mode == "dedicated"
            and not any(job.pending for job in members)
            and session.last_job_completed is not None
            and now - session.last_job_completed > session.interactive_ttl
        ):
            session.move_to("inactive", now, "interactive_ttl reached")
        self.store.save_session(session)

    def _session_doc(self, session: SessionRecord) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": session.id,
            "backend_name": session.backend_name,
            "mode": session.mode,
            "state": session.state,
            "accepting_jobs": session.accepting_jobs,
            "started_at": format_epoch(session.started_at),
            "max_ttl": session.max_ttl,
            "active_ttl": session.active_ttl,
            "interactive_ttl": session.interactive_ttl,
            "timestamps": [
                {"status": s, "timestamp": format_epoch(t)} for s, t in session.timestamps
            ],
            "user_id": session.user_id,
        }
        for key in ("activated_at", "closed_at", "last_job_started", "last_job_completed"):
            if (value := getattr(session, key)) is not None:
                doc[key] = format_epoch(value)
        if session.state_reason:
            doc["state_reason"] = session.state_reason
        members = self._members(session.id)
        if session.activated_at is not None:
            if session.mode == "batch":
                doc["elapsed_time"] = float(sum(j.quantum_seconds or 0 for j in members))
            else:
                end = session.closed_at or session.last_job_completed or time.time()
                doc["elapsed_time"] = round(max(0.0, end - session.activated_at), 3)
        return doc

    def get_session(self, session_id: str) -> dict[str, Any]:
        with self.store.lock:
            session = self._session(session_id)
            self._refresh_session(session, time.time())
            return self._session_doc(session)

    def update_session(self, session_id: str, body: Any) -> None:
        if not isinstance(body, dict) or not isinstance(body.get("accepting_jobs"), bool):
            raise bad_request("accepting_jobs (boolean) is required.")
        with self.store.lock:
            session = self._session(session_id)
            now = time.time()
            self._refresh_session(session, now)
            if session.state != "closed":
                session.accepting_jobs = body["accepting_jobs"]
                self._refresh_session(session, now)

    def close_session(self, session_id: str) -> None:
        """Stop accepting jobs, drop the queued ones, let a running one finish, close now."""
        with self.store.lock:
            session = self._session(session_id)
            now = time.time()
            for job in self._members(session.id):
                if job.status == "Queued":
                    self._cancel(job, "The session was closed before the job ran.")
            session.move_to("closed", now, "cancelled by the user")
            self.store.save_session(session)
        self.runner.wake()

    # ---------------------------------------------------------------------------- backends

    def list_backends(self, query: QueryLike, ctx: RequestContext) -> dict[str, Any]:
        with self.store.lock:
            queues = {name: self._queue_length(name) for name in self.devices}
        if ctx.api_version < VERSION_BACKEND_DEVICE_OBJECTS:
            return {"devices": list(self.devices)}
        fields = query.get("fields")
        if fields is not None and fields not in BACKEND_FIELDS:
            # The spec's enum: its description speaks of a comma-separated list, but the one
            # field there is makes any list other than that field invalid.
            raise bad_request(f"fields must be one of: {', '.join(BACKEND_FIELDS)}.")
        with_waits = fields == "wait_time_seconds"
        devices = []
        for name, device in self.devices.items():
            state, reason = self.backend_state(name)
            summary = device.summary(
                queues[name], wait_times=with_waits, state=state, reason=reason
            )
            devices.append(summary)
        return {"devices": devices}

    def backend_status(self, name: str) -> dict[str, Any]:
        device = self.device(name)
        state, reason = self.backend_state(name)
        with self.store.lock:
            status: dict[str, Any] = device.status(self._queue_length(name), state, reason)
            return status

    def backend_document(self, name: str, kind: str) -> Any:
        """A device's configuration, properties or defaults (built once: they never change)."""
        device = self.device(name)
        key = (name, kind)
        if key not in self._documents:
            self._documents[key] = getattr(device, kind)()
        return self._documents[key]

    def backend_state(self, name: str) -> tuple[str, str | None]:
        """(state, reason): ``online``, ``paused``, ``maintenance`` or ``offline``."""
        return self._backend_states.get(name, ("online", None))

    # ---------------------------------------------------------------------------- instance

    def _usage_period(self) -> tuple[datetime, datetime]:
        now = datetime.now(UTC)
        start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=32)).replace(day=1)
        return start, end

    def _consumed_seconds(self) -> float:
        month = usage_month(time.time())
        offset = self.store.settings.get("usage_offset") or {}
        extra = float(offset.get("seconds", 0.0)) if offset.get("month") == month else 0.0
        return max(0.0, self.store.quantum_seconds_per_month[month] + extra)

    def instance(self) -> dict[str, Any]:
        limit = self.store.settings.get("instance_limit")
        doc: dict[str, Any] = {
            "backends": list(self.devices),
            "plan_id": DEFAULT_PLAN_ID,
            "usage_allocation_seconds": str(USAGE_ALLOCATION_SECONDS),
        }
        if limit is not None:
            doc["instance_limit"] = float(limit)
            doc["instance_limit_seconds"] = str(limit)
        return doc

    def instance_configuration(self) -> dict[str, Any]:
        limit = self.store.settings.get("instance_limit")
        return {} if limit is None else {"instance_limit": float(limit)}

    def replace_instance_configuration(self, body: Any) -> None:
        if not isinstance(body, dict):
            raise bad_request("The body must be a JSON object.")
        if "instance_limit" not in body:
            return  # InstanceConfigurationUpdate requires nothing: {} changes nothing
        limit = body["instance_limit"]
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit < 2**31
        ):
            raise bad_request("instance_limit must be a positive integer or null.")
        if limit is not None and limit > USAGE_ALLOCATION_SECONDS:
            raise ApiError(
                409,
                Code.USAGE_LIMIT,
                f"The limit exceeds the plan allocation of {USAGE_ALLOCATION_SECONDS} seconds.",
            )
        self.store.save_setting("instance_limit", limit)

    def usage(self) -> dict[str, Any]:
        start, end = self._usage_period()
        with self.store.lock:
            consumed = self._consumed_seconds()
            limit = self._usage_limit()
        return {
            "instance_id": self.config.crn,
            "plan_id": DEFAULT_PLAN_ID,
            "usage_period": {"start_time": format_time(start), "end_time": format_time(end)},
            "usage_consumed_seconds": consumed,
            "usage_limit_seconds": limit,
            "usage_allocation_seconds": USAGE_ALLOCATION_SECONDS,
            "usage_limit_reached": consumed >= limit,
        }

    def account(self, account_id: str, query: QueryLike) -> dict[str, Any]:
        if not account_id.replace("-", "").replace("_", "").isalnum() or len(account_id) > 64:
            raise bad_request("The account id must match [a-zA-Z0-9-_]+ (without a/).")
        if account_id != self.config.account_id:
            raise ApiError(404, Code.ACCOUNT_NOT_FOUND, f"Account: {account_id}")
        plan_filter = query.get("plan_id")
        start, end = self._usage_period()
        plan = {
            "plan_id": DEFAULT_PLAN_ID,
            "subscription_id": DEFAULT_SUBSCRIPTION_ID,
            "subscription_name": DEFAULT_SUBSCRIPTION_NAME,
            "backends": list(self.devices),
            "max_ttl": SESSION_MAX_TTL_SECONDS,
            "active_ttl": SESSION_MAX_TTL_SECONDS,
            "interactive_ttl": SESSION_INTERACTIVE_TTL_SECONDS,
            "usage_allocation_seconds": USAGE_ALLOCATION_SECONDS,
            "usage_limit_seconds": USAGE_LIMIT_SECONDS,
            "start_time": format_time(start),
            "end_time": format_time(end),
            "unallocated_usage_seconds": 0,
            "functions": [],
        }
        plans = [plan] if plan_filter in (None, DEFAULT_PLAN_ID) else []
        return {"plans": plans}

    # ------------------------------------------------------------------------------ reports

    def workloads(
        self, query: QueryLike, ctx: RequestContext, page_url: Callable[[str, str], str]
    ) -> dict[str, Any]:
        """``page_url(cursor_key, token)`` builds the href of another page of this listing."""
        parsed = reports.WorkloadQuery.parse(query)
        crn = self.config.crn
        store = self.store
        with store.lock:

            def items() -> Iterator[dict[str, Any]]:
                # Jobs outside sessions and the sessions, each already in creation order:
                # merged lazily, so an unfiltered page costs its own size, not the history.
                def key(entry: tuple[float, str, object]) -> tuple[float, str]:
                    return entry[0], entry[1]

                ids = reversed(store.standalone) if parsed.descending else store.standalone
                names = reversed(store.sessions) if parsed.descending else store.sessions
                Entry = tuple[float, str, JobRecord | SessionRecord]
                jobs: Iterator[Entry] = ((store.jobs[i].created, i, store.jobs[i]) for i in ids)
                sessions: Iterator[Entry] = (
                    (store.sessions[n].started_at, n, store.sessions[n]) for n in names
                )
                merged = heapq.merge(jobs, sessions, key=key, reverse=parsed.descending)
                for _, _, record in merged:
                    if isinstance(record, JobRecord):
                        yield reports.job_item(record, crn)
                    else:
                        yield reports.session_item(record, self._members(record.id), crn)

            start, stop = parsed.offset, parsed.offset + parsed.limit
            if parsed.filtered:
                selected = [item for item in items() if parsed.matches(item, ctx.user_id)]
                total, page = len(selected), selected[start:stop]
            else:
                total = len(store.standalone) + len(store.sessions)
                page = list(itertools.islice(items(), start, stop))
        return reports.workload_page(parsed, page, total, page_url)

    def analytics(self, kind: str, query: QueryLike) -> dict[str, Any]:
        """One of the ``/v1/analytics/{kind}`` documents, from the store's usage aggregates."""
        crn = self.config.crn
        scope = reports.Scope.parse(query, crn)
        with self.store.lock:
            index = self.store.analytics
            if kind == "usage":
                return reports.usage(scope, index)
            if kind == "usage_grouped":
                return reports.usage_grouped(scope, index, crn, query)
            if kind == "usage_grouped_by_date":
                return reports.usage_grouped_by_date(scope, index, crn, query)
            default_user = self.issuer.user_for_key(self.config.api_keys[0]) or ""
            return reports.filters(scope, index, list(self.devices), crn, default_user)

    # ---------------------------------------------------------------------------- scenarios

    def add_job_failure(self, failure: JobFailure) -> None:
        """Make the next matching jobs (``failure.count`` of them, or all) fail as described."""
        with self.store.lock:
            self._failures.append([failure, failure.count])

    def _take_failure(self, job: JobRecord) -> JobFailure | None:
        for entry in self._failures:
            rule, left = entry
            if (
                (rule.backend is None or rule.backend == job.backend)
                and (rule.program_id is None or rule.program_id == job.program_id)
                and (rule.tag is None or rule.tag in job.tags)
            ):
                if left is not None:
                    entry[1] = left - 1
                    if entry[1] == 0:
                        self._failures.remove(entry)
                failure: JobFailure = rule
                return failure
        return None

    def set_backend_state(self, name: str, state: str, reason: str | None = None) -> None:
        """Put a device ``online``, ``paused``, in ``maintenance`` or ``offline``.

        While it is not online its jobs stay Queued (new ones are still accepted, as IBM's queue
        accepts them); back online, they run in the order they were submitted.
        """
        self.device(name)
        if state not in BACKEND_STATES:
            raise ValueError(f"state must be one of {', '.join(BACKEND_STATES)}")
        with self.store.lock:
            self._backend_states[name] = (state, reason)
            parked = self._parked.pop(name, []) if state == "online" else []
        for job_id in parked:
            self.runner.submit(job_id)

    def expire_sessions(self, session_id: str | None = None) -> list[str]:
        """End sessions now as if their max_ttl had passed (queued jobs are cancelled).

        Returns the ids of the sessions that expired (every open one when ``session_id`` is None).
        """
        with self.store.lock:
            if session_id is not None:
                sessions = [self._session(session_id)]
            else:
                sessions = [s for s in self.store.sessions.values() if s.state != "closed"]
            now = time.time()
            expired = []
            for session in sessions:
                if session.state == "closed":
                    continue
                session.expires_at = now
                self._refresh_session(session, now)
                expired.append(session.id)
        self.runner.wake()
        return expired

    def set_usage_consumed(self, seconds: float) -> None:
        """Make this period's consumed usage ``seconds`` (jobs run from now on add to it)."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        with self.store.lock:
            month = usage_month(time.time())
            from_jobs = self.store.quantum_seconds_per_month[month]
            self.store.save_setting(
                "usage_offset", {"month": month, "seconds": seconds - from_jobs}
            )

    def reach_usage_limit(self) -> None:
        """Consume the whole usage limit: job creation answers 409 until it is raised."""
        with self.store.lock:
            self.set_usage_consumed(float(self._usage_limit()))

    @property
    def faults(self) -> Faults:
        return self.config.faults

    def set_faults(self, faults: Faults | None) -> None:
        self.update_config(faults=faults or Faults())

    def set_job_delays(self, delays: JobDelays) -> None:
        self.update_config(job_delays=delays)

    def update_config(self, **changes: Any) -> None:
        """Change knobs that take effect on the next request (faults, delays, limits)."""
        self.config = replace(self.config, **changes)
