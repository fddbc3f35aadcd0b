"""An emulator in a process of its own, on 127.0.0.1: the client's CPU time is then the client's
alone, and the server does not compete with the client for the interpreter lock."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_SERVER = """
import json, sys
from qiskit_runtime_emulator import Emulator, Faults, JobDelays
options = json.loads(sys.argv[1])
delays = JobDelays(queued=options["queued"], running=options["running"])
with Emulator(port=0, job_delays=delays, faults=Faults(latency=options["latency"]), seed=1) as emu:
    print(json.dumps({
        "base_url": emu.base_url, "iam_url": emu.iam_url, "experimental_url": emu.experimental_url,
        "api_key": emu.api_key, "crn": emu.crn,
    }), flush=True)
    sys.stdin.read()  # serve until the benchmark closes our stdin
"""


@dataclass(frozen=True)
class EmulatorInfo:
    base_url: str
    iam_url: str
    experimental_url: str
    api_key: str
    crn: str


@contextmanager
def emulator_process(
    *, queued: float = 3600.0, running: float = 0.0, latency: float = 0.0
) -> Iterator[EmulatorInfo]:
    """An emulator whose jobs stay Queued for ``queued`` seconds (by default, for the whole run:
    no job executes, so the server spends nothing on qiskit), answering every API request after
    ``latency`` seconds. It is stopped when the block exits, however it exits."""
    options = json.dumps({"queued": queued, "running": running, "latency": latency})
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVER, options],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the emulator process did not start")
        yield EmulatorInfo(**json.loads(line))
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
