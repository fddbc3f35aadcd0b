"""Sessions and batches: modes, TTLs, accepting_jobs, graceful close (PATCH) and cancel (DELETE)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulator_helpers import SEED_QASM, Api
from qiskit_runtime_emulator import Emulator, JobDelays


def _create(api: Api, **body: object) -> dict[str, object]:
    response = api.post("/sessions", json={"mode": "dedicated", "backend": "ibm_fez", **body})
    assert response.status_code == 200, response.text
    session: dict[str, object] = response.json()
    return session


def test_a_new_session_is_open_and_accepting(api: Api) -> None:
    session = _create(api, max_ttl=600)
    assert session["state"] == "open"
    assert session["accepting_jobs"] is True
    assert session["backend_name"] == "ibm_fez"
    assert session["mode"] == "dedicated"
    assert session["max_ttl"] == 600
    assert session["timestamps"] == [{"status": "open", "timestamp": session["started_at"]}]
    assert api.get(f"/sessions/{session['id']}").json() == session


def test_ttl_above_the_plan_limit_is_capped(api: Api) -> None:
    session = _create(api, max_ttl=10**6)
    assert session["max_ttl"] == 28800


@pytest.mark.parametrize(
    "body",
    [
        {"backend": "ibm_fez"},
        {"mode": "shared", "backend": "ibm_fez"},
        {"mode": "batch", "backend": "x"},
    ],
)
def test_create_session_rejects_bad_bodies(api: Api, body: dict[str, object]) -> None:
    assert api.post("/sessions", json=body).status_code == 400


def test_jobs_run_in_a_session_and_activate_it(api: Api) -> None:
    session = _create(api)
    job_id = api.submit("sampler", [SEED_QASM], session_id=session["id"])
    job = api.wait(job_id)
    assert job["session_id"] == session["id"]

    details = api.get(f"/sessions/{session['id']}").json()
    assert details["state"] == "active"
    assert details["last_job_started"] and details["last_job_completed"]
    assert [t["status"] for t in details["timestamps"]] == ["open", "active"]
    listed = api.get("/jobs", params={"session_id": session["id"]}).json()
    assert [j["id"] for j in listed["jobs"]] == [job_id]


def test_a_session_binds_its_backend(api: Api) -> None:
    session = _create(api)
    response = api.post(
        "/jobs",
        json={
            "program_id": "sampler",
            "backend": "ibm_pittsburgh",
            "session_id": session["id"],
            "params": {"pubs": [SEED_QASM]},
        },
    )
    assert response.status_code == 400


def test_a_batch_without_backend_takes_the_first_jobs(api: Api) -> None:
    response = api.post("/sessions", json={"mode": "batch"})
    batch = response.json()
    assert batch["backend_name"] is None
    api.wait(api.submit("sampler", [SEED_QASM], backend="ibm_emulator", session_id=batch["id"]))
    details = api.get(f"/sessions/{batch['id']}").json()
    assert details["backend_name"] == "ibm_emulator"
    assert details["mode"] == "batch"
    assert details["elapsed_time"] >= 0


def test_unknown_session(api: Api) -> None:
    assert api.get("/sessions/nope").status_code == 404
    assert api.patch("/sessions/nope", json={"accepting_jobs": False}).status_code == 404
    assert api.delete("/sessions/nope/close").status_code == 404
    response = api.post(
        "/jobs",
        json={
            "program_id": "sampler",
            "backend": "ibm_fez",
            "session_id": "nope",
            "params": {"pubs": [SEED_QASM]},
        },
    )
    assert response.status_code == 404


def test_patch_needs_a_boolean(api: Api) -> None:
    session = _create(api)
    assert api.patch(f"/sessions/{session['id']}", json={}).status_code == 400
    assert api.patch(f"/sessions/{session['id']}", json={"accepting_jobs": "no"}).status_code == 400


def test_an_idle_session_closes_as_soon_as_it_stops_accepting(api: Api) -> None:
    session = _create(api)
    assert (
        api.patch(f"/sessions/{session['id']}", json={"accepting_jobs": False}).status_code == 204
    )
    details = api.get(f"/sessions/{session['id']}").json()
    assert details["state"] == "closed"
    assert details["accepting_jobs"] is False
    assert "closed_at" in details
    response = api.post(
        "/jobs",
        json={
            "program_id": "sampler",
            "backend": "ibm_fez",
            "session_id": session["id"],
            "params": {"pubs": [SEED_QASM]},
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "1217"


@pytest.fixture
def slow_api() -> Iterator[Api]:
    with Emulator(job_delays=JobDelays(queued=0.3, running=0.3)) as emu, Api(emu) as api:
        yield api


def test_graceful_close_lets_queued_jobs_run(slow_api: Api) -> None:
    session = _create(slow_api)
    first = slow_api.submit("sampler", [SEED_QASM], session_id=session["id"])
    second = slow_api.submit("sampler", [SEED_QASM], session_id=session["id"])
    assert (
        slow_api.patch(f"/sessions/{session['id']}", json={"accepting_jobs": False}).status_code
        == 204
    )
    assert slow_api.get(f"/sessions/{session['id']}").json()["state"] != "closed"

    assert slow_api.wait(first)["state"]["status"] == "Completed"
    assert slow_api.wait(second)["state"]["status"] == "Completed"
    details = slow_api.get(f"/sessions/{session['id']}").json()
    assert details["state"] == "closed"
    assert details["state_reason"] == "closed by the user"


def test_cancel_drops_queued_jobs_and_closes_now(slow_api: Api) -> None:
    session = _create(slow_api)
    first = slow_api.submit("sampler", [SEED_QASM], session_id=session["id"])
    second = slow_api.submit("sampler", [SEED_QASM], session_id=session["id"])
    assert slow_api.delete(f"/sessions/{session['id']}/close").status_code == 204

    details = slow_api.get(f"/sessions/{session['id']}").json()
    assert details["state"] == "closed"
    assert details["accepting_jobs"] is False
    assert slow_api.wait(first)["state"]["status"] == "Cancelled"
    assert slow_api.wait(second)["state"]["status"] == "Cancelled"


def test_max_ttl_closes_the_session_and_cancels_what_waits() -> None:
    with Emulator(job_delays=JobDelays(queued=1.5, running=0.0)) as emu, Api(emu) as api:
        session = _create(api, max_ttl=1)
        job_id = api.submit("sampler", [SEED_QASM], session_id=session["id"])
        job = api.wait(job_id)
        details = api.get(f"/sessions/{session['id']}").json()
    assert details["state"] == "closed"
    assert details["state_reason"] == "max_ttl reached"
    assert job["state"]["status"] == "Cancelled"
