from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from qiskit_runtime_rest.testing import LOOPBACK_HOSTS
from qiskit_runtime_rest.testing import vcr_config as _vcr_config

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test here runs with sockets blocked except loopback: a stray real request fails loudly.
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.block_network(allowed_hosts=list(LOOPBACK_HOSTS)))


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return _vcr_config()


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(ROOT / "cassettes" / "core")


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A developer's real environment and account file must never leak into a test.
    for name in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_URL", "IAM_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
