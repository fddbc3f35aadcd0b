"""Sessions and batches: creation, graceful close on every exit path, cancel, details."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from qiskit_runtime_rest import RuntimeClient
from qiskit_runtime_rest._exceptions import InvalidInputError, ServerError

from .conftest import MockApi

SESSION = "crw9kjy7jqmg008zp7mg"
QASM = 'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'


def patches(api: MockApi) -> list[httpx.Request]:
    return api.calls("PATCH", f"/v1/sessions/{SESSION}")


@pytest.fixture
def session_api(api: MockApi) -> MockApi:
    api.on("POST", "/v1/sessions", {"id": SESSION})
    api.on("PATCH", f"/v1/sessions/{SESSION}", 204)
    api.on("DELETE", f"/v1/sessions/{SESSION}/close", 204)
    api.on("POST", "/v1/jobs", {"id": "j1", "backend": "ibm_pittsburgh", "session_id": SESSION})
    return api


def test_session_block_submits_into_the_session_and_closes_gracefully(
    rt: RuntimeClient, session_api: MockApi
) -> None:
    with rt.session("ibm_pittsburgh", max_ttl=3600) as s:
        assert s.id == SESSION and s.mode == "dedicated"
        job = s.run_sampler([QASM], shots=100)
        s.run_estimator([(QASM, "ZZ")])
        assert patches(session_api) == []
    assert session_api.body(session_api.calls("POST", "/v1/sessions")[0]) == {
        "mode": "dedicated",
        "backend": "ibm_pittsburgh",
        "max_ttl": 3600,
    }
    bodies = [session_api.body(r) for r in session_api.calls("POST", "/v1/jobs")]
    assert [b["session_id"] for b in bodies] == [SESSION, SESSION]
    assert [b["backend"] for b in bodies] == ["ibm_pittsburgh"] * 2
    assert bodies[0]["params"]["shots"] == 100
    assert job.session_id == SESSION
    (patch,) = patches(session_api)
    assert session_api.body(patch) == {"accepting_jobs": False}


def test_batch_uses_batch_mode(rt: RuntimeClient, session_api: MockApi) -> None:
    with rt.batch("ibm_pittsburgh") as b:
        assert b.mode == "batch"
    assert session_api.body(session_api.calls("POST", "/v1/sessions")[0]) == {
        "mode": "batch",
        "backend": "ibm_pittsburgh",
    }
    assert len(patches(session_api)) == 1


def test_an_exception_in_the_block_still_closes_and_propagates(
    rt: RuntimeClient, session_api: MockApi
) -> None:
    with pytest.raises(ZeroDivisionError), rt.session("ibm_pittsburgh"):
        _ = 1 / 0
    assert len(patches(session_api)) == 1


def test_keyboard_interrupt_still_closes(rt: RuntimeClient, session_api: MockApi) -> None:
    with pytest.raises(KeyboardInterrupt), rt.session("ibm_pittsburgh"):
        raise KeyboardInterrupt
    assert len(patches(session_api)) == 1


def test_a_failing_close_never_hides_the_original_exception(
    rt: RuntimeClient, api: MockApi
) -> None:
    api.on("POST", "/v1/sessions", {"id": SESSION})
    api.on("PATCH", f"/v1/sessions/{SESSION}", httpx.Response(500, text="down"))
    with pytest.raises(KeyError) as info, rt.session("ibm_pittsburgh"):
        raise KeyError("mine")
    assert any(f"closing session {SESSION}" in note for note in info.value.__notes__)


def test_a_failing_close_after_a_clean_block_is_raised(rt: RuntimeClient, api: MockApi) -> None:
    api.on("POST", "/v1/sessions", {"id": SESSION})
    api.on("PATCH", f"/v1/sessions/{SESSION}", httpx.Response(500, text="down"))
    with pytest.raises(ServerError), rt.session("ibm_pittsburgh"):
        pass


def test_an_already_closed_session_exits_quietly(rt: RuntimeClient, api: MockApi) -> None:
    api.on("POST", "/v1/sessions", {"id": SESSION})
    api.on(
        "PATCH",
        f"/v1/sessions/{SESSION}",
        httpx.Response(404, json={"errors": [{"code": "1", "message": "gone"}]}),
    )
    with rt.session("ibm_pittsburgh"):
        pass


def test_cancel_deletes_and_skips_the_graceful_close(
    rt: RuntimeClient, session_api: MockApi
) -> None:
    with rt.session("ibm_pittsburgh") as s:
        s.cancel()
    assert len(session_api.calls("DELETE", f"/v1/sessions/{SESSION}/close")) == 1
    assert patches(session_api) == []


def test_explicit_close_is_not_repeated_on_exit(rt: RuntimeClient, session_api: MockApi) -> None:
    with rt.session("ibm_pittsburgh") as s:
        s.close()
    assert len(patches(session_api)) == 1


DETAILS = {
    "id": SESSION,
    "backend_name": "ibm_pittsburgh",
    "mode": "dedicated",
    "state": "active",
    "state_reason": "",
    "accepting_jobs": True,
    "started_at": "2026-02-03T10:00:00Z",
    "activated_at": "2026-02-03T10:00:05.123Z",
    "closed_at": None,
    "interactive_ttl": 60,
    "max_ttl": 28800,
    "active_ttl": 28795,
    "timestamps": [{"status": "open", "timestamp": "2026-02-03T10:00:00Z"}],
    "elapsed_time": None,
}


def test_details(rt: RuntimeClient, session_api: MockApi) -> None:
    session_api.on("GET", f"/v1/sessions/{SESSION}", DETAILS)
    with rt.session("ibm_pittsburgh") as s:
        details = s.details()
    assert details.state == "active"
    assert details.accepting_jobs is True
    assert details.max_ttl == 28800 and details.interactive_ttl == 60
    assert details.started_at == datetime(2026, 2, 3, 10, 0, tzinfo=UTC)
    assert details.activated_at is not None and details.activated_at.microsecond == 123000
    assert details.closed_at is None and details.elapsed_time is None
    assert details.state_reason is None
    assert details.timestamps == [("open", datetime(2026, 2, 3, 10, 0, tzinfo=UTC))]


def test_details_reads_numbers_sent_as_strings(rt: RuntimeClient, api: MockApi) -> None:
    body = {**DETAILS, "max_ttl": "28800", "active_ttl": 12.0, "elapsed_time": 7}
    api.on("GET", f"/v1/sessions/{SESSION}", body)
    details = rt.sessions.get(SESSION).details()
    assert details.max_ttl == 28800 and details.active_ttl == 12
    assert details.elapsed_time == 7.0 and details.body == body


def test_get_reattaches(rt: RuntimeClient, api: MockApi) -> None:
    api.on("GET", f"/v1/sessions/{SESSION}", DETAILS)
    api.on("POST", "/v1/jobs", {"id": "j2", "backend": "ibm_pittsburgh", "session_id": SESSION})
    s = rt.sessions.get(SESSION)
    assert s.backend == "ibm_pittsburgh" and s.mode == "dedicated"
    s.run_sampler([QASM])
    assert api.body(api.calls("POST", "/v1/jobs")[0])["session_id"] == SESSION


def test_reattaching_an_open_session_needs_a_backend(rt: RuntimeClient, api: MockApi) -> None:
    api.on("GET", f"/v1/sessions/{SESSION}", {**DETAILS, "state": "open", "backend_name": None})
    s = rt.sessions.get(SESSION)
    with pytest.raises(InvalidInputError, match="backend"):
        s.run_sampler([QASM])
    assert rt.sessions.get(SESSION, backend="ibm_pittsburgh").backend == "ibm_pittsburgh"


def test_bad_session_arguments(rt: RuntimeClient, api: MockApi) -> None:
    with pytest.raises(InvalidInputError, match="mode"):
        rt.sessions.open("ibm_pittsburgh", mode="exclusive")
    with pytest.raises(InvalidInputError, match="max_ttl"):
        rt.session("ibm_pittsburgh", max_ttl=0)
    assert api.requests == []


def test_session_jobs_lists_the_session_and_authenticate_needs_no_request(
    rt: RuntimeClient, api: MockApi
) -> None:
    api.on("GET", f"/v1/sessions/{SESSION}", DETAILS)
    api.on("GET", "/v1/jobs", {"jobs": [{"id": "a", "session_id": SESSION}, {"id": "b"}]})
    s = rt.sessions.get(SESSION)
    assert [job.id for job in s.jobs()] == ["a", "b"]
    (listing,) = api.calls("GET", "/v1/jobs")
    assert listing.url.params["session_id"] == SESSION
    assert rt.authenticate() is None  # a caller-managed bearer token: nothing to fetch
