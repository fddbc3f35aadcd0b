"""The server around the API: fault injection, the SQLite state file, the fixture and the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from emulator_helpers import SEED_QASM, Api
from qiskit_runtime_emulator import Emulator, Faults
from qiskit_runtime_emulator.__main__ import build_parser, config_from_args


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
