"""Answers that leave the outcome open: a timed-out submission, a creation answer without an id,
a lost session-creation answer, a close that failed on the way. Nothing is created twice and
nothing is left open."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from qiskit_runtime_rest import RuntimeClient, ServerError, UnexpectedResponseError
from qiskit_runtime_rest._constants import (
    IDEMPOTENCY_LOOKUP_SETTLE,
    IDEMPOTENCY_LOOKUP_TIMEOUTS,
)

from .conftest import FakeClock, MockApi, job_body

QASM = 'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'
SESSION = "ses-0001"


@pytest.fixture(autouse=True)
def _no_sessions_seen_yet() -> None:
    # The process remembers the sessions it created; each test starts from none.
    from qiskit_runtime_rest import _sessions_base

    _sessions_base._SEEN.clear()


def test_a_timed_out_submission_is_looked_up_for_three_read_timeouts(
    rt: RuntimeClient, api: MockApi, clock: FakeClock
) -> None:
    # The server takes longer than the client's read timeout to create the job: it shows up in
    # the listing only later. Looking up for a fixed 2 s would resubmit and create a second one.
    api.on("POST", "/v1/jobs", httpx.ReadTimeout("slow"))
    empty = {"jobs": [], "count": 0}

    def listing(request: httpx.Request) -> Any:
        created = clock.now >= 7.0  # the first POST completes server-side after 7 s
        tag = request.url.params["tags"]
        return {"jobs": [job_body("slow-job", "Queued", tags=[tag])]} if created else empty

    api.on("GET", "/v1/jobs", listing)
    job = rt.with_options(timeout=3).jobs.run_sampler("ibm_pittsburgh", [QASM])
    assert job.id == "slow-job"
    assert len(api.calls("POST", "/v1/jobs")) == 1  # never resubmitted
    assert clock.now <= IDEMPOTENCY_LOOKUP_TIMEOUTS * 3 + 5


def test_a_timed_out_submission_with_nothing_found_in_the_window_is_resubmitted_once(
    rt: RuntimeClient, api: MockApi, clock: FakeClock
) -> None:
    api.on("POST", "/v1/jobs", httpx.ReadTimeout("slow"), {"id": "second", "backend": "b"})
    api.on("GET", "/v1/jobs", {"jobs": [], "count": 0})
    job = rt.with_options(timeout=2).jobs.run_sampler("ibm_pittsburgh", [QASM])
    assert job.id == "second"
    assert len(api.calls("POST", "/v1/jobs")) == 2
    assert sum(clock.sleeps) >= IDEMPOTENCY_LOOKUP_TIMEOUTS * 2 - IDEMPOTENCY_LOOKUP_SETTLE


def test_a_creation_answer_without_an_id_is_looked_up_not_trusted(
    rt: RuntimeClient, api: MockApi
) -> None:
    api.on("POST", "/v1/jobs", {"backend": "ibm_pittsburgh"})  # 200, but which job?

    def listing(request: httpx.Request) -> Any:
        return {"jobs": [job_body("found", "Queued", tags=[request.url.params["tags"]])]}

    api.on("GET", "/v1/jobs", listing)
    job = rt.jobs.run_sampler("ibm_pittsburgh", [QASM])
    assert job.id == "found"
    assert len(api.calls("POST", "/v1/jobs")) == 1


def test_a_session_close_is_retried_like_a_get(rt: RuntimeClient, api: MockApi) -> None:
    api.on("POST", "/v1/sessions", {"id": SESSION, "mode": "dedicated"})
    unavailable = httpx.Response(503, json={"errors": [{"message": "try again"}]})
    api.on("PATCH", f"/v1/sessions/{SESSION}", unavailable, httpx.RemoteProtocolError("x"), 204)
    with rt.session("ibm_pittsburgh"):
        pass
    assert len(api.calls("PATCH", f"/v1/sessions/{SESSION}")) == 3


def test_a_lost_session_creation_answer_finds_the_session_it_created(
    rt: RuntimeClient, api: MockApi
) -> None:
    lost = httpx.Response(503, json={"errors": [{"message": "lost"}]})
    api.on("POST", "/v1/sessions", lost)
    row = {"id": "ses-lost", "mode": "session", "accepting_jobs": True, "status": "pending"}
    api.on("GET", "/v1/workloads", {"workloads": [row]})
    api.on("PATCH", "/v1/sessions/ses-lost", 204)
    with rt.session("ibm_pittsburgh") as session:
        assert session.id == "ses-lost"
    (lookup,) = api.calls("GET", "/v1/workloads")
    assert lookup.url.params["mode"] == "session" and lookup.url.params["user"] == "me"
    assert len(api.calls("PATCH", "/v1/sessions/ses-lost")) == 1  # and it is closed


def test_a_lost_session_creation_with_no_session_found_raises_the_original_error(
    rt: RuntimeClient, api: MockApi
) -> None:
    api.on("POST", "/v1/sessions", httpx.Response(502, text="Bad Gateway"))
    api.on("GET", "/v1/workloads", {"workloads": []})
    with pytest.raises(ServerError):
        rt.batch("ibm_pittsburgh")
    assert len(api.calls("POST", "/v1/sessions")) == 1  # never created twice


def test_a_session_creation_answer_without_an_id_is_a_typed_error_not_a_key_error(
    rt: RuntimeClient, api: MockApi
) -> None:
    api.on("POST", "/v1/sessions", {"mode": "batch"})  # 200, but which session?
    api.on("GET", "/v1/workloads", {"workloads": []})
    with pytest.raises(UnexpectedResponseError, match="carries no id"):
        rt.batch("ibm_pittsburgh")
    assert len(api.calls("POST", "/v1/sessions")) == 1
