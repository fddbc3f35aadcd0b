"""Every ``qrt`` command against the emulator: success, bad arguments, missing credentials and
API errors, with the documented exit codes (0 ok, 1 API error, 2 usage, 3 job failed or
cancelled, 4 timeout)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("qiskit_runtime_emulator._app", reason="needs the [local] extra")

from qiskit_runtime_emulator import Emulator, JobDelays
from qiskit_runtime_rest import RuntimeClient
from qiskit_runtime_rest._cli import main

BELL = """OPENQASM 3.0; include "stdgates.inc"; bit[2] meas;
h $0; cx $0, $1; meas[0] = measure $0; meas[1] = measure $1;"""
ONE = 'OPENQASM 3.0; include "stdgates.inc"; bit[1] c; x $0; c[0] = measure $0;'
ESTIMATOR_PUB = (ONE, {"Z": 1})

COMMANDS = [
    "login",
    "logout",
    "backends",
    "jobs",
    "sessions",
    "usage",
    "versions",
    "migrate",
    "emulator",
    "demo",
]


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    # Bell as written (h, cx): the ISA check is the transpilation tests' business, not these.
    with Emulator(job_delays=0.01, seed=5, strict_isa=False) as emulator:
        yield emulator


@pytest.fixture
def env(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """Credentials in the environment, as a user of the facade sets them."""
    emu.set_job_delays(JobDelays(queued=0.01, running=0.01))
    monkeypatch.setenv("QISKIT_IBM_TOKEN", emu.api_key)
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", emu.crn)
    monkeypatch.setenv("QISKIT_IBM_URL", emu.base_url)
    monkeypatch.setenv("IAM_URL", emu.iam_url)
    return emu


@pytest.fixture
def rt(env: Emulator) -> Iterator[RuntimeClient]:
    with RuntimeClient.from_env() as client:
        yield client


def qrt(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    return lines[0]


# --------------------------------------------------------------------------- help


def test_help_lists_every_command_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = qrt(capsys, "--help")
    assert code == 0
    for command in COMMANDS:
        assert f"\n    {command} " in out, command
    for line in ("0  ok", "1  API error", "2  usage error", "3  a job failed", "4  timeout"):
        assert line in out
    code, out, _ = qrt(capsys, "jobs", "--help")
    assert code == 0
    for action in ("list", "show", "wait", "result", "cancel", "logs", "delete"):
        assert action in out


def test_help_imports_no_client_generated_package_qiskit_or_numpy() -> None:
    code = (
        "import sys\n"
        "from qiskit_runtime_rest._cli import main\n"
        "assert main(['--help']) == 0\n"
        "heavy = ('qiskit_runtime_api', 'qiskit', 'numpy', 'qiskit_runtime_emulator')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert proc.stdout.strip().splitlines()[-1] == "[]"


# --------------------------------------------------------------------------- usage errors


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["nope"],
        ["jobs"],
        ["jobs", "list", "--limit", "many"],
        ["jobs", "wait"],
        ["jobs", "result", "x", "--json", "--histogram"],
        ["sessions", "show"],
        ["backends", "show"],
        ["migrate"],
        ["migrate", "GET", "/no/such/route"],
        ["login", "--local"],
    ],
)
def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _, err = qrt(capsys, *argv)
    assert code == 2
    assert err.strip()


@pytest.mark.parametrize(
    "argv",
    [
        ["logout"],
        ["backends"],
        ["backends", "show", "ibm_fez"],
        ["jobs", "list"],
        ["jobs", "show", "x"],
        ["jobs", "wait", "x"],
        ["jobs", "result", "x"],
        ["jobs", "cancel", "x"],
        ["jobs", "logs", "x"],
        ["jobs", "delete", "x"],
        ["sessions", "show", "x"],
        ["sessions", "close", "x"],
        ["sessions", "cancel", "x"],
        ["usage"],
        ["versions"],
        ["--account", "nobody", "usage"],
    ],
)
def test_missing_credentials_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = qrt(capsys, *argv)
    assert code == 2
    line = one_error_line(err)
    assert "QISKIT_IBM_TOKEN" in line or "qiskit-ibm.json" in line
    assert out == ""


# --------------------------------------------------------------------------- API errors


@pytest.mark.parametrize(
    "argv",
    [
        ["backends", "show", "ibm_nowhere"],
        ["jobs", "show", "nope"],
        ["jobs", "wait", "nope"],
        ["jobs", "result", "nope"],
        ["jobs", "cancel", "nope"],
        ["jobs", "logs", "nope"],
        ["jobs", "delete", "nope"],
        ["sessions", "show", "nope"],
        ["sessions", "close", "nope"],
        ["sessions", "cancel", "nope"],
    ],
)
def test_api_errors_exit_1_with_the_trace_id(
    capsys: pytest.CaptureFixture[str], env: Emulator, argv: list[str]
) -> None:
    code, _, err = qrt(capsys, *argv)
    assert code == 1
    line = one_error_line(err)
    assert "404" in line and "trace: " in line


def test_api_error_with_an_iam_refusal(
    capsys: pytest.CaptureFixture[str], env: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "not-the-key")
    for argv in (["usage"], ["versions"], ["backends"], ["jobs", "list"], ["logout"]):
        code, _, err = qrt(capsys, *argv)
        if argv == ["versions"]:
            assert code == 0  # /v1/versions needs no token
            continue
        assert code == 1, argv
        assert "IAM" in one_error_line(err)


def test_debug_adds_the_traceback(capsys: pytest.CaptureFixture[str], env: Emulator) -> None:
    code, _, err = qrt(capsys, "--debug", "jobs", "show", "nope")
    assert code == 1
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("error: ")


# --------------------------------------------------------------------------- success


def test_backends(capsys: pytest.CaptureFixture[str], env: Emulator) -> None:
    code, out, _ = qrt(capsys, "backends")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["NAME", "STATUS", "QUBITS", "QUEUE", "PROCESSOR"]
    assert any(row.split()[:3] == ["ibm_fez", "online", "156"] for row in rows)
    code, out, _ = qrt(capsys, "backends", "--json")
    assert code == 0 and "ibm_fez" in {b["name"] for b in json.loads(out)}
    code, out, _ = qrt(capsys, "backends", "show", "ibm_fez")
    assert code == 0
    assert "name:" in out and "ibm_fez" in out and "qubits:" in out and "156" in out
    code, out, _ = qrt(capsys, "backends", "show", "ibm_fez", "--json")
    assert code == 0 and json.loads(out)["configuration"]["n_qubits"] == 156


def test_jobs_list_show_wait_result_logs_delete(
    capsys: pytest.CaptureFixture[str], rt: RuntimeClient
) -> None:
    bell = rt.jobs.run_sampler("ibm_fez", [BELL], shots=1000, tags=["cli-list"])
    estimator = rt.jobs.run_estimator("ibm_fez", [ESTIMATOR_PUB], tags=["cli-list"])

    code, out, _ = qrt(capsys, "jobs", "wait", bell.id, estimator.id, "--timeout", "60")
    assert code == 0
    assert "2 of 2 final" in out
    assert out.count("Completed") == 2

    code, out, _ = qrt(capsys, "jobs", "list", "--tag", "cli-list", "--json")
    assert code == 0 and {job["id"] for job in json.loads(out)} == {bell.id, estimator.id}
    code, out, _ = qrt(capsys, "jobs", "list", "--backend", "ibm_fez", "--limit", "1")
    assert code == 0 and len(out.splitlines()) == 2 and out.startswith("ID ")
    code, out, _ = qrt(capsys, "jobs", "list", "--pending")
    assert code == 0 and bell.id not in out

    code, out, _ = qrt(capsys, "jobs", "show", bell.id)
    assert code == 0 and "job:" in out and bell.id in out and "Completed" in out
    assert "cli-list" in out
    code, out, _ = qrt(capsys, "jobs", "show", bell.id, "--json")
    assert code == 0 and json.loads(out)["id"] == bell.id

    code, out, _ = qrt(capsys, "jobs", "result", bell.id)
    assert code == 0 and out.startswith("PUB 0, meas:")
    assert {line.split()[0] for line in out.splitlines()[2:]} == {"00", "11"}
    code, out, _ = qrt(capsys, "jobs", "result", bell.id, "--json")
    counts = json.loads(out)["results"][0]["data"]["meas"]
    assert set(counts) == {"00", "11"} and sum(counts.values()) == 1000
    code, out, _ = qrt(capsys, "jobs", "result", bell.id, "--histogram")
    assert code == 0
    bars = out.splitlines()[1:]
    assert [line.split()[0] for line in bars] == ["00", "11"]
    assert all("█" in line or "#" in line for line in bars)
    code, out, _ = qrt(capsys, "jobs", "result", estimator.id)
    assert code == 0 and "PUB 0, evs:" in out

    code, out, _ = qrt(capsys, "jobs", "logs", bell.id)
    assert code == 0 and out.strip()
    code, out, _ = qrt(capsys, "jobs", "delete", estimator.id)
    assert code == 0 and f"deleted job {estimator.id}" in out
    code, _, err = qrt(capsys, "jobs", "show", estimator.id)
    assert code == 1 and "404" in one_error_line(err)


def test_a_single_wait_shows_its_status_trail(
    capsys: pytest.CaptureFixture[str], rt: RuntimeClient
) -> None:
    job = rt.jobs.run_sampler("ibm_fez", [ONE], shots=10)
    code, out, _ = qrt(capsys, "jobs", "wait", job.id)
    assert code == 0
    assert f"job {job.id}: " in out and "Completed" in out


def test_failed_jobs_exit_3(
    capsys: pytest.CaptureFixture[str], rt: RuntimeClient, env: Emulator
) -> None:
    env.fail_jobs(1305, tag="cli-fail")  # ends it "Cancelled - Ran too long", as IBM does
    job = rt.jobs.run_sampler("ibm_fez", [ONE], shots=10, tags=["cli-fail"])
    code, out, _ = qrt(capsys, "jobs", "wait", job.id)
    assert code == 3 and "Cancelled" in out
    code, _, err = qrt(capsys, "jobs", "result", job.id)
    assert code == 3 and job.id in one_error_line(err)


def test_cancel_and_timeout(
    capsys: pytest.CaptureFixture[str], rt: RuntimeClient, env: Emulator
) -> None:
    env.set_job_delays(JobDelays(queued=60, running=0.01))
    job = rt.jobs.run_sampler("ibm_fez", [ONE], shots=10)
    code, _, err = qrt(capsys, "jobs", "wait", job.id, "--timeout", "0.3")
    assert code == 4 and job.id in one_error_line(err)
    code, _, err = qrt(capsys, "jobs", "result", job.id, "--timeout", "0.3")
    assert code == 4
    code, out, _ = qrt(capsys, "jobs", "cancel", job.id)
    assert code == 0 and f"cancelled job {job.id}" in out
    code, out, _ = qrt(capsys, "jobs", "wait", job.id)
    assert code == 3 and "Cancelled" in out
    code, _, err = qrt(capsys, "jobs", "cancel", job.id)
    assert code == 1 and "409" in one_error_line(err)


def test_sessions(capsys: pytest.CaptureFixture[str], rt: RuntimeClient) -> None:
    session = rt.sessions.open("ibm_fez", mode="batch")
    code, out, _ = qrt(capsys, "sessions", "show", session.id)
    assert code == 0 and session.id in out and "batch" in out
    code, out, _ = qrt(capsys, "sessions", "show", session.id, "--json")
    assert code == 0 and json.loads(out)["id"] == session.id
    code, out, _ = qrt(capsys, "sessions", "close", session.id)
    assert code == 0 and "accepts no more jobs" in out
    assert session.details().accepting_jobs is False
    other = rt.sessions.open("ibm_fez", mode="dedicated")
    code, out, _ = qrt(capsys, "sessions", "cancel", other.id)
    assert code == 0 and "dropped" in out
    assert other.details().state == "closed"


def test_usage_and_versions(capsys: pytest.CaptureFixture[str], env: Emulator) -> None:
    code, out, _ = qrt(capsys, "usage")
    assert code == 0 and "consumed:" in out
    code, out, _ = qrt(capsys, "usage", "--json")
    assert code == 0 and "usage_consumed_seconds" in json.loads(out)
    code, out, _ = qrt(capsys, "versions")
    assert code == 0
    assert any(
        line.split()[0] == "2026-04-15" and line.endswith("yes") for line in out.splitlines()
    )
    code, out, _ = qrt(capsys, "versions", "--json")
    assert code == 0 and "2026-04-15" in {v["version"] for v in json.loads(out)}


def test_local_runs_any_command_against_a_fresh_emulator(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = qrt(capsys, "--local", "jobs", "list", "--json")
    assert code == 0 and json.loads(out) == []
    code, out, _ = qrt(capsys, "usage", "--local")
    assert code == 0 and "consumed:" in out


def test_migrate(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = qrt(capsys, "migrate", "GET", "/jobs/{id}/interim_results")
    assert code == 0
    assert out.startswith("GET /jobs/{id}/interim_results -> removed, no replacement")
    assert "job.result()" in out
    code, out, _ = qrt(capsys, "migrate", "GET", "/health")
    assert code == 0 and out.startswith("GET /health -> removed, no replacement")
    code, out, _ = qrt(capsys, "migrate", "post", "/logout")
    assert code == 0 and "POST /v1/logout" in out and "rt.logout()" in out
    code, out, _ = qrt(capsys, "migrate", "--markdown")
    assert code == 0 and out.startswith("| classic endpoint |")


def test_login_saves_a_checked_account_and_logout_forgets_it(
    capsys: pytest.CaptureFixture[str], emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IAM_URL", emu.iam_url)
    prompts: list[str] = []

    def getpass(prompt: str) -> str:
        prompts.append(prompt)
        return emu.api_key

    monkeypatch.setattr("getpass.getpass", getpass)
    argv = ["login", "--name", "emu", "--instance", emu.crn, "--url", emu.base_url, "--default"]
    code, out, _ = qrt(capsys, *argv)
    assert code == 0 and "saved account 'emu'" in out
    assert prompts == ["IBM Cloud API key (not echoed): "]
    assert emu.api_key not in out
    path = Path(os.environ["HOME"]) / ".qiskit" / "qiskit-ibm.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())["emu"]
    assert saved["token"] == emu.api_key and saved["instance"] == emu.crn
    assert saved["channel"] == "ibm_quantum_platform" and saved["is_default_account"] is True

    # The saved account is used by name, and as the default.
    code, out, _ = qrt(capsys, "--account", "emu", "backends")
    assert code == 0 and "ibm_fez" in out
    code, out, _ = qrt(capsys, "usage")
    assert code == 0

    code, out, _ = qrt(capsys, "logout", "--account", "emu")
    assert code == 0
    assert "cleared its authorization cache" in out and "removed the saved account 'emu'" in out
    assert "emu" not in json.loads(path.read_text())
    code, _, err = qrt(capsys, "usage")
    assert code == 2 and "no credentials" in one_error_line(err)

    # A key IAM refuses is not saved.
    monkeypatch.setattr("getpass.getpass", lambda prompt: "wrong-key")
    code, _, err = qrt(capsys, *argv)
    assert code == 1 and "IAM" in one_error_line(err)
    assert "emu" not in json.loads(path.read_text())


def test_logout_with_credentials_from_the_environment(
    capsys: pytest.CaptureFixture[str], env: Emulator
) -> None:
    code, out, _ = qrt(capsys, "logout")
    assert code == 0 and "QISKIT_IBM_TOKEN" in out and "stays valid" in out


def test_emulator_and_demo_are_reachable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = qrt(capsys, "emulator", "--help")
    assert code == 0 and "--port" in out
    code, _, err = qrt(capsys, "demo", "--local", "--backend", "ibm_nowhere")
    assert code == 1 and "ibm_nowhere" in one_error_line(err)


def test_emulator_after_a_global_option_serves_instead_of_crashing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from qiskit_runtime_rest import _cli

    served: list[list[str]] = []
    monkeypatch.setattr(_cli, "_serve_emulator", lambda rest: served.append(rest) or 0)
    assert _cli.main(["--debug", "emulator"]) == 0
    assert served == [[]]
