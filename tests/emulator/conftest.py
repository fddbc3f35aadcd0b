"""Fixtures for the emulator's tests: one emulator per module, and an authenticated client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from emulator_helpers import LOOPBACK_HOSTS, Api
from qiskit_runtime_emulator import Emulator, JobDelays

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything here talks to 127.0.0.1 only; any other connection fails the test.
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.emulator)
            item.add_marker(pytest.mark.block_network(allowed_hosts=list(LOOPBACK_HOSTS)))


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_URL", "IAM_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delays=JobDelays(queued=0.05, running=0.05), seed=1234) as emu:
        yield emu


@pytest.fixture(scope="module")
def api(emulator: Emulator) -> Iterator[Api]:
    with Api(emulator) as client:
        yield client
