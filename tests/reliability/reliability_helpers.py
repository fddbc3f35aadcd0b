"""What the reliability tests share: circuits with a known answer, and the server's own record."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from qiskit_runtime_emulator import Emulator
from qiskit_runtime_rest import AsyncRuntimeClient, RuntimeClient
from qiskit_runtime_rest._constants import IDEMPOTENCY_TAG_PREFIX

WIDTH = 4
# Retries and waits keep their logic but not their wall time: the emulator answers at once.
SLEEP_CAP = 0.05


def circuit(value: int) -> str:
    """A circuit whose every shot measures ``value`` (``WIDTH`` bits, noiseless)."""
    flips = "".join(f"x $[{bit}];" for bit in range(WIDTH) if value >> bit & 1)
    flips = flips.replace("$[", "$").replace("];", ";")
    measures = "".join(f"c[{bit}] = measure ${bit};" for bit in range(WIDTH))
    return f'OPENQASM 3.0; include "stdgates.inc"; bit[{WIDTH}] c; {flips} {measures}'


def expected_counts(value: int, shots: int) -> dict[str, int]:
    return {format(value, f"0{WIDTH}b"): shots}


def capped_sleep(seconds: float) -> None:
    time.sleep(min(seconds, SLEEP_CAP))


async def capped_async_sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(min(seconds, SLEEP_CAP))


def sync_client(emu: Emulator, **kwargs: Any) -> RuntimeClient:
    kwargs.setdefault("_sleep", capped_sleep)
    return RuntimeClient(
        api_key=emu.api_key, crn=emu.crn, base_url=emu.base_url, iam_url=emu.iam_url, **kwargs
    )


def async_client(emu: Emulator, **kwargs: Any) -> AsyncRuntimeClient:
    sleep: Callable[[float], Awaitable[None]] = kwargs.pop("_sleep", capped_async_sleep)
    return AsyncRuntimeClient(
        api_key=emu.api_key,
        crn=emu.crn,
        base_url=emu.base_url,
        iam_url=emu.iam_url,
        _sleep=sleep,
        **kwargs,
    )


@dataclass(frozen=True)
class ServerJob:
    id: str
    status: str
    tags: tuple[str, ...]
    session_id: str | None


@dataclass(frozen=True)
class ServerSession:
    id: str
    state: str
    accepting_jobs: bool


def server_jobs(emu: Emulator) -> list[ServerJob]:
    """Every job the emulator holds: the ground truth, not what the client was told."""
    store = emu.service.store
    with store.lock:
        return [
            ServerJob(job.id, job.status, tuple(job.tags), job.session_id)
            for job in store.jobs.values()
        ]


def server_sessions(emu: Emulator) -> list[ServerSession]:
    store = emu.service.store
    with store.lock:
        return [ServerSession(s.id, s.state, s.accepting_jobs) for s in store.sessions.values()]


def jobs_per_idempotency_tag(jobs: list[ServerJob]) -> Counter[str]:
    return Counter(
        tag for job in jobs for tag in job.tags if tag.startswith(IDEMPOTENCY_TAG_PREFIX)
    )


def open_sessions(emu: Emulator) -> list[ServerSession]:
    """Sessions still accepting jobs (a closed one, or one closing gracefully, does not)."""
    return [s for s in server_sessions(emu) if s.state != "closed" and s.accepting_jobs]
