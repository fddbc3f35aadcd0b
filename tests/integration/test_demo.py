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
    assert re.search(
        r"\[1/6\] IAM token obtained \(valid for \d+ s\); IBM-API-Version 2026-04-15", text
    )
    # The notebook's own circuit, transpiled by the (emulated) transpiler service, as it did.
    assert re.search(
        r"transpiled by the transpiler service at http://127\.0\.0\.1:\d+/transpiler", text
    )
    session_id = re.search(r"\[3/6\] session (\S+) opened on (\S+)", text)
    assert session_id
    # X on qubit 0, both measured: every one of the 500 shots reads '01' (c[0] = 1).
    assert "[5/6] sampler counts (500 shots): {'01': 500}" in text
    evs = float(re.search(r"Expectation value: (-?\d+\.\d+)", text).group(1))  # type: ignore[union-attr]
    assert evs == pytest.approx(1 - 2.3, abs=0.1)  # <II> + 2.3 <ZZ> on |01>, within shot noise
    assert f"[6/6] session {session_id.group(1)} closed" in text
    assert "sampler job" in text and "Completed" in text


def test_demo_transpiles_locally_when_the_service_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    from qiskit_runtime_rest import PermissionDeniedError
    from qiskit_runtime_rest._sync._transpile import TranspilerService

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionDeniedError("paid plans only", status_code=403)

    monkeypatch.setattr(TranspilerService, "transpile", refuse)
    out = io.StringIO()
    assert run_demo(local=True, backend="ibm_fez", shots=50, out=out) == 0
    text = out.getvalue()
    assert "transpiled locally with qiskit (the transpiler service: PermissionDeniedError" in text
    assert "sampler counts (50 shots): {'01': 50}" in text


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


# --- the pieces of `qrt` that the offline demo does not reach ---------------------------------


def test_least_busy_picks_the_shortest_queue_of_online_devices() -> None:
    from qiskit_runtime_rest import Backend
    from qiskit_runtime_rest._cli import _least_busy

    devices = [
        Backend(name="ibm_busy", status="online", queue_length=40),
        Backend(name="ibm_paused", status="paused", queue_length=0),
        Backend(name="simulator", status="online", is_simulator=True, queue_length=0),
        Backend(name="ibm_unknown", queue_length=None),
        Backend(name="ibm_b", status="online", queue_length=3),
        Backend(name="ibm_a", status="online", queue_length=3),
    ]
    assert _least_busy(devices).name == "ibm_a"  # ties broken by name
    assert _least_busy(devices[2:4]).name == "ibm_unknown"  # an unknown queue still qualifies
    with pytest.raises(QiskitRuntimeError, match="no online backend"):
        _least_busy(devices[1:3])


def test_demo_target_prefers_env_then_saved_account_then_emulator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from qiskit_runtime_rest import _cli

    made: list[str] = []

    def factory(kind: str, fails: bool = False) -> object:
        def build(*_args: object, **_kwargs: object) -> object:
            made.append(kind)
            if fails:
                raise QiskitRuntimeError(f"no {kind}")
            return type("Fake", (), {"base_url": f"http://{kind}"})()

        return build

    monkeypatch.setattr(RuntimeClient, "from_env", factory("env"))
    monkeypatch.setattr(RuntimeClient, "from_saved_account", factory("saved"))
    monkeypatch.setattr(RuntimeClient, "local", factory("local"))
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "key")
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", "crn")
    out = io.StringIO()
    _cli._connect(False, out)
    assert made == ["env"] and "credentials from $QISKIT_IBM_TOKEN" in out.getvalue()

    made.clear()
    _cli._connect(True, out)  # --local wins over credentials
    assert made == ["local"] and "(--local)" in out.getvalue()

    made.clear()
    monkeypatch.delenv("QISKIT_IBM_INSTANCE")
    _cli._connect(False, out)
    assert made == ["saved"] and "credentials from the saved account" in out.getvalue()

    made.clear()
    monkeypatch.setattr(RuntimeClient, "from_saved_account", factory("saved", fails=True))
    _cli._connect(False, out)
    assert made == ["saved", "local"]
    assert "no $QISKIT_IBM_TOKEN/$QISKIT_IBM_INSTANCE and no saved account" in out.getvalue()


def test_status_line_rewrites_itself_on_a_terminal() -> None:
    from qiskit_runtime_rest import JobStatus
    from qiskit_runtime_rest._cli import StatusLine

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    job = type("FakeJob", (), {"id": "job-1"})()
    for out, expected in (
        (Terminal(), "\r  sampler job job-1: Queued\r  sampler job job-1: Queued -> Running\n"),
        (io.StringIO(), "  sampler job job-1: Queued\n  sampler job job-1: Queued -> Running\n"),
    ):
        line = StatusLine(out, "sampler")
        line(job, JobStatus.QUEUED)  # type: ignore[arg-type]
        line(job, JobStatus.RUNNING)  # type: ignore[arg-type]
        line.done()
        assert out.getvalue() == expected


def test_qrt_rejects_unknown_arguments_and_a_missing_emulator(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--colour", "blue"]) == 2
    assert "unrecognized arguments: --colour blue" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "qiskit_runtime_emulator.__main__", None)
    assert main(["emulator", "--port", "0"]) == 2
    assert "pip install 'qiskit-runtime-rest[local]'" in capsys.readouterr().err


def test_local_names_a_missing_server_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # uvicorn is imported when the emulator starts, not when its package is imported.
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    with pytest.raises(QiskitRuntimeError, match=r"uvicorn is missing.*\[local\]"):
        RuntimeClient.local()
