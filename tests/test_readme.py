"""Every Python example in the README runs, and prints what the README says it prints.

An example is a ```python block preceded by `<!-- cassette: PATH -->` (replayed from
cassettes/PATH, network blocked, fake credentials in the environment), `<!-- emulator -->`
(run as is: it starts the embedded emulator itself) or `<!-- pytest -->` (a user's test file, run
by pytest in a fresh process with the package's pytest plugin). A ```text block after "Output"
is compared with what the example printed (for a pytest file: pytest's count of passed tests).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
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
    r"<!-- (?P<kind>cassette|emulator|pytest)(?:: (?P<cassette>\S+))? -->\n"
    r"```python\n(?P<code>.*?)```\n"
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
    kind: str,
    cassette: str | None,
    code: str,
    output: str | None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    if kind == "pytest":
        pytest.importorskip("qiskit_runtime_emulator._app", reason="needs the [local] extra")
        assert output is not None and _run_pytest_file(code, tmp_path) == output
        return
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


def _run_pytest_file(code: str, folder: Path) -> str:
    """Run a README test file as its reader would, with the installed plugin; its summary line."""
    (folder / "test_from_readme.py").write_text(code)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "qiskit_runtime_rest.pytest_plugin", "-q"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = proc.stdout.strip().splitlines()[-1]  # e.g. "2 passed in 3.21s"
    return summary.split(" in ")[0] + "\n"
