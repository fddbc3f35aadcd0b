"""The job queue: one worker thread takes jobs in order through Queued, Running and a final state.

A single worker is what makes the queue realistic (jobs wait behind each other) and keeps
qiskit's simulators off the event loop. State changes go through callbacks, so the lifecycle
rules (sessions, cancellation) live in one place, the service.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Protocol

from ._config import JobDelays
from ._execution import ExecutionError, Outcome

__all__ = ["JobRunner", "Lifecycle"]

logger = logging.getLogger("qiskit_runtime_emulator")


class Lifecycle(Protocol):
    def is_queued(self, job_id: str) -> bool: ...

    def begin_job(self, job_id: str) -> Callable[[], Outcome] | None:
        """Mark the job Running and return its work, or None if it must not run."""

    def finish_job(
        self, job_id: str, outcome: Outcome | None, error: ExecutionError | None
    ) -> None: ...


class JobRunner:
    def __init__(self, lifecycle: Lifecycle, delays: Callable[[], JobDelays]) -> None:
        self._lifecycle = lifecycle
        self._delays = delays
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, job_id: str) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="qiskit-runtime-emulator-jobs", daemon=True
                )
                self._thread.start()
        self._queue.put(job_id)

    def wake(self) -> None:
        """A queued job was cancelled: stop waiting out its queue delay."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            job_id = self._queue.get()
            if job_id is None:
                break
            try:
                self._process(job_id)
            except Exception:  # a bug in one job must not kill the queue
                logger.exception("job %s crashed the emulator's runner", job_id)

    def _wait_while_queued(self, job_id: str, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            if self._stop.is_set() or not self._lifecycle.is_queued(job_id):
                return False
            self._wake.wait(remaining)
            self._wake.clear()
        return not self._stop.is_set()

    def _process(self, job_id: str) -> None:
        delays = self._delays()
        if not self._wait_while_queued(job_id, delays.queued):
            return
        work = self._lifecycle.begin_job(job_id)
        if work is None:
            return
        started = time.monotonic()
        outcome: Outcome | None = None
        error: ExecutionError | None = None
        try:
            outcome = work()
        except ExecutionError as exc:
            error = exc
        remaining = delays.running - (time.monotonic() - started)
        if remaining > 0:
            self._stop.wait(remaining)
        self._lifecycle.finish_job(job_id, outcome, error)
