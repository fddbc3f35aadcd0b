from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import regenerate  # noqa: E402


@pytest.fixture(scope="session")
def fresh_build() -> regenerate.Build:
    """One regeneration from the pinned spec, shared by the tests that only read it."""
    return regenerate.build()


@pytest.fixture
def final_spec(fresh_build: regenerate.Build) -> dict[str, Any]:
    return copy.deepcopy(fresh_build.final)


@pytest.fixture
def generated_copy(tmp_path: Path) -> Path:
    """A private copy of the committed generated package, safe to edit."""
    import shutil

    target = tmp_path / "qiskit_runtime_api"
    shutil.copytree(regenerate.OUTPUT, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target
