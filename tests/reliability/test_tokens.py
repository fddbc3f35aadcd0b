"""Short-lived and revoked tokens under concurrency: 0 failed calls, one IAM request per refresh.

The emulator issues tokens that live ``TTL`` (3) seconds, so the client refreshes every 2.4 s
(80 % of the lifetime); twice during the run every token issued so far is revoked, as an early
IAM revocation would, so the next calls get 401 and the client must refresh once for all of
them. Sync: 20 threads x 20 calls (400 calls); async: 200 tasks x 3 calls (600 calls), both
spread over about 6 s.

The journal counts IAM requests. The bound: one per refresh period of the run, plus the first,
plus one per revocation; and no two IAM requests close together (a herd of threads or tasks
each fetching its own token would put several within milliseconds of each other).
"""

from __future__ import annotations

import asyncio
import itertools
import math
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from qiskit_runtime_emulator import Emulator
from qiskit_runtime_rest import QiskitRuntimeError
from reliability_helpers import async_client, sync_client

TTL = 3
REFRESH_PERIOD = 0.8 * TTL
REVOCATIONS = (1.5, 4.0)  # seconds into the run
THREADS, CALLS_PER_THREAD, THREAD_PAUSE = 20, 20, 0.3
TASKS, CALLS_PER_TASK, TASK_PAUSE = 200, 3, 2.0
IAM = ("POST", "/identity/token")
# Two refreshes for different reasons (a revocation right after a scheduled refresh) are at
# least a round trip apart; a stampede is not.
MIN_GAP = 0.05


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(token_ttl=TTL, seed=3) as server:
        yield server


def _revoke_on_schedule(emu: Emulator, started: float, stop: threading.Event) -> None:
    for at in REVOCATIONS:
        if stop.wait(max(0.0, started + at - time.monotonic())):
            return
        emu.revoke_tokens()


def _assert_one_iam_request_per_refresh(emu: Emulator, mark: int, elapsed: float) -> None:
    iam = emu.journal.entries(*IAM, since=mark)
    assert all(entry.status == 200 for entry in iam)
    bound = 1 + math.ceil(elapsed / REFRESH_PERIOD) + len(REVOCATIONS)
    assert 2 <= len(iam) <= bound, f"{len(iam)} IAM requests in {elapsed:.1f} s (bound {bound})"
    gaps = [b.time - a.time for a, b in itertools.pairwise(iam)]
    assert min(gaps) >= MIN_GAP, f"IAM requests {min(gaps) * 1000:.0f} ms apart: {gaps}"
    rejected = emu.journal.entries("GET", "/v1/backends/{id}/status", since=mark)
    assert any(entry.status == 401 for entry in rejected), "no call ever met a revoked token"


def test_twenty_threads_with_short_lived_and_revoked_tokens(emu: Emulator) -> None:
    failures: list[str] = []
    done = 0
    lock = threading.Lock()
    stop = threading.Event()

    with sync_client(emu) as rt:
        mark = emu.journal.last_seq

        def worker(index: int) -> None:
            nonlocal done
            time.sleep(index * THREAD_PAUSE / THREADS)  # spread the threads over one pause
            for _ in range(CALLS_PER_THREAD):
                try:
                    assert rt.backends.status("ibm_fez").name == "ibm_fez"
                except QiskitRuntimeError as exc:
                    failures.append(repr(exc))
                with lock:
                    done += 1
                time.sleep(THREAD_PAUSE)

        started = time.monotonic()
        revoker = threading.Thread(target=_revoke_on_schedule, args=(emu, started, stop))
        revoker.start()
        try:
            with ThreadPoolExecutor(THREADS) as pool:
                list(pool.map(worker, range(THREADS)))
        finally:
            stop.set()
            revoker.join()
        elapsed = time.monotonic() - started

    assert failures == []
    assert done == THREADS * CALLS_PER_THREAD
    _assert_one_iam_request_per_refresh(emu, mark, elapsed)


def test_two_hundred_tasks_with_short_lived_and_revoked_tokens(emu: Emulator) -> None:
    failures: list[str] = []
    done = 0
    stop = threading.Event()

    async def main() -> float:
        nonlocal done
        async with async_client(emu) as rt:

            async def task(index: int) -> None:
                nonlocal done
                await asyncio.sleep(index * TASK_PAUSE / TASKS)
                for _ in range(CALLS_PER_TASK):
                    try:
                        assert (await rt.backends.status("ibm_fez")).name == "ibm_fez"
                    except QiskitRuntimeError as exc:
                        failures.append(repr(exc))
                    done += 1
                    await asyncio.sleep(TASK_PAUSE)

            started = time.monotonic()
            revoker = threading.Thread(target=_revoke_on_schedule, args=(emu, started, stop))
            revoker.start()
            try:
                await asyncio.gather(*(task(i) for i in range(TASKS)))
            finally:
                stop.set()
                revoker.join()
            return time.monotonic() - started

    mark = emu.journal.last_seq
    elapsed = asyncio.run(main())
    assert failures == []
    assert done == TASKS * CALLS_PER_TASK
    _assert_one_iam_request_per_refresh(emu, mark, elapsed)
