from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from qiskit_runtime_rest.testing import vcr_config as _vcr_config

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return _vcr_config()


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(ROOT / "cassettes" / "core")
