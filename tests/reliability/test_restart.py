"""The emulator SIGKILLed and restarted on its state file while clients wait.

The emulator runs in a subprocess (``python -m qiskit_runtime_emulator --port P --state FILE``)
with jobs that stay Queued for 2 s. Three jobs are submitted; then ``job.wait()``,
``job.result()`` and ``rt.jobs.wait_all(timeout=None)`` start waiting, the process is killed with
SIGKILL, and a new one is started on the same port and file. The waiters must finish with each
job's own result: connection refusals while it is down are retried (the transport's back-off,
then the waiter's), and the new process's tokens are fetched after its first 401 (tokens do not
survive a restart). Real sleeps here: the outage has to be waited through, not skipped. Sync and
async, about 15 s each.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from qiskit_runtime_emulator import DEFAULT_API_KEY, DEFAULT_CRN
from qiskit_runtime_rest import AsyncRuntimeClient, RuntimeClient
from reliability_helpers import circuit, expected_counts

ROOT = Path(__file__).resolve().parents[2]
QUEUED, RUNNING = 2.0, 0.3
DOWN_FOR = 0.5  # between the kill and the new start
STARTUP_TIMEOUT = 60.0
SHOTS = (30, 40, 50)
VALUES = (3, 5, 9)


class Server:
    """One emulator process at a time on a fixed port and state file."""

    def __init__(self, port: int, state: Path) -> None:
        self.port = port
        self.state = state
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def iam_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT / "facade"), str(ROOT / "emulator"), str(ROOT / "generated")]
            + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
        )
        command = [sys.executable, "-m", "qiskit_runtime_emulator", "--port", str(self.port)]
        command += ["--state", str(self.state), "--seed", "11"]
        command += ["--queued-delay", str(QUEUED), "--running-delay", str(RUNNING)]
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.starts += 1
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the emulator exited at start"
            try:
                if httpx.get(f"{self.base_url}/v1/versions", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError("the emulator did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.kill()
        time.sleep(DOWN_FOR)
        self.start()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(_free_port(), tmp_path / "state.sqlite")
    running.start()
    try:
        yield running
    finally:
        running.kill()


def _client_kwargs(server: Server) -> dict[str, Any]:
    return {
        "api_key": DEFAULT_API_KEY,
        "crn": DEFAULT_CRN,
        "base_url": server.base_url,
        "iam_url": server.iam_url,
    }


def _counts(result: Any) -> dict[str, int]:
    counts: dict[str, int] = result[0].data.c.get_counts()
    return counts


def test_sync_waiters_survive_a_sigkill_and_restart(server: Server) -> None:
    outcomes: dict[str, Any] = {}
    with RuntimeClient(**_client_kwargs(server)) as rt:
        jobs = [
            rt.jobs.run_sampler("ibm_fez", [(circuit(value), None, shots)])
            for value, shots in zip(VALUES, SHOTS, strict=True)
        ]

        def run(name: str, call: Any) -> None:
            try:
                outcomes[name] = call()
            except BaseException as exc:  # reported below, whatever it is
                outcomes[name] = exc

        waiters = [
            threading.Thread(target=run, args=("wait", jobs[0].wait)),
            threading.Thread(target=run, args=("result", jobs[1].result)),
            threading.Thread(
                target=run, args=("wait_all", lambda: rt.jobs.wait_all(jobs, timeout=None))
            ),
        ]
        for waiter in waiters:
            waiter.start()
        time.sleep(0.5)
        server.restart()
        for waiter in waiters:
            waiter.join(90)
        assert not any(waiter.is_alive() for waiter in waiters)
        assert outcomes["wait"] is jobs[0]
        assert _counts(outcomes["result"]) == expected_counts(VALUES[1], SHOTS[1])
        assert outcomes["wait_all"] == jobs
        for job, value, shots in zip(jobs, VALUES, SHOTS, strict=True):
            assert _counts(job.result()) == expected_counts(value, shots)
    assert server.starts == 2


def test_async_waiters_survive_a_sigkill_and_restart(server: Server) -> None:
    async def main() -> None:
        async with AsyncRuntimeClient(**_client_kwargs(server)) as rt:
            jobs = [
                await rt.jobs.run_sampler("ibm_fez", [(circuit(value), None, shots)])
                for value, shots in zip(VALUES, SHOTS, strict=True)
            ]
            waiting = asyncio.gather(
                jobs[0].wait(), jobs[1].result(), rt.jobs.wait_all(jobs, timeout=None)
            )
            await asyncio.sleep(0.5)
            await asyncio.to_thread(server.restart)
            waited, result, everything = await asyncio.wait_for(waiting, 90)
            assert waited is jobs[0]
            assert _counts(result) == expected_counts(VALUES[1], SHOTS[1])
            assert everything == jobs
            for job, value, shots in zip(jobs, VALUES, SHOTS, strict=True):
                assert _counts(await job.result()) == expected_counts(value, shots)

    asyncio.run(main())
    assert server.starts == 2
