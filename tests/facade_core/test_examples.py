"""Run every documented example that names its cassette: ``<!-- cassette: core/x.yaml -->``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from core_helpers import VALID_CRN
from qiskit_runtime_rest.testing import vcr_config

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "docs" / "core-notes.md"]  # the README has its own runner: tests/test_readme.py
_EXAMPLE = re.compile(r"<!-- cassette: (?P<cassette>\S+) -->\s*```python\n(?P<code>.*?)```", re.S)

EXAMPLES = [
    pytest.param(m["cassette"], m["code"], id=f"{doc.name}:{m['cassette']}")
    for doc in DOCS
    if doc.exists()
    for m in _EXAMPLE.finditer(doc.read_text(encoding="utf-8"))
]


def test_the_quickstart_is_documented() -> None:
    assert "core/readme_quickstart.yaml" in [example.values[0] for example in EXAMPLES]


@pytest.mark.parametrize(("cassette", "code"), EXAMPLES)
def test_documented_example_runs(
    cassette: str, code: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import vcr

    monkeypatch.setenv("QISKIT_IBM_TOKEN", "example-api-key")
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", VALID_CRN)
    config = vcr_config()
    config.pop("allowed_hosts")
    player = vcr.VCR(cassette_library_dir=str(ROOT / "cassettes"), **config)
    with player.use_cassette(cassette) as tape:
        exec(compile(code, f"<example {cassette}>", "exec"), {"__name__": "__example__"})
    assert tape.all_played
    if cassette == "core/readme_quickstart.yaml":
        out = capsys.readouterr().out.splitlines()
        assert out == [
            "ibm_pittsburgh online 156 4",
            "ibm_torino paused 133 0",
            "['ibm_pittsburgh', 'ibm_torino']",
        ]
