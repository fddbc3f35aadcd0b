"""Suite-wide guards: no ambient credentials, no real home directory, no advice remembered."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_from_the_developer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A developer's real API key, instance or saved account must never reach a test: with them
    # set, the facade (and `qrt demo`) would talk to IBM instead of mocks and the emulator.
    for name in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_URL", "IAM_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture(autouse=True)
def _fresh_version_advice() -> None:
    # rt.versions() gives each piece of API-version advice once per process; every test starts
    # from a process that has given none, whatever ran before it.
    from qiskit_runtime_rest import _resources

    _resources._ADVISED.clear()
