"""The Job handle and its waiter, against a mock API and a fake clock (no real sleeping)."""

from __future__ import annotations

from typing import Any

import flavours
import httpx
import pytest
from qiskit_runtime_rest import Job, RuntimeClient
from qiskit_runtime_rest._constants import MAX_POLL_INTERVAL
from qiskit_runtime_rest._exceptions import (
    ConflictError,
    JobCancelledError,
    JobFailedError,
    JobTimeoutError,
    NotFoundError,
)
from qiskit_runtime_rest._status import JobStatus, parse_job_state
from qiskit_runtime_rest._waiters import Backoff

from .conftest import FakeClock, MockApi, job_body

JOB = "/v1/jobs/d6147vio8gvs73f0h130"
QASM = 'OPENQASM 3.0; include "stdgates.inc"; bit[2] meas; meas[0] = measure $1;'
SAMPLER_BODY = {
    "results": [{"data": {"meas": {"samples": ["0x3", "0x3", "0x2"]}}, "metadata": {}}],
    "metadata": {"version": 2},
}


def job(rt: RuntimeClient) -> Job[Any]:
    return flavours.job(rt, "d6147vio8gvs73f0h130", program_id="sampler")


def status_polls(api: MockApi) -> list[httpx.Request]:
    return api.calls("GET", JOB)


# --- status ----------------------------------------------------------------------------------


def test_status_parsing_covers_both_fields_and_camel_case() -> None:
    state = parse_job_state({"state": {"status": "Queued", "reason": "", "reasonCode": None}})
    assert state.status is JobStatus.QUEUED and state.reason is None
    state = parse_job_state(
        {"status": "Cancelled - Ran too long", "state": {"status": "Cancelled"}}
    )
    assert state.status is JobStatus.CANCELLED and state.ran_too_long
    assert parse_job_state({"state": {"status": "Paused"}}).status is JobStatus.UNKNOWN
    assert parse_job_state({"state": {"status": "Failed", "reasonCode": 1305}}).ran_too_long
    assert parse_job_state({"status": "COMPLETED"}).status is JobStatus.COMPLETED


def test_status_sends_exclude_params(rt: RuntimeClient, api: MockApi) -> None:
    api.on("GET", JOB, job_body("d6147vio8gvs73f0h130", "Running"))
    handle = job(rt)
    assert handle.status() is JobStatus.RUNNING
    assert status_polls(api)[0].url.params["exclude_params"] == "true"


def test_final_status_is_not_fetched_again(rt: RuntimeClient, api: MockApi) -> None:
    api.on("GET", JOB, job_body("d6147vio8gvs73f0h130", "Completed"))
    handle = job(rt)
    assert handle.status() is JobStatus.COMPLETED
    assert handle.status() is JobStatus.COMPLETED
    assert len(status_polls(api)) == 1


def test_unknown_status_is_exposed_as_unknown(rt: RuntimeClient, api: MockApi) -> None:
    api.on("GET", JOB, job_body("d6147vio8gvs73f0h130", "Hibernating"))
    assert job(rt).status() is JobStatus.UNKNOWN


# --- wait ------------------------------------------------------------------------------------


def test_wait_polls_with_backoff_until_completed(
    rt: RuntimeClient, api: MockApi, clock: FakeClock
) -> None:
    api.on(
        "GET",
        JOB,
        job_body("d6147vio8gvs73f0h130", "Queued"),
        job_body("d6147vio8gvs73f0h130", "Queued"),
        job_body("d6147vio8gvs73f0h130", "Running"),
        job_body("d6147vio8gvs73f0h130", "Completed"),
    )
    seen: list[JobStatus] = []
    handle = job(rt)
    assert handle.wait(callback=lambda j, s: seen.append(s)) is handle
    assert seen == [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.COMPLETED]  # changes only
    assert len(clock.sleeps) == 3
    assert 0.45 <= clock.sleeps[0] <= 0.5
    assert clock.sleeps[0] < clock.sleeps[1] < clock.sleeps[2]


def test_backoff_grows_to_a_cap() -> None:
    backoff = Backoff(rand=lambda: 0.0)
    delays = [backoff.next() for _ in range(20)]
    assert delays[0] == 0.5
    assert delays[1] == 0.75
    assert max(delays) == MAX_POLL_INTERVAL
    assert delays[-1] == MAX_POLL_INTERVAL
    jittered = Backoff(rand=lambda: 1.0)
    assert jittered.next() == pytest.approx(0.45)


def test_wait_timeout_is_honoured_and_leaves_the_job_alone(
    rt: RuntimeClient, api: MockApi, clock: FakeClock
) -> None:
    api.on("GET", JOB, job_body("d6147vio8gvs73f0h130", "Running"))
    with pytest.raises(JobTimeoutError, match="did not finish within 30 s") as info:
        job(rt).wait(timeout=30)
    assert info.value.job_id == "d6147vio8gvs73f0h130"
    assert info.value.timeout == 30
    assert clock.now == pytest.approx(30)  # the last sleep is cut to the deadline
    assert max(clock.sleeps) <= MAX_POLL_INTERVAL
    assert api.calls("POST") == [] and api.calls("DELETE") == []  # never cancelled


def test_zero_timeout_polls_once(rt: RuntimeClient, api: MockApi, clock: FakeClock) -> None:
    api.on("GET", JOB, job_body("d6147vio8gvs73f0h130", "Queued"))
    with pytest.raises(JobTimeoutError):
        job(rt).wait(timeout=0)
    assert len(status_polls(api)) == 1
    assert clock.sleeps == []


def test_wait_timeout_bounds_the_poll_request(rt: RuntimeClient, api: MockApi) -> None:
    seen_timeouts: list[Any] = []

    def capture(request: httpx.Request) -> dict[str, Any]:
        seen_timeouts.append(request.extensions.get("timeout"))
        return job_body("d6147vio8gvs73f0h130", "Completed")

    api.on("GET", JOB, capture)
    job(rt).wait(timeout=5)
    assert seen_timeouts[0]["read"] == pytest.approx(5)


def test_unknown_states_are_not_terminal(rt: RuntimeClient, api: MockApi) -> None:
    api.on(
        "GET",
        JOB,
        job_body("d6147vio8gvs73f0h130", "Validating"),
        job_body("d6147vio8gvs73f0h130", "Completed"),
    )
    seen: list[JobStatus] = []
    job(rt).wait(callback=lambda j, s: seen.append(s))
    assert seen == [JobStatus.UNKNOWN, JobStatus.COMPLETED]


def test_unknown_states_still_time_out(rt: RuntimeClient, api: MockApi) -> None:
    api.on("GET", JOB, job_body("d6147vio8gvs73f0h130", "Validating"))
    with pytest.raises(JobTimeoutError, match="last status Unknown"):
        job(rt).wait(timeout=12)


def test_failed_job_raises_with_reason_code_and_solution(rt: RuntimeClient, api: MockApi) -> None:
    api.on(
        "GET",
        JOB,
        job_body(
            "d6147vio8gvs73f0h130",
            "Failed",
            reason="Error in transpilation process.",
            reason_code=1003,
            reason_solution="Transpile the circuit for the backend first.",
        ),
    )
    with pytest.raises(JobFailedError) as info:
        job(rt).wait()
    error = info.value
    assert error.job_id == "d6147vio8gvs73f0h130"
    assert error.reason == "Error in transpilation process."
    assert error.reason_code == 1003
    assert error.reason_solution == "Transpile the circuit for the backend first."
    assert "reason code 1003" in str(error) and "solution: Transpile" in str(error)


def test_cancelled_job_raises(rt: RuntimeClient, api: MockApi) -> None:
    api.on("GET", JOB, job_body("d6147vio8gvs73f0h130", "Cancelled"))
    with pytest.raises(JobCancelledError, match="was cancelled"):
        job(rt).wait()


def test_reason_code_1305_means_it_ran_too_long(rt: RuntimeClient, api: MockApi) -> None:
    api.on(
        "GET",
        JOB,
        job_body(
            "d6147vio8gvs73f0h130",
            "Cancelled",
            top_status="Cancelled - Ran too long",
            reason="Job ran longer than the maximum execution time.",
            reason_code=1305,
        ),
    )
    with pytest.raises(JobFailedError, match="maximum execution time") as info:
        job(rt).wait()
    assert info.value.reason_code == 1305


def test_transient_poll_errors_do_not_end_the_wait(
    rt: RuntimeClient, api: MockApi, clock: FakeClock
) -> None:
    # Four 503s exhaust the transport's retries once; the waiter keeps going.
    api.on(
        "GET",
        JOB,
        503,
        503,
        503,
        503,
        job_body("d6147vio8gvs73f0h130", "Completed"),
    )
    job(rt).wait(timeout=60)
    assert len(status_polls(api)) == 5


def test_permanent_errors_end_the_wait(rt: RuntimeClient, api: MockApi) -> None:
    api.on("GET", JOB, httpx.Response(404, json={"errors": [{"code": "1", "message": "no"}]}))
    with pytest.raises(NotFoundError):
        job(rt).wait(timeout=60)


# --- results ---------------------------------------------------------------------------------


def test_result_waits_then_retries_a_204(rt: RuntimeClient, api: MockApi, clock: FakeClock) -> None:
    api.on(
        "GET",
        JOB,
        job_body("d6147vio8gvs73f0h130", "Running"),
        job_body("d6147vio8gvs73f0h130", "Completed"),
    )
    api.on("GET", JOB + "/results", 204, 204, SAMPLER_BODY)
    handle: Job[Any] = Job(
        rt, "d6147vio8gvs73f0h130", program_id="sampler", register_widths=[{"meas": 2}]
    )
    res = handle.result()
    assert res[0].data.meas.get_counts() == {"11": 2, "10": 1}
    assert len(api.calls("GET", JOB + "/results")) == 3
    assert handle.result() is res  # cached: private jobs' results can be read once
    assert len(api.calls("GET", JOB + "/results")) == 3


def test_result_timeout_covers_a_204_that_never_ends(
    rt: RuntimeClient, api: MockApi, clock: FakeClock
) -> None:
    api.on("GET", JOB, job_body("d6147vio8gvs73f0h130", "Completed"))
    api.on("GET", JOB + "/results", 204)
    with pytest.raises(JobTimeoutError, match="results of job"):
        job(rt).result(timeout=20)
    assert clock.now == pytest.approx(20)


def test_result_of_a_failed_job_raises(rt: RuntimeClient, api: MockApi) -> None:
    api.on("GET", JOB, job_body("d6147vio8gvs73f0h130", "Failed", reason="boom"))
    with pytest.raises(JobFailedError, match="boom"):
        job(rt).result()
    assert api.calls("GET", JOB + "/results") == []


def test_result_learns_register_widths_from_the_job_params(rt: RuntimeClient, api: MockApi) -> None:
    # A handle from rt.jobs.get() did not submit the circuit: its params tell the width, and are
    # fetched only because the results body has no num_bits.
    def job_details(request: httpx.Request) -> dict[str, Any]:
        extra = {} if "exclude_params" in request.url.params else {"params": {"pubs": [[QASM]]}}
        return job_body("d6147vio8gvs73f0h130", "Completed", **extra)

    api.on("GET", JOB, job_details)
    api.on("GET", JOB + "/results", {"results": [{"data": {"meas": {"samples": ["0x1"]}}}]})
    handle = rt.jobs.get("d6147vio8gvs73f0h130")
    assert api.requests[0].url.params["exclude_params"] == "true"
    assert handle.result()[0].data.meas.get_counts() == {"01": 1}
    assert "exclude_params" not in api.requests[-1].url.params


def test_private_jobs_are_not_asked_for_params(rt: RuntimeClient, api: MockApi) -> None:
    api.on("GET", JOB, job_body("d6147vio8gvs73f0h130", "Completed", private=True))
    api.on("GET", JOB + "/results", {"results": [{"data": {"meas": {"samples": ["0x1"]}}}]})
    handle = rt.jobs.get("d6147vio8gvs73f0h130")
    assert handle.result()[0].data.meas.get_counts() == {"1": 1}  # widest sample: 1 bit
    assert len(api.requests) == 2


# --- other operations ------------------------------------------------------------------------


def test_cancel_and_already_final(rt: RuntimeClient, api: MockApi) -> None:
    api.on(
        "POST",
        JOB + "/cancel",
        204,
        httpx.Response(
            409,
            json={"trace": "abc", "errors": [{"code": "1310", "message": "Job not cancellable"}]},
        ),
    )
    handle = job(rt)
    handle.cancel()
    with pytest.raises(ConflictError, match="already in a final state") as info:
        handle.cancel()
    assert info.value.status_code == 409 and info.value.trace == "abc"


def test_delete_logs_metrics_tags(rt: RuntimeClient, api: MockApi) -> None:
    api.on("DELETE", JOB, 204)
    api.on("GET", JOB + "/logs", httpx.Response(200, text="line 1\nline 2\n"))
    api.on("GET", JOB + "/metrics", {"timestamps": {"created": "2026-02-03T10:00:00Z"}})
    api.on("PUT", JOB + "/tags", 204)
    handle = job(rt)
    handle.delete()
    assert handle.logs() == "line 1\nline 2\n"
    assert api.calls("GET", JOB + "/logs")[0].headers["accept"] == "text/plain"
    assert handle.metrics()["timestamps"]["created"] == "2026-02-03T10:00:00Z"
    handle.set_tags(["exp-1", "exp-2"])
    assert api.body(api.calls("PUT")[0]) == {"tags": ["exp-1", "exp-2"]}
    assert handle.tags == ["exp-1", "exp-2"]


@pytest.mark.parametrize(
    "body",
    [
        # IBM-API-Version 2026-03-15: inside usage.
        {"usage": {"qpu_charge_time_seconds": 2, "circuits_execution_time_ns": 1500}},
        # 2026-04-15 and later: at the root.
        {"usage": {"qpu_charge_time_seconds": 2}, "circuits_execution_time_ns": 1500},
    ],
    ids=["2026-03-15", "2026-04-15"],
)
def test_metrics_read_the_execution_time_at_the_root_under_both_versions(
    rt: RuntimeClient, api: MockApi, body: dict[str, object]
) -> None:
    api.on("GET", JOB + "/metrics", body)
    metrics = job(rt).metrics()
    assert metrics["circuits_execution_time_ns"] == 1500
    assert metrics["usage"] == body["usage"]  # what the service sent stays as it was


def test_reason_fields_after_refresh(rt: RuntimeClient, api: MockApi) -> None:
    api.on(
        "GET",
        JOB,
        job_body(
            "d6147vio8gvs73f0h130",
            "Failed",
            reason="r",
            reason_code=1002,
            reason_solution="s",
            tags=["a"],
        ),
    )
    handle = job(rt).refresh()
    assert (handle.reason, handle.reason_code, handle.reason_solution) == ("r", 1002, "s")
    assert handle.tags == ["a"]
    assert handle.backend == "ibm_pittsburgh"
    assert "Failed" in repr(handle)
