"""The main job: `qrt demo` against the embedded emulator, and `RuntimeClient.local()`."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys

import pytest

pytest.importorskip("qiskit_runtime_emulator._app", reason="needs the [local] extra")

from qiskit_runtime_rest import QiskitRuntimeError, RuntimeClient
from qiskit_runtime_rest._cli import main, run_demo


def test_demo_runs_the_notebook_flow_offline() -> None:
    out = io.StringIO()
    assert run_demo(local=True, backend=None, shots=500, out=out) == 0
    text = out.getvalue()
    assert "Target: embedded emulator at http://127.0.0.1:" in text
    assert re.search(r"\[1/6\] IAM token obtained \(valid for \d+ s\)", text)
    session_id = re.search(r"\[3/6\] session (\S+) opened on (\S+)", text)
    assert session_id
    # X on qubit 0, both measured: every one of the 500 shots reads '01' (c[0] = 1).
    assert "[5/6] sampler counts (500 shots): {'01': 500}" in text
    evs = float(re.search(r"Expectation value: (-?\d+\.\d+)", text).group(1))  # type: ignore[union-attr]
    assert evs == pytest.approx(1 - 2.3, abs=0.1)  # <II> + 2.3 <ZZ> on |01>, within shot noise
    assert f"[6/6] session {session_id.group(1)} closed" in text
    assert "sampler job" in text and "Completed" in text


def test_demo_uses_the_requested_backend() -> None:
    out = io.StringIO()
    assert run_demo(local=True, backend="ibm_fez", shots=100, out=out) == 0
    assert "using ibm_fez" in out.getvalue()
    assert "sampler counts (100 shots): {'01': 100}" in out.getvalue()


def test_demo_reports_errors_as_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--local", "--backend", "ibm_nowhere"]) == 1
    err = capsys.readouterr().err
    assert err.strip().startswith("error: ")
    assert "ibm_nowhere" in err


def test_the_console_script_runs_the_demo() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from qiskit_runtime_rest._cli import main; raise SystemExit(main())",
            "demo",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Expectation value:" in proc.stdout


def test_local_client_stops_its_emulator_on_close() -> None:
    with RuntimeClient.local() as rt:
        assert rt.authenticate() is not None
        names = [backend.name for backend in rt.backends.list()]
        port = int(rt.base_url.rsplit(":", 1)[1].split("/")[0])
    assert names
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_local_without_the_extra_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "qiskit_runtime_emulator", None)
    with pytest.raises(QiskitRuntimeError, match=r"pip install 'qiskit-runtime-rest\[local\]'"):
        RuntimeClient.local()


def test_qrt_emulator_serves_any_client() -> None:
    import signal

    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from qiskit_runtime_rest._cli import main; raise SystemExit(main())",
            "emulator",
            "--port",
            "0",
            "--api-key",
            "qrt-key",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        printed: dict[str, str] = {}
        for line in process.stdout:
            key, _, value = line.partition(":")
            printed[key.strip()] = value.strip()
            if key.strip() == "CRN":
                break
        assert printed["API key"] == "qrt-key"
        with RuntimeClient(
            api_key="qrt-key",
            crn=printed["CRN"],
            base_url=printed["base URL"],
            iam_url=printed["IAM URL"],
        ) as rt:
            assert "ibm_fez" in {b.name for b in rt.backends.list()}
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
