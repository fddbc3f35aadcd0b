"""The emulator as a test kit: the request journal, scenarios, the /emulator controls, reset."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from emulator_helpers import SEED_QASM, Api, fetch_token
from qiskit_runtime_emulator import Emulator, EmulatorConfig, JobDelays, JobFailure
from qiskit_runtime_emulator.__main__ import build_parser, config_from_args
from qiskit_runtime_rest._constants import DEFAULT_API_VERSION


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(job_delays=JobDelays(queued=0.05, running=0.05), seed=3) as emulator:
        yield emulator


@pytest.fixture
def fresh(emu: Emulator) -> Iterator[Api]:
    with Api(emu) as client:
        yield client


# ------------------------------------------------------------------------------------ journal


def test_the_journal_records_every_request_without_secrets(fresh: Api) -> None:
    fresh.get("/backends")
    fresh.get("/jobs", params={"limit": 3, "apikey": "should-not-be-kept"})
    fresh.post("/jobs", json={"program_id": "nope", "backend": "ibm_fez"})
    journal = fresh.emulator.journal
    iam, backends, jobs, created = journal.entries()
    assert iam.operation == "POST /identity/token" and iam.status == 200
    assert backends.operation == "GET /v1/backends" and backends.status == 200
    assert backends.headers["ibm-api-version"] == DEFAULT_API_VERSION
    assert backends.headers["service-crn"] == fresh.emulator.crn
    assert backends.auth_scheme == "Bearer" and backends.response_bytes > 0
    assert jobs.query == {"limit": ["3"], "apikey": ["<redacted>"]}
    assert created.status == 404 and created.request_bytes > 0
    assert journal.count("POST", "/v1/jobs") == 1
    assert journal.count(operation="POST /v1/jobs") == 1  # the form entries record it in
    assert journal.count(path="/v1/backends") == 1
    text = json.dumps([entry.as_dict() for entry in journal.entries()])
    assert fresh.token not in text and fresh.emulator.api_key not in text
    assert "should-not-be-kept" not in text


def test_the_journal_over_http_and_since(fresh: Api) -> None:
    fresh.get("/versions")
    mark = fresh.emulator.journal.last_seq
    fresh.get("/instance")
    control = httpx.get(f"{fresh.emulator.url}/emulator/journal", params={"since": mark})
    entries = control.json()["entries"]
    assert [e["operation"] for e in entries] == ["GET /v1/instance"]
    assert control.json()["last_seq"] == entries[-1]["seq"]
    only_gets = httpx.get(f"{fresh.emulator.url}/emulator/journal", params={"method": "get"})
    assert {e["method"] for e in only_gets.json()["entries"]} == {"GET"}
    assert httpx.delete(f"{fresh.emulator.url}/emulator/journal").status_code == 204
    assert len(fresh.emulator.journal) == 0  # control calls are never journaled


def test_the_journal_marks_injected_faults(fresh: Api) -> None:
    from qiskit_runtime_emulator import Faults

    fresh.emulator.set_faults(Faults(error_rate=1.0))
    try:
        assert fresh.get("/instance").status_code == 503
    finally:
        fresh.emulator.set_faults(None)
    (entry,) = fresh.emulator.journal.entries("GET", "/v1/instance")
    assert entry.fault == "error" and entry.status == 503


def test_the_journal_is_bounded() -> None:
    from qiskit_runtime_emulator import Journal, JournalEntry

    journal = Journal(capacity=3)
    for _ in range(5):
        seq = journal.next_seq()
        journal.record(
            JournalEntry(seq, 0.0, "GET", "/api/v1/x", "GET /v1/x", {}, 200, {}, None, 0, 0, 0.0)
        )
    assert [entry.seq for entry in journal] == [3, 4, 5]


# ---------------------------------------------------------------------------------- scenarios


def test_jobs_fail_with_a_chosen_reason_code(fresh: Api) -> None:
    fresh.emulator.fail_jobs(1003, "Transpiler said no.", count=1, backend="ibm_fez")
    failed = fresh.wait(fresh.submit("sampler", [SEED_QASM]))
    assert failed["state"]["status"] == "Failed" and failed["state"]["reason_code"] == 1003
    assert "Transpiler said no." in failed["state"]["reason"]
    assert fresh.wait(fresh.submit("sampler", [SEED_QASM]))["status"] == "Completed"  # spent

    fresh.emulator.fail_jobs(1305, count=None, tag="slow")
    slow = fresh.wait(fresh.submit("sampler", [SEED_QASM], tags=["slow"]))
    assert slow["status"] == "Cancelled - Ran too long" and slow["state"]["status"] == "Cancelled"
    assert slow["state"]["reason_code"] == 1305
    assert "1305" in fresh.get(f"/jobs/{slow['id']}/results").text


def test_a_session_expires(fresh: Api) -> None:
    session = fresh.post("/sessions", json={"mode": "dedicated", "backend": "ibm_fez"}).json()
    fresh.emulator.set_backend_state("ibm_fez", "paused")  # keep the job queued
    queued = fresh.submit("sampler", [SEED_QASM], session_id=session["id"])
    assert fresh.emulator.expire_sessions() == [session["id"]]
    fresh.emulator.set_backend_state("ibm_fez", "online")
    doc = fresh.get(f"/sessions/{session['id']}").json()
    assert doc["state"] == "closed" and doc["state_reason"] == "max_ttl reached"
    assert fresh.wait(queued)["status"] == "Cancelled"
    rejected = fresh.post(
        "/jobs",
        json={"program_id": "sampler", "backend": "ibm_fez", "session_id": session["id"]},
    )
    assert rejected.status_code == 400 and rejected.json()["errors"][0]["code"] == "1217"


def test_the_plans_session_ttl_cap() -> None:
    with Emulator(session_max_ttl=1) as emu, Api(emu) as api:
        session = api.post("/sessions", json={"mode": "batch", "max_ttl": 600}).json()
        assert session["max_ttl"] == 1
        time.sleep(1.1)
        assert api.get(f"/sessions/{session['id']}").json()["state"] == "closed"


def test_a_backend_in_maintenance_keeps_its_queue(fresh: Api) -> None:
    fresh.emulator.set_backend_state("ibm_fez", "maintenance", "calibrating")
    status = fresh.get("/backends/ibm_fez/status").json()
    assert status["state"] is False and status["status"] == "maintenance"
    assert status["message"] == "calibrating"
    listed = {d["name"]: d for d in fresh.get("/backends").json()["devices"]}
    assert listed["ibm_fez"]["status"] == {"name": "paused", "reason": "calibrating"}
    assert listed["ibm_pittsburgh"]["status"]["name"] == "online"
    job_id = fresh.submit("sampler", [SEED_QASM])
    time.sleep(0.3)
    assert fresh.get(f"/jobs/{job_id}").json()["status"] == "Queued"
    assert fresh.get("/backends/ibm_fez/status").json()["length_queue"] == 1
    fresh.emulator.set_backend_state("ibm_fez", "online")
    assert fresh.wait(job_id)["status"] == "Completed"


def test_the_usage_limit_reached(fresh: Api) -> None:
    fresh.emulator.reach_usage_limit()
    usage = fresh.get("/instances/usage").json()
    assert usage["usage_limit_reached"] is True
    assert usage["usage_consumed_seconds"] >= usage["usage_limit_seconds"]
    refused = fresh.post("/jobs", json={"program_id": "sampler", "backend": "ibm_fez"})
    assert refused.status_code == 409 and refused.json()["errors"][0]["code"] == "1296"
    fresh.emulator.set_usage_consumed(10)
    assert fresh.get("/instances/usage").json()["usage_consumed_seconds"] == 10
    assert fresh.wait(fresh.submit("sampler", [SEED_QASM]))["status"] == "Completed"


def test_the_maximum_number_of_pending_jobs(fresh: Api) -> None:
    fresh.emulator.set_max_pending_jobs(1)
    fresh.emulator.set_backend_state("ibm_fez", "paused")
    first = fresh.submit("sampler", [SEED_QASM])
    refused = fresh.post("/jobs", json={"program_id": "sampler", "backend": "ibm_fez"})
    assert refused.status_code == 429 and refused.json()["errors"][0]["code"] == "1299"
    assert int(refused.headers["Retry-After"]) >= 1
    fresh.emulator.set_backend_state("ibm_fez", "online")
    fresh.wait(first)
    assert fresh.wait(fresh.submit("sampler", [SEED_QASM]))["status"] == "Completed"


def test_every_scenario_through_the_controls(fresh: Api) -> None:
    controls = f"{fresh.emulator.url}/emulator"
    assert httpx.post(f"{controls}/job-failures", json={"reason_code": 1004}).status_code == 204
    assert fresh.wait(fresh.submit("sampler", [SEED_QASM]))["state"]["reason_code"] == 1004
    bad = httpx.post(f"{controls}/job-failures", json={"reason_code": 1004, "typo": 1})
    assert bad.status_code == 400 and "typo" in bad.json()["error"]

    state = {"state": "paused", "reason": "upgrade"}
    assert httpx.put(f"{controls}/backends/ibm_fez/state", json=state).status_code == 204
    assert fresh.get("/backends/ibm_fez/status").json()["status"] == "paused"
    assert httpx.put(f"{controls}/backends/ibm_x/state", json=state).status_code == 404
    assert httpx.put(f"{controls}/backends/ibm_fez/state", json={"state": "x"}).status_code == 400
    httpx.put(f"{controls}/backends/ibm_fez/state", json={"state": "online"})

    session = fresh.post("/sessions", json={"mode": "batch"}).json()
    expired = httpx.post(f"{controls}/sessions/expire", json={"session_id": session["id"]})
    assert expired.json() == {"expired": [session["id"]]}
    assert httpx.post(f"{controls}/sessions/expire", json={"session_id": "no"}).status_code == 404

    assert httpx.put(f"{controls}/usage", json={"limit_reached": True}).status_code == 204
    assert fresh.get("/instances/usage").json()["usage_limit_reached"] is True
    assert httpx.put(f"{controls}/usage", json={"consumed_seconds": 0}).status_code == 204
    assert httpx.put(f"{controls}/usage", json={}).status_code == 400

    settings = {"max_pending_jobs": 0, "job_delays": 0.01, "faults": {"latency": 0.0}}
    assert httpx.patch(f"{controls}/settings", json=settings).status_code == 204
    assert fresh.emulator.config.max_pending_jobs == 0
    assert (
        fresh.post("/jobs", json={"program_id": "sampler", "backend": "ibm_fez"}).status_code == 429
    )
    assert httpx.patch(f"{controls}/settings", json={"color": 1}).status_code == 400

    assert httpx.post(f"{controls}/reset").status_code == 204
    assert fresh.get("/jobs").json()["count"] == 0
    assert fresh.emulator.config.max_pending_jobs == 0  # reset keeps the configuration
    index = httpx.get(fresh.emulator.url).json()
    assert index["controls"] == controls


def test_reset_forgets_state_and_applies_a_new_config(emu: Emulator) -> None:
    with Api(emu) as api:
        api.wait(api.submit("sampler", [SEED_QASM]))
        emu.reset(
            EmulatorConfig(
                seed=9, job_failures=(JobFailure(1010, count=None),), job_delays=JobDelays(0, 0)
            )
        )
        assert api.get("/jobs").json()["count"] == 0  # old tokens still work: same API keys
        assert len(emu.journal) == 1
        assert api.wait(api.submit("sampler", [SEED_QASM]))["state"]["reason_code"] == 1010
    with pytest.raises(ValueError, match="state_file"):
        emu.reset(EmulatorConfig(state_file="/tmp/other.db"))
    assert fetch_token(emu).status_code == 200


def test_scenario_flags_on_the_command_line() -> None:
    args = build_parser().parse_args(
        [
            "--fail-jobs",
            "1003:2@ibm_fez",
            "--fail-jobs",
            "1305:*",
            "--session-max-ttl",
            "30",
            "--backend-state",
            "ibm_fez=maintenance",
            "--usage-consumed",
            "12.5",
            "--max-pending-jobs",
            "4",
        ]
    )
    config = config_from_args(args)
    assert config.job_failures == (
        JobFailure(1003, count=2, backend="ibm_fez"),
        JobFailure(1305, count=None),
    )
    assert config.session_max_ttl == 30
    assert config.backend_states == {"ibm_fez": "maintenance"}
    assert config.usage_consumed_seconds == 12.5 and config.max_pending_jobs == 4
    assert build_parser().parse_args(["--usage-limit-reached"]).usage_limit_reached is True
    for bad in (["--backend-state", "ibm_fez=broken"], ["--fail-jobs", "12"]):
        with pytest.raises(SystemExit):
            build_parser().parse_args(bad)


def test_config_rejects_unknown_devices_and_states() -> None:
    with pytest.raises(ValueError, match="not one of"):
        EmulatorConfig(backend_states={"ibm_fez": "sleeping"})
    with (
        pytest.raises(ValueError, match="no such device"),
        Emulator(backend_states={"ibm_x": "paused"}),
    ):
        pass
