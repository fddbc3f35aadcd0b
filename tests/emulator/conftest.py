"""Fixtures for the emulator's tests: one emulator per module, and an authenticated client.

Network blocking (loopback only) and credential scrubbing come from the root conftest and
pytest's addopts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_helpers import Api
from qiskit_runtime_emulator import Emulator, JobDelays

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.emulator)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delays=JobDelays(queued=0.05, running=0.05), seed=1234) as emu:
        yield emu


@pytest.fixture(scope="module")
def api(emulator: Emulator) -> Iterator[Api]:
    with Api(emulator) as client:
        yield client
