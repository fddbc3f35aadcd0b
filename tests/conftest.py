"""Suite-wide guards: no ambient credentials, no real home directory, no advice remembered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import flavours
import pytest


@pytest.fixture(autouse=True)
def _isolated_from_the_developer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A developer's real API key, instance or saved account must never reach a test: with them
    # set, the facade (and `qrt demo`) would talk to IBM instead of mocks and the emulator.
    for name in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_URL", "IAM_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Tests that use `flavour` (directly or through a client fixture) run once per flavour.
    if "flavour" in metafunc.fixturenames:
        sync_only = metafunc.definition.get_closest_marker("sync_only") is not None
        metafunc.parametrize("flavour", ["sync"] if sync_only else ["sync", "async"], indirect=True)


@pytest.fixture
def flavour(request: pytest.FixtureRequest) -> Iterator[str]:
    """``"sync"`` or ``"async"``: which client the helpers build (see ``tests/flavours.py``)."""
    flavours.CURRENT = request.param
    try:
        yield request.param
    finally:
        flavours.CURRENT = "sync"
        flavours.close_runner()


@pytest.fixture(autouse=True)
def _fresh_version_advice() -> None:
    # rt.versions() gives each piece of API-version advice once per process; every test starts
    # from a process that has given none, whatever ran before it.
    from qiskit_runtime_rest import _models

    _models._ADVISED.clear()
