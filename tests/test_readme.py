"""Every Python example in the README runs, and prints what the README says it prints.

An example is a ```python block preceded by `<!-- cassette: PATH -->` (replayed from
cassettes/PATH, network blocked, fake credentials in the environment) or `<!-- emulator -->`
(run as is: it starts the embedded emulator itself). A ```text block after "Output:" is compared
with what the example printed.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import time
from pathlib import Path
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FAKE_CRN = (
    "crn:v1:bluemix:public:quantum-computing:us-east:a/b947c1c5a9378d64aed96696e4d76e8e:"
    "a3a7f181-35aa-42c8-94d6-7c8ed6e1a94b::"
)
_EXAMPLE = re.compile(
    r"<!-- (?P<kind>cassette|emulator)(?:: (?P<cassette>\S+))? -->\n```python\n(?P<code>.*?)```\n"
    r"(?:Output[^\n]*:\n```text\n(?P<output>.*?)```)?",
    re.S,
)
EXAMPLES = [
    pytest.param(m["kind"], m["cassette"], m["code"], m["output"], id=f"{m['kind']}-{n}")
    for n, m in enumerate(_EXAMPLE.finditer(README), start=1)
]


def test_every_python_example_is_run() -> None:
    assert README.count("```python") == len(EXAMPLES) >= 4


@pytest.mark.filterwarnings("ignore:The SamplerV2 class is deprecated:DeprecationWarning")
@pytest.mark.parametrize(("kind", "cassette", "code", "output"), EXAMPLES)
def test_readme_example(
    kind: str, cassette: str | None, code: str, output: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    printed = io.StringIO()
    run = compile(code, "README.md", "exec")
    if kind == "emulator":
        pytest.importorskip("qiskit_runtime_emulator._app", reason="needs the [local] extra")
        # Examples may set variables for qiskit-ibm-runtime: keep them out of later tests.
        with mock.patch.dict(os.environ), contextlib.redirect_stdout(printed):
            exec(run, {"__name__": "__readme__"})
    else:
        import vcr
        from qiskit_runtime_rest.testing import vcr_config

        monkeypatch.setenv("QISKIT_IBM_TOKEN", "readme-api-key")
        monkeypatch.setenv("QISKIT_IBM_INSTANCE", FAKE_CRN)
        monkeypatch.setattr(time, "sleep", lambda seconds: None)  # replayed jobs need no waiting
        config = vcr_config()
        config.pop("allowed_hosts", None)
        player = vcr.VCR(cassette_library_dir=str(ROOT / "cassettes"), **config)
        with player.use_cassette(cassette) as tape, contextlib.redirect_stdout(printed):
            exec(run, {"__name__": "__readme__"})
        assert tape.all_played, "the example skipped part of the recorded exchange"
    if output is not None:
        assert printed.getvalue() == output
