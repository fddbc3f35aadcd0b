"""Every Python example marked ``<!-- emulator-example -->`` in the emulator notes runs.

(The README's examples are run by tests/test_readme.py.)
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parents[2]
MARKER = "<!-- emulator-example -->"
BLOCK = re.compile(re.escape(MARKER) + r"\s*```python\n(.*?)```", re.DOTALL)


def _examples() -> list[tuple[str, str]]:
    found = []
    document = ROOT / "docs" / "emulator-notes.md"
    for index, code in enumerate(BLOCK.findall(document.read_text())):
        found.append((f"{document.name}#{index}", code))
    return found


def test_the_notes_carry_at_least_one_example() -> None:
    assert any(name.startswith("emulator-notes.md") for name, _ in _examples())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(("name", "code"), _examples(), ids=[name for name, _ in _examples()])
def test_example_runs(name: str, code: str, capsys: pytest.CaptureFixture[str]) -> None:
    # The examples set environment variables for qiskit-ibm-runtime; keep them out of other tests.
    with mock.patch.dict(os.environ):
        exec(compile(code, name, "exec"), {"__name__": "__example__"})
    assert capsys.readouterr().out.strip()
