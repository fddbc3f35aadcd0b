"""POST /v1/jobs: the envelope sent, and idempotent submission after ambiguous failures."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from qiskit_runtime_rest import JobSubmissionUnknownError, RuntimeClient
from qiskit_runtime_rest._constants import IDEMPOTENCY_LOOKUP_SETTLE, IDEMPOTENCY_TAG_PREFIX
from qiskit_runtime_rest._exceptions import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    InvalidInputError,
    ServerError,
)

from .conftest import FakeClock, MockApi, job_body

QASM = 'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'
CREATED = {"id": "d6147q3traac73bef6f0", "backend": "ibm_pittsburgh"}


def sent_tag(api: MockApi, index: int = 0) -> str:
    tags = api.body(api.calls("POST", "/v1/jobs")[index])["tags"]
    (tag,) = [t for t in tags if t.startswith(IDEMPOTENCY_TAG_PREFIX)]
    return str(tag)


def test_sampler_envelope(rt: RuntimeClient, api: MockApi) -> None:
    api.on("POST", "/v1/jobs", CREATED)
    job = rt.jobs.run_sampler(
        "ibm_pittsburgh",
        [QASM, (QASM, None, 500)],
        shots=1000,
        options={"twirling": {"enable_gates": True}},
        session="crw9kjy7jqmg008zp7mg",
        tags=["experiment-7"],
        max_execution_time=600,
        log_level="info",
        private=True,
    )
    assert job.id == "d6147q3traac73bef6f0" and job.backend == "ibm_pittsburgh"
    (request,) = api.calls("POST", "/v1/jobs")
    body = api.body(request)
    tag = sent_tag(api)
    assert body == {
        "program_id": "sampler",
        "backend": "ibm_pittsburgh",
        "params": {
            "pubs": [[QASM], [QASM, None, 500]],
            "version": 2,
            "shots": 1000,
            "options": {"twirling": {"enable_gates": True}},
        },
        "session_id": "crw9kjy7jqmg008zp7mg",
        "tags": ["experiment-7", tag],
        "cost": 600,
        "log_level": "info",
        "private": True,
    }
    assert len(tag) == len(IDEMPOTENCY_TAG_PREFIX) + 20 and len(tag) <= 86
    assert job.idempotency_tag == tag
    assert request.headers["authorization"] == "Bearer t"
    assert request.headers["service-crn"].startswith("crn:v1:")


def test_estimator_envelope_and_support_qiskit(rt: RuntimeClient, api: MockApi) -> None:
    api.on("POST", "/v1/jobs", CREATED)
    rt.jobs.run_estimator(
        "ibm_pittsburgh",
        [(QASM, {"IZI": 1, "IXI": 2.3}, None)],
        precision=0.01,
        resilience_level=2,
        support_qiskit=True,
        idempotency=False,
    )
    body = api.body(api.calls("POST", "/v1/jobs")[0])
    assert body["program_id"] == "estimator"
    assert body["params"] == {
        "pubs": [[QASM, {"IZI": 1, "IXI": 2.3}, None]],
        "version": 2,
        "precision": 0.01,
        "resilience_level": 2,
        "support_qiskit": True,
    }
    assert "tags" not in body  # idempotency=False adds no tag


def test_create_any_program(rt: RuntimeClient, api: MockApi) -> None:
    api.on("POST", "/v1/jobs", CREATED)
    params = {"circuits": [QASM], "options": {"max_layers_to_learn": 4}}
    job = rt.jobs.create("noise-learner", "ibm_pittsburgh", params, log_level="debug")
    body = api.body(api.calls("POST", "/v1/jobs")[0])
    assert body["program_id"] == "noise-learner"
    assert body["params"] == params
    assert body["log_level"] == "debug"
    assert job.program_id == "noise-learner"


def test_idempotency_tag_counts_against_the_limit(rt: RuntimeClient, api: MockApi) -> None:
    with pytest.raises(InvalidInputError, match="idempotency"):
        rt.jobs.run_sampler("ibm_pittsburgh", [QASM], tags=[f"t{i}" for i in range(8)])
    api.on("POST", "/v1/jobs", CREATED)
    rt.jobs.run_sampler(
        "ibm_pittsburgh", [QASM], tags=[f"t{i}" for i in range(8)], idempotency=False
    )
    assert len(api.body(api.calls("POST")[0])["tags"]) == 8


def test_read_timeout_then_lookup_finds_the_job(rt: RuntimeClient, api: MockApi) -> None:
    api.on("POST", "/v1/jobs", httpx.ReadTimeout("read timed out"))

    def listing(request: httpx.Request) -> dict[str, Any]:
        tag = request.url.params["tags"]
        row = job_body("d6147q3traac73bef6f0", "Queued", tags=[tag])
        return {"jobs": [row], "count": 1, "offset": 0, "limit": 200}

    api.on("GET", "/v1/jobs", listing)
    job = rt.jobs.run_sampler("ibm_pittsburgh", [QASM])
    assert job.id == "d6147q3traac73bef6f0"
    assert len(api.calls("POST", "/v1/jobs")) == 1  # never submitted twice
    (lookup,) = api.calls("GET", "/v1/jobs")
    assert lookup.url.params.get_list("tags") == [sent_tag(api)]
    assert job.last_status is not None


def test_server_error_and_no_job_found_resubmits_once_with_the_same_tag(
    rt: RuntimeClient, api: MockApi, clock: FakeClock
) -> None:
    api.on("POST", "/v1/jobs", httpx.Response(502, text="Bad Gateway"), CREATED)
    api.on("GET", "/v1/jobs", {"jobs": [], "count": 0, "offset": 0, "limit": 200})
    job = rt.jobs.run_sampler("ibm_pittsburgh", [QASM])
    assert job.id == "d6147q3traac73bef6f0"
    assert len(api.calls("POST", "/v1/jobs")) == 2
    assert sent_tag(api, 0) == sent_tag(api, 1)
    # Looked twice, a settle delay apart, before concluding no job exists.
    assert len(api.calls("GET", "/v1/jobs")) == 2
    assert IDEMPOTENCY_LOOKUP_SETTLE in clock.sleeps


def test_listing_rows_without_the_tag_do_not_count(rt: RuntimeClient, api: MockApi) -> None:
    # A server that ignored the filter must not make us adopt someone else's job.
    api.on("POST", "/v1/jobs", httpx.RemoteProtocolError("dropped"), CREATED)
    api.on("GET", "/v1/jobs", {"jobs": [job_body("other", "Queued", tags=["x"])], "count": 1})
    job = rt.jobs.run_sampler("ibm_pittsburgh", [QASM])
    assert job.id == "d6147q3traac73bef6f0"
    assert len(api.calls("POST", "/v1/jobs")) == 2


def test_two_ambiguous_failures_give_up_with_the_original_error(
    rt: RuntimeClient, api: MockApi
) -> None:
    api.on("POST", "/v1/jobs", httpx.Response(500, json={"errors": [{"message": "oops"}]}))
    api.on("GET", "/v1/jobs", {"jobs": [], "count": 0})
    with pytest.raises(ServerError, match="oops"):
        rt.jobs.run_sampler("ibm_pittsburgh", [QASM])
    assert len(api.calls("POST", "/v1/jobs")) == 2


def test_failed_lookup_reports_an_unknown_outcome_naming_the_tag(
    rt: RuntimeClient, api: MockApi
) -> None:
    api.on("POST", "/v1/jobs", httpx.ReadTimeout("read timed out"))
    api.on("GET", "/v1/jobs", httpx.ConnectError("no route to host"))
    with pytest.raises(JobSubmissionUnknownError) as info:
        rt.jobs.run_sampler("ibm_pittsburgh", [QASM])
    tag = sent_tag(api)
    assert info.value.idempotency_tag == tag
    assert tag in str(info.value) and "may or may not exist" in str(info.value)
    assert isinstance(info.value.__cause__, ApiTimeoutError)
    assert len(api.calls("POST", "/v1/jobs")) == 1


def test_connect_errors_never_left_so_no_lookup(rt: RuntimeClient, api: MockApi) -> None:
    # The transport retries connect errors for POST (nothing was sent) and then gives up.
    api.on("POST", "/v1/jobs", httpx.ConnectError("refused"))
    with pytest.raises(ApiConnectionError):
        rt.jobs.run_sampler("ibm_pittsburgh", [QASM])
    assert api.calls("GET", "/v1/jobs") == []


def test_client_errors_are_not_ambiguous(rt: RuntimeClient, api: MockApi) -> None:
    api.on(
        "POST",
        "/v1/jobs",
        httpx.Response(
            409,
            json={"errors": [{"code": "1217", "message": "usage exceeds instance limit"}]},
        ),
    )
    with pytest.raises(ApiError, match="usage exceeds"):
        rt.jobs.run_sampler("ibm_pittsburgh", [QASM])
    assert len(api.calls("POST")) == 1 and api.calls("GET") == []


def test_without_idempotency_an_ambiguous_failure_is_raised_as_is(
    rt: RuntimeClient, api: MockApi
) -> None:
    api.on("POST", "/v1/jobs", httpx.ReadTimeout("read timed out"))
    with pytest.raises(ApiTimeoutError):
        rt.jobs.run_sampler("ibm_pittsburgh", [QASM], idempotency=False)
    assert len(api.calls("POST")) == 1 and api.calls("GET") == []
