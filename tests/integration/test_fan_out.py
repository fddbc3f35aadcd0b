"""Fan-out: clients and jobs across processes (fork, spawn, pickles) and bulk submission under
rate limits, against the emulator on loopback. Every loop is bounded in count and time."""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

pytest.importorskip("qiskit_runtime_emulator._app", reason="needs the [local] extra")

from qiskit_runtime_emulator import Emulator, Faults, JobDelays
from qiskit_runtime_rest import (
    AsyncRuntimeClient,
    Job,
    QiskitRuntimeError,
    RuntimeClient,
    UnexpectedResponseError,
)

pytestmark = pytest.mark.emulator

BELL = 'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'
CALLS = 300
CHILD_DEADLINE = 120.0


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(job_delays=JobDelays(queued=0.0, running=0.0), seed=11) as emulator:
        yield emulator


def _client(emu: Emulator, cls: type[Any] = RuntimeClient) -> Any:
    return cls(api_key=emu.api_key, crn=emu.crn, base_url=emu.base_url, iam_url=emu.iam_url)


@pytest.fixture(scope="module")
def job_ids(emu: Emulator) -> list[str]:
    with _client(emu) as rt:
        jobs = [rt.jobs.run_sampler("ibm_fez", [BELL], shots=10) for _ in range(8)]
        rt.jobs.wait_all(jobs, timeout=60)
        return [job.id for job in jobs]


def _crossed_replies(rt: RuntimeClient, ids: list[str], calls: int) -> int:
    crossed = 0
    for n in range(calls):
        wanted = ids[n % len(ids)]
        try:
            job = rt.jobs.get(wanted)
        except UnexpectedResponseError:
            crossed += 1  # an answer about another job: exactly what must never be returned
            continue
        crossed += job.id != wanted or job.body.get("id") != wanted
    return crossed


def _wait_for_child(pid: int) -> int:
    deadline = time.monotonic() + CHILD_DEADLINE
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError(f"the forked child hung for {CHILD_DEADLINE} s")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_client_shared_across_fork_never_crosses_replies(
    emu: Emulator, job_ids: list[str]
) -> None:
    rt = _client(emu)
    assert _crossed_replies(rt, job_ids, 20) == 0  # connections open in the parent
    # A little latency keeps both processes' requests in flight on the shared socket at once.
    emu.set_faults(Faults(latency=0.003))
    inherited = rt._http
    pid = os.fork()
    if pid == 0:  # the child: busy with the inherited client while the parent is busy too
        code = 99
        try:
            code = min(_crossed_replies(rt, job_ids, CALLS), 96)
            code = 97 if rt._http is inherited else code  # it must have opened its own pool
        finally:
            os._exit(code)
    try:
        parent_crossed = _crossed_replies(rt, job_ids, CALLS)
        child_exit = _wait_for_child(pid)
    finally:
        emu.set_faults(None)
    assert (child_exit, parent_crossed) == (0, 0)
    rt.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_an_async_client_used_after_fork_opens_its_own_connections(
    emu: Emulator, job_ids: list[str]
) -> None:
    art = _client(emu, AsyncRuntimeClient)

    async def crossed(calls: int) -> int:
        wrong = 0
        for n in range(calls):
            wanted = job_ids[n % len(job_ids)]
            job = await art.jobs.get(wanted)
            wrong += job.id != wanted or job.body.get("id") != wanted
        return wrong

    async def parent() -> tuple[int, int]:
        assert await crossed(10) == 0  # the parent's pool now holds connections
        pid = os.fork()
        if pid == 0:  # the child: its own loop, in a thread (this one is inside the parent's)
            outcome: list[int] = []
            worker = threading.Thread(target=lambda: outcome.append(asyncio.run(crossed(100))))
            worker.start()
            worker.join()
            os._exit(min(outcome[0], 98) if outcome else 99)
        return pid, await crossed(100)

    pid, parent_crossed = asyncio.run(parent())
    assert (_wait_for_child(pid), parent_crossed) == (0, 0)


def test_a_local_client_and_its_jobs_work_in_spawned_workers(emu: Emulator) -> None:
    with RuntimeClient.local(job_delays=JobDelays(queued=0.0, running=0.0), seed=3) as rt:
        submit = functools.partial(rt.jobs.run_sampler, "ibm_fez", shots=50)
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=2, mp_context=spawn) as pool:
            jobs = list(pool.map(submit, [[BELL]] * 6))
            assert all(isinstance(job, Job) for job in jobs)
            rt.jobs.wait_all(jobs, timeout=60)
            results = list(pool.map(Job.result, jobs))
        counts = [result[0].data.c.get_counts() for result in results]
        assert counts == [{"01": 50}] * 6  # x on qubit 0: bit 0 set, every shot
        tags = Counter(t for job in rt.jobs.list(limit=50) for t in job.tags)
        assert len(tags) == 6 and set(tags.values()) == {1}  # six jobs, none submitted twice


def test_pickles_carry_no_credential_and_say_what_to_do_instead(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    explicit = _client(emu)
    with pytest.raises(QiskitRuntimeError, match=r"from_env\(\) or \.from_saved_account"):
        pickle.dumps(explicit)
    with pytest.raises(TypeError, match="bearer_token argument cannot be pickled"):
        pickle.dumps(RuntimeClient(bearer_token="t0k3n", crn=emu.crn, base_url=emu.base_url))

    monkeypatch.setenv("QISKIT_IBM_TOKEN", emu.api_key)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", emu.crn)
    monkeypatch.setenv("QISKIT_IBM_URL", emu.base_url)
    monkeypatch.setenv("IAM_URL", emu.iam_url)
    rt = RuntimeClient.from_env().with_options(timeout=7)
    rt.authenticate()
    data = pickle.dumps(rt)
    assert emu.api_key.encode() not in data and b"Bearer" not in data
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "the-worker-reads-its-own-key")
    clone = pickle.loads(data)
    assert clone._settings.credential.get_secret_value() == "the-worker-reads-its-own-key"
    assert clone._call_timeout is not None and clone._call_timeout.read == 7
    assert clone._http is not rt._http and clone.crn == rt.crn


def test_five_hundred_submissions_through_ten_percent_429s_all_succeed_once(
    emu: Emulator,
) -> None:
    emu.set_faults(Faults(rate_limit_rate=0.1, retry_after=0, seed=5))
    try:
        with _client(emu) as rt:
            jobs = [rt.jobs.run_sampler("ibm_fez", [BELL], shots=1) for _ in range(500)]
    finally:
        emu.set_faults(None)
    limited = [e for e in emu.journal.entries("POST", "/v1/jobs") if e.status == 429]
    assert len(limited) > 20  # the faults were there
    with _client(emu) as rt:
        tags = Counter(
            tag
            for job in rt.jobs.list(created_after=None, limit=2000)
            for tag in job.tags
            if tag.startswith("qrr-idem-")
        )
    ours = [job.idempotency_tag for job in jobs]
    assert all(tags[tag] == 1 for tag in ours)  # each one exists, exactly once
