"""The reliability suite: the client and the emulator under faults, bad input and secrets.

Every test here talks to an emulator on 127.0.0.1 (or to nothing at all), is bounded in count
and in time, and asserts on the server's own record (its state and its request journal) rather
than on what the client says it did.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.emulator)
