"""The server around the API: fault injection, the SQLite state file, the fixture and the CLI."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from emulator_helpers import SEED_QASM, Api
from qiskit_runtime_emulator import Emulator, EmulatorConfig, Faults, JobDelays
from qiskit_runtime_emulator.__main__ import build_parser, config_from_args, main


def test_injected_server_errors(api: Api) -> None:
    api.emulator.set_faults(Faults(error_rate=1.0, error_status=502))
    try:
        response = api.get("/jobs")
        assert response.status_code == 502
        assert response.json()["errors"][0]["code"] == "1000"
        generic = api.get("/workloads")
        assert generic.status_code == 502
        assert generic.json()["errors"][0]["code"] == 1000
    finally:
        api.emulator.set_faults(None)
    assert api.get("/jobs").status_code == 200


def test_injected_rate_limits_carry_retry_after(api: Api) -> None:
    api.emulator.set_faults(Faults(rate_limit_rate=1.0, retry_after=7))
    try:
        response = api.get("/backends")
    finally:
        api.emulator.set_faults(None)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["errors"][0]["code"] == "1202"


def test_injected_dropped_connections(api: Api) -> None:
    api.emulator.set_faults(Faults(drop_rate=1.0))
    try:
        with pytest.raises(httpx.RemoteProtocolError):
            api.get("/instance")
    finally:
        api.emulator.set_faults(None)
    assert api.get("/instance").status_code == 200


def test_lost_responses_still_create_the_job(api: Api) -> None:
    mark = api.emulator.journal.last_seq
    api.emulator.set_faults(Faults(lost_response_rate=1.0, error_status=500))
    try:
        response = api.post(
            "/jobs",
            json={
                "program_id": "sampler",
                "backend": "ibm_fez",
                "params": {"pubs": [SEED_QASM]},
                "tags": ["lost-response"],
            },
        )
        assert api.get("/instance").status_code == 200  # reads are not affected
    finally:
        api.emulator.set_faults(None)
    assert response.status_code == 500
    listed = api.get("/jobs", params={"tags": "lost-response"}).json()
    assert listed["count"] == 1
    (posted,) = api.emulator.journal.entries("POST", "/v1/jobs", since=mark)
    assert posted.status == 500 and posted.fault == "lost_response"


def test_fault_rates_are_drawn_per_request_and_seeded(api: Api) -> None:
    def statuses() -> list[int]:
        api.emulator.set_faults(Faults(error_rate=0.5, seed=3, latency=0.001))
        try:
            return [api.get("/instance").status_code for _ in range(30)]
        finally:
            api.emulator.set_faults(None)

    first = statuses()
    assert set(first) == {200, 503}
    assert statuses() == first


def test_injected_latency_delays_every_response(api: Api) -> None:
    assert api.token  # fetched first: IAM is never delayed
    api.emulator.set_faults(Faults(latency=0.3))
    try:
        started = time.monotonic()
        assert api.get("/versions").status_code == 200
        elapsed = time.monotonic() - started
    finally:
        api.emulator.set_faults(None)
    assert elapsed >= 0.3


@pytest.mark.parametrize(
    "make",
    [
        lambda: Faults(error_rate=1.5),
        lambda: Faults(rate_limit_rate=-0.1),
        lambda: Faults(drop_rate=2.0),
        lambda: Faults(lost_response_rate=1.1),
        lambda: Faults(error_status=404),
        lambda: Faults(latency=-1.0),
        lambda: Faults(retry_after=-1),
        lambda: JobDelays(queued=-1.0),
        lambda: JobDelays(running=-1.0),
        lambda: EmulatorConfig(api_keys=()),
        lambda: EmulatorConfig(api_keys=("key", "")),
        lambda: EmulatorConfig(crn="crn:v1:too:short"),
        lambda: EmulatorConfig(token_ttl=0),
        lambda: EmulatorConfig(api_versions=()),
        lambda: EmulatorConfig(api_versions=(("April 2026", None, "live"),)),
        lambda: EmulatorConfig(api_versions=(("2026-04-15", "soon", "deprecated"),)),
        lambda: EmulatorConfig(api_versions=(("2026-04-15", None, "retired"),)),
        lambda: EmulatorConfig(
            api_versions=(("2026-04-15", None, "live"), ("2026-03-15", None, "live"))
        ),
    ],
)
def test_invalid_knobs_are_rejected(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        make()


def test_keyword_knobs_override_a_given_config() -> None:
    base = EmulatorConfig(rate_limit=True, seed=1, token_ttl=60, faults=Faults(latency=0.1))
    versions = [("2026-04-15", None, "live")]
    emu = Emulator(
        config=base, seed=2, job_delays=0.25, max_qubits=5, strict_isa=True, api_versions=versions
    )
    assert emu.config == dataclasses.replace(
        base,
        seed=2,
        job_delays=JobDelays(0.25, 0.25),
        max_qubits=5,
        strict_isa=True,
        api_versions=(("2026-04-15", None, "live"),),
    )


def test_faults_leave_iam_alone(api: Api) -> None:
    api.emulator.set_faults(Faults(error_rate=1.0))
    try:
        response = httpx.post(
            f"{api.emulator.iam_url}/identity/token",
            data={
                "grant_type": "urn:ibm:params:oauth:grant-type:apikey",
                "apikey": api.emulator.api_key,
            },
        )
    finally:
        api.emulator.set_faults(None)
    assert response.status_code == 200


def test_state_file_keeps_jobs_and_sessions_across_restarts(tmp_path: Path) -> None:
    state = str(tmp_path / "state.sqlite")
    with Emulator(job_delays=0.0, state_file=state) as first, Api(first) as api:
        session = api.post("/sessions", json={"mode": "batch", "backend": "ibm_fez"}).json()
        job = api.wait(api.submit("sampler", [[SEED_QASM, None, 30]], session_id=session["id"]))
        results = api.get(f"/jobs/{job['id']}/results").json()
        assert api.put("/instances/configuration", json={"instance_limit": 900}).status_code == 204

    with Emulator(job_delays=0.0, state_file=state) as second, Api(second) as api:
        again = api.get(f"/jobs/{job['id']}").json()
        assert again["state"]["status"] == "Completed"
        assert api.get(f"/jobs/{job['id']}/results").json() == results
        assert api.get(f"/sessions/{session['id']}").json()["mode"] == "batch"
        assert api.get("/instances/configuration").json() == {"instance_limit": 900.0}


def test_unfinished_jobs_run_after_a_restart(tmp_path: Path) -> None:
    state = str(tmp_path / "state.sqlite")
    with Emulator(job_delays=30.0, state_file=state) as first, Api(first) as api:
        job_id = api.submit("sampler", [SEED_QASM])
        assert api.get(f"/jobs/{job_id}").json()["state"]["status"] == "Queued"

    with Emulator(job_delays=0.0, state_file=state) as second, Api(second) as api:
        assert api.wait(job_id)["state"]["status"] == "Completed"


def test_fixture_addresses(emulator: Emulator) -> None:
    assert emulator.base_url.endswith("/api")
    assert emulator.base_url.startswith(f"http://127.0.0.1:{emulator.port}")
    assert emulator.iam_url == f"http://127.0.0.1:{emulator.port}"
    assert emulator.experimental_url.endswith("/experimental")
    assert emulator.api_key not in repr(emulator)
    assert emulator.api_key not in repr(emulator.config)
    index = httpx.get(emulator.url).json()
    assert index["base_url"] == emulator.base_url


def test_a_busy_port_fails_in_the_caller(emulator: Emulator) -> None:
    with pytest.raises(OSError):
        Emulator(port=emulator.port).start()


def test_stop_frees_the_port() -> None:
    emu = Emulator().start()
    port = emu.port
    emu.stop()
    with Emulator(port=port) as again:
        assert again.port == port
        assert httpx.get(f"{again.base_url}/v1/versions").status_code == 200


def test_emulators_one_after_another_in_a_fresh_process() -> None:
    # Regression: when a job thread was the first to import qiskit and then exited (emulator
    # stopped), the next emulator's job thread crashed the process in qiskit's native code.
    script = (
        "import httpx\n"
        "from qiskit_runtime_emulator import Emulator\n"
        "for _ in range(4):\n"
        "    with Emulator(job_delays=0.0) as emu:\n"
        "        token = httpx.post(emu.iam_url + '/identity/token', data={'grant_type':"
        " 'urn:ibm:params:oauth:grant-type:apikey', 'apikey': emu.api_key}).json()\n"
        "        headers = {'Authorization': 'Bearer ' + token['access_token'],"
        " 'Service-CRN': emu.crn}\n"
        "        body = {'program_id': 'sampler', 'backend': 'ibm_fez',"
        f" 'params': {{'pubs': [{SEED_QASM!r}]}}}}\n"
        "        job = httpx.post(emu.base_url + '/v1/jobs', json=body, headers=headers).json()\n"
        "        while httpx.get(emu.base_url + '/v1/jobs/' + job['id'], headers=headers)"
        ".json()['state']['status'] != 'Completed':\n"
        "            pass\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_cli_arguments_build_the_config() -> None:
    args = build_parser().parse_args(
        [
            "--port", "0", "--api-key", "k1", "--api-key", "k2", "--crn", "crn:v1:bluemix:public:"
            "quantum-computing:eu-de:a/acct:inst::", "--rate-limit", "--fault-429-rate", "0.5",
            "--queued-delay", "0", "--state", "x.sqlite", "--readout-noise",
        ]
    )  # fmt: skip
    config = config_from_args(args)
    assert config.api_keys == ("k1", "k2")
    assert config.region == "eu-de"
    assert config.account_id == "acct"
    assert config.rate_limit and config.readout_noise
    assert config.faults.rate_limit_rate == 0.5
    assert config.job_delays.queued == 0.0
    assert config.state_file == "x.sqlite"


def test_cli_defaults_are_the_library_defaults() -> None:
    assert config_from_args(build_parser().parse_args([])) == EmulatorConfig()


def test_isa_validation_is_on_unless_switched_off() -> None:
    assert EmulatorConfig().strict_isa is True
    assert config_from_args(build_parser().parse_args([])).strict_isa is True
    assert config_from_args(build_parser().parse_args(["--no-strict-isa"])).strict_isa is False
    assert Emulator(strict_isa=False).config.strict_isa is False
    assert Emulator(config=EmulatorConfig(strict_isa=False)).config.strict_isa is False
    assert Emulator().config.strict_isa is True


def test_cli_flags_reach_every_knob() -> None:
    args = build_parser().parse_args(
        [
            "--token-ttl", "90", "--running-delay", "0.25", "--strict-isa", "--seed", "9",
            "--max-qubits", "12", "--fault-5xx-rate", "0.1", "--fault-5xx-status", "502",
            "--retry-after", "4", "--latency", "0.5", "--drop-rate", "0.2",
            "--lost-response-rate", "0.3", "--revoke-tokens-after", "60", "--fault-seed", "5",
        ]
    )  # fmt: skip
    config = config_from_args(args)
    assert config.token_ttl == 90
    assert config.job_delays.running == 0.25
    assert config.strict_isa is True
    assert (config.seed, config.max_qubits) == (9, 12)
    assert config.faults == Faults(
        error_rate=0.1,
        error_status=502,
        retry_after=4,
        latency=0.5,
        drop_rate=0.2,
        lost_response_rate=0.3,
        revoke_tokens_after=60.0,
        seed=5,
    )


def test_cli_reports_bad_values_and_busy_ports(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--fault-5xx-status", "404"])
    assert exited.value.code == 2
    assert "error_status must be a 5xx status" in capsys.readouterr().err
    assert main(["--host", "127.0.0.1", "--port", str(emulator.port)]) == 1
    assert f"cannot listen on 127.0.0.1:{emulator.port}" in capsys.readouterr().err


def test_cli_serves_and_prints_what_clients_need() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "qiskit_runtime_emulator", "--port", "0", "--api-key", "cli-key"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        printed: dict[str, str] = {}
        for line in process.stdout:
            key, _, value = line.partition(":")
            printed[key.strip()] = value.strip()
            if key.strip() == "CRN":
                break
        assert printed["API key"] == "cli-key"
        token = httpx.post(
            f"{printed['IAM URL']}/identity/token",
            data={"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": "cli-key"},
        ).json()["access_token"]
        response = httpx.get(
            f"{printed['base URL']}/v1/backends",
            headers={"Authorization": f"Bearer {token}", "Service-CRN": printed["CRN"]},
        )
        assert response.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
