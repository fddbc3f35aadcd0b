"""Mixed calls under injected 5xx, 429, dropped connections and lost responses.

The emulator draws, per request: 10 % 503, 10 % 429 (``Retry-After: 1``), 5 % dropped
connections, and 5 % lost responses (a POST, PUT, PATCH or DELETE takes effect, then answers 503
anyway). The clients run with ``max_retries=6``: a GET then fails only after 7 faults in a row
(about 0.23 ** 7, 3e-5 per call), so "every idempotent call succeeds" is a property of the
client, not luck. Retry back-offs are real but capped at 50 ms (``capped_sleep``).

Sync: 4 threads x 12 tasks; async: 40 concurrent tasks. A task submits a sampler job whose every
shot measures a known value (a fifth of them inside a session or batch, closed on leaving the
``with``), lists backends, reads a device's status and the instance, and reads the job's result:
about 170 calls in each flavour, counted and asserted.

The emulator's state is the ground truth: no idempotency tag on two jobs, every result exactly
the circuit's value and shots, no job the client was never told about unless its submission
raised, and no session still accepting jobs at the end.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from qiskit_runtime_emulator import Emulator, Faults, JobDelays
from qiskit_runtime_rest import QiskitRuntimeError
from reliability_helpers import (
    async_client,
    circuit,
    expected_counts,
    jobs_per_idempotency_tag,
    open_sessions,
    server_jobs,
    sync_client,
)

FAULTS = Faults(
    error_rate=0.10,
    rate_limit_rate=0.10,
    retry_after=1,
    drop_rate=0.05,
    lost_response_rate=0.05,
    seed=2024,
)
MAX_RETRIES = 6
THREADS, TASKS_PER_THREAD = 4, 12
ASYNC_TASKS = 40
SUBMIT_ATTEMPTS = 4  # what an application does when a submission raises: try again, a few times
BACKEND = "ibm_fez"


@dataclass
class Ledger:
    """What the client side saw; compared with the server's state at the end."""

    run_tag: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    calls: int = 0
    returned: dict[str, tuple[int, int]] = field(default_factory=dict)  # job id -> value, shots
    failed_submissions: int = 0
    idempotent_failures: list[str] = field(default_factory=list)
    wrong_results: list[str] = field(default_factory=list)

    def count(self, n: int = 1) -> None:
        with self.lock:
            self.calls += n


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(job_delays=JobDelays(queued=0.02, running=0.02), seed=7) as server:
        yield server


def _check(ledger: Ledger, job_id: str, counts: dict[str, int], value: int, shots: int) -> None:
    if counts != expected_counts(value, shots):
        ledger.wrong_results.append(f"{job_id}: {counts} for value {value}, {shots} shots")


def _assert_ground_truth(emu: Emulator, ledger: Ledger, tasks: int) -> None:
    emu.set_faults(None)
    jobs = [job for job in server_jobs(emu) if ledger.run_tag in job.tags]
    per_tag = jobs_per_idempotency_tag(jobs)
    assert per_tag and max(per_tag.values()) == 1, "an idempotency tag is on two jobs"
    assert ledger.wrong_results == []
    assert len(ledger.returned) == tasks, "a task never got its job"
    assert set(ledger.returned) <= {job.id for job in jobs}
    # A job the client was never told about exists only where a submission raised.
    assert len(jobs) - len(ledger.returned) <= ledger.failed_submissions
    assert ledger.calls >= 150
    # These two wait on the facade: a session's close retried, a lost creation found again.
    assert ledger.idempotent_failures == []
    assert open_sessions(emu) == []


def _sync_task(rt: Any, ledger: Ledger, index: int) -> None:
    value, shots = index % 16, 20 + index
    pub = (circuit(value), None, shots)
    tags = [ledger.run_tag]
    job = None
    for _ in range(SUBMIT_ATTEMPTS):
        try:
            ledger.count()
            if index % 5 == 0:
                opener = rt.session if index % 10 == 0 else rt.batch
                with opener(BACKEND) as session:
                    job = session.run_sampler([pub], tags=tags)
                    ledger.count(2)  # the submission, and the close on leaving
            else:
                job = rt.jobs.run_sampler(BACKEND, [pub], tags=tags)
            break
        except QiskitRuntimeError as exc:
            if job is not None:  # submitted; the session's close on leaving failed
                ledger.idempotent_failures.append(f"session close: {exc!r}")
                break
            with ledger.lock:
                ledger.failed_submissions += 1
    if job is None:
        return
    try:
        names = [backend.name for backend in rt.backends.list()]
        assert BACKEND in names
        rt.backends.status(BACKEND)
        rt.instance.get()
        counts = job.result(timeout=120)[0].data.c.get_counts()
        ledger.count(4)
    except QiskitRuntimeError as exc:
        ledger.idempotent_failures.append(repr(exc))
        return
    with ledger.lock:
        ledger.returned[job.id] = (value, shots)
    _check(ledger, job.id, counts, value, shots)


def test_sync_threads_under_faults(emu: Emulator) -> None:
    ledger = Ledger(run_tag=f"rel-{uuid.uuid4().hex[:8]}")
    emu.set_faults(FAULTS)
    with sync_client(emu, max_retries=MAX_RETRIES) as rt:
        rt.backends.list()  # one token before the threads start
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(lambda i: _sync_task(rt, ledger, i), range(THREADS * TASKS_PER_THREAD)))
    _assert_ground_truth(emu, ledger, THREADS * TASKS_PER_THREAD)


async def _async_task(rt: Any, ledger: Ledger, index: int) -> None:
    value, shots = index % 16, 20 + index
    pub = (circuit(value), None, shots)
    tags = [ledger.run_tag]
    job = None
    for _ in range(SUBMIT_ATTEMPTS):
        try:
            ledger.count()
            if index % 5 == 0:
                opener = rt.session if index % 10 == 0 else rt.batch
                async with opener(BACKEND) as session:
                    job = await session.run_sampler([pub], tags=tags)
                    ledger.count(2)  # the submission, and the close on leaving
            else:
                job = await rt.jobs.run_sampler(BACKEND, [pub], tags=tags)
            break
        except QiskitRuntimeError as exc:
            if job is not None:
                ledger.idempotent_failures.append(f"session close: {exc!r}")
                break
            ledger.failed_submissions += 1
    if job is None:
        return
    try:
        names = [backend.name for backend in await rt.backends.list()]
        assert BACKEND in names
        await rt.backends.status(BACKEND)
        await rt.instance.get()
        counts = (await job.result(timeout=120))[0].data.c.get_counts()
        ledger.count(4)
    except QiskitRuntimeError as exc:
        ledger.idempotent_failures.append(repr(exc))
        return
    ledger.returned[job.id] = (value, shots)
    _check(ledger, job.id, counts, value, shots)


def test_async_tasks_under_faults(emu: Emulator) -> None:
    ledger = Ledger(run_tag=f"rel-{uuid.uuid4().hex[:8]}")

    async def main() -> None:
        async with async_client(emu, max_retries=MAX_RETRIES) as rt:
            await rt.backends.list()
            emu.set_faults(FAULTS)
            await asyncio.gather(*(_async_task(rt, ledger, i) for i in range(ASYNC_TASKS)))

    asyncio.run(main())
    _assert_ground_truth(emu, ledger, ASYNC_TASKS)
