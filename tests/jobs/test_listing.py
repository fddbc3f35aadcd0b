"""rt.jobs.list (every page) and rt.jobs.wait_all (few requests per round)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import flavours
import httpx
import pytest
from qiskit_runtime_rest import Job, RuntimeClient
from qiskit_runtime_rest._constants import (
    LISTING_CLOCK_SKEW,
    LISTING_MISSES_BEFORE_POLL,
    WAIT_ALL_MAX_INTERVAL,
)
from qiskit_runtime_rest._exceptions import JobTimeoutError
from qiskit_runtime_rest._status import JobStatus

from .conftest import FakeClock, MockApi, job_body


def paged(total: int) -> Any:
    def page(request: httpx.Request) -> dict[str, Any]:
        offset = int(request.url.params["offset"])
        limit = int(request.url.params["limit"])
        rows = [
            job_body(f"job{i:04d}", "Completed") for i in range(offset, min(total, offset + limit))
        ]
        return {"jobs": rows, "count": total, "offset": offset, "limit": limit}

    return page


def test_list_iterates_every_page(rt: RuntimeClient, api: MockApi) -> None:
    api.on("GET", "/v1/jobs", paged(450))
    jobs = list(
        rt.jobs.list(
            backend="ibm_pittsburgh",
            pending=False,
            tags=["a", "b"],
            created_after=datetime(2026, 1, 1, tzinfo=UTC),
            sort="asc",
        )
    )
    assert [j.id for j in jobs] == [f"job{i:04d}" for i in range(450)]
    offsets = [r.url.params["offset"] for r in api.requests]
    assert offsets == ["0", "200", "400"]
    first = api.requests[0].url.params
    assert first["limit"] == "200"
    assert first["backend"] == "ibm_pittsburgh"
    assert first["pending"] == "false"
    assert first.get_list("tags") == ["a", "b"]
    assert first["created_after"].startswith("2026-01-01T00:00:00")
    assert first["sort"] == "ASC"
    assert jobs[0].last_status is JobStatus.COMPLETED


def test_list_sends_naive_datetimes_as_utc_like_every_other_listing(
    rt: RuntimeClient, api: MockApi
) -> None:
    api.on("GET", "/v1/jobs", {"jobs": [], "count": 0})
    list(rt.jobs.list(created_before=datetime(2026, 1, 2, 3, 4, 5), created_after="2026-01-01"))
    params = api.requests[0].url.params
    assert params["created_before"] == "2026-01-02T03:04:05Z"
    assert params["created_after"] == "2026-01-01"  # strings pass through
    assert "backend" not in params and "tags" not in params  # unset filters are not sent


def test_list_limit_stops_early(rt: RuntimeClient, api: MockApi) -> None:
    api.on("GET", "/v1/jobs", paged(1000))
    assert len(list(rt.jobs.list(limit=250))) == 250
    assert len(api.requests) == 2


def test_list_is_lazy_and_handles_an_exact_page(rt: RuntimeClient, api: MockApi) -> None:
    api.on("GET", "/v1/jobs", paged(200))
    iterator = rt.jobs.list()
    assert api.requests == []
    assert len(list(iterator)) == 200
    assert len(api.requests) == 1  # `count` says there is nothing after the first page


def test_list_without_count_stops_on_an_empty_page(rt: RuntimeClient, api: MockApi) -> None:
    api.on(
        "GET", "/v1/jobs", {"jobs": [job_body(f"j{i}", "Queued") for i in range(200)]}, {"jobs": []}
    )
    assert len(list(rt.jobs.list())) == 200
    assert len(api.requests) == 2


# --- wait_all --------------------------------------------------------------------------------

BELL = 'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; h $0; cx $0, $1; c = measure $0, $1;'


def test_a_round_lists_from_the_oldest_pending_job_narrowed_by_what_the_jobs_share(
    rt: RuntimeClient, api: MockApi
) -> None:
    api.on("GET", "/v1/jobs", {"jobs": []})
    api.on("GET", "/v1/jobs/fresh", job_body("fresh", "Completed"))
    jobs = [
        flavours.job(
            rt,
            f"t{i}",
            details=job_body(
                f"t{i}",
                "Queued",
                session_id="s1",
                tags=["sweep", f"qrr-idem-{i}"],
                created=f"2026-02-03T10:0{i}:00Z",
            ),
        )
        for i in range(3)
    ]
    with pytest.raises(JobTimeoutError):
        rt.jobs.wait_all(jobs, timeout=0)
    (listing,) = api.calls("GET", "/v1/jobs")
    assert dict(listing.url.params) == {
        "created_after": "2026-02-03T09:59:59Z",  # a second before the oldest pending job
        "sort": "ASC",
        "exclude_params": "true",
        "backend": "ibm_pittsburgh",
        "session_id": "s1",
        "tags": "sweep",  # shared; the per-job idempotency tags never are
        "limit": "200",
        "offset": "0",
    }


def test_jobs_fresh_from_submission_are_listed_from_their_submission_time(
    rt: RuntimeClient, api: MockApi
) -> None:
    api.on("POST", "/v1/jobs", {"id": "new", "backend": "ibm_fez"})
    api.on("GET", "/v1/jobs", {"jobs": [job_body("new", "Completed", backend="ibm_fez")]})
    before = datetime.now(UTC)
    job = rt.jobs.run_sampler("ibm_fez", [BELL])
    rt.jobs.wait_all([job])
    (listing,) = api.calls("GET", "/v1/jobs")
    after = datetime.fromisoformat(listing.url.params["created_after"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=LISTING_CLOCK_SKEW + 1) < after < before
    assert listing.url.params["backend"] == "ibm_fez"
    assert job.last_status is JobStatus.COMPLETED
    assert api.calls("GET", "/v1/jobs/new") == []  # its final state came from the listing row


def session_jobs(rt: RuntimeClient, n: int) -> list[Job[Any]]:
    return [
        flavours.job(rt, f"j{i}", details=job_body(f"j{i}", "Queued", session_id="s1"))
        for i in range(n)
    ]


def test_wait_all_uses_one_listing_per_round(
    rt: RuntimeClient, api: MockApi, clock: FakeClock
) -> None:
    rounds = [
        ["Queued", "Queued", "Running", "Queued", "Queued"],
        ["Running", "Completed", "Running", "Running", "Queued"],
        ["Completed", "Completed", "Failed", "Completed", "Cancelled"],
    ]
    api.on(
        "GET",
        "/v1/jobs",
        *[
            {"jobs": [job_body(f"j{i}", s, session_id="s1") for i, s in enumerate(r)], "count": 5}
            for r in rounds
        ],
    )
    jobs = session_jobs(rt, 5)
    changes: list[tuple[str, JobStatus]] = []
    progress: list[tuple[int, int]] = []
    done = rt.jobs.wait_all(
        jobs,
        callback=lambda j, s: changes.append((j.id, s)),
        progress=lambda final, total: progress.append((final, total)),
    )
    assert done == jobs
    assert len(api.requests) == 3  # 3 rounds x 1 listing, instead of up to 15 single polls
    assert progress == [(0, 5), (1, 5), (5, 5)]
    assert all(r.url.params["session_id"] == "s1" for r in api.requests)
    assert all(r.url.params["exclude_params"] == "true" for r in api.requests)
    assert [j.last_status for j in jobs] == [
        JobStatus.COMPLETED,
        JobStatus.COMPLETED,
        JobStatus.FAILED,
        JobStatus.COMPLETED,
        JobStatus.CANCELLED,
    ]
    assert ("j1", JobStatus.COMPLETED) in changes and changes.count(
        ("j1", JobStatus.COMPLETED)
    ) == 1
    assert len(clock.sleeps) == 2


def test_wait_all_polls_singly_what_a_listing_keeps_missing(
    rt: RuntimeClient, api: MockApi
) -> None:
    api.on("GET", "/v1/jobs", {"jobs": [job_body("j0", "Completed", session_id="s1")], "count": 1})
    api.on("GET", "/v1/jobs/j1", job_body("j1", "Completed"))
    api.on("GET", "/v1/jobs/lonely", job_body("lonely", "Completed"))
    # `lonely` has no creation time to list it by: polled at once. j1 is missing from the
    # listing: listed again (a listing may lag), then polled on its own.
    jobs = [*session_jobs(rt, 2), flavours.job(rt, "lonely")]
    rt.jobs.wait_all(jobs)
    assert len(api.calls("GET", "/v1/jobs")) == LISTING_MISSES_BEFORE_POLL
    assert len(api.calls("GET", "/v1/jobs/j1")) == 1
    assert len(api.calls("GET", "/v1/jobs/lonely")) == 1


def test_a_job_polled_on_its_own_no_longer_pulls_the_listing_window_back(
    rt: RuntimeClient, api: MockApi
) -> None:
    ghost = job_body("ghost", "Queued", created="2026-02-03T09:00:00Z")
    running = {"jobs": [job_body("j0", "Running")]}
    api.on("GET", "/v1/jobs", running, running, {"jobs": [job_body("j0", "Completed")]})
    api.on("GET", "/v1/jobs/ghost", job_body("ghost", "Completed"))
    jobs = [
        flavours.job(rt, "ghost", details=ghost),
        flavours.job(rt, "j0", details=job_body("j0", "Queued")),
    ]
    rt.jobs.wait_all(jobs)
    windows = [r.url.params["created_after"] for r in api.calls("GET", "/v1/jobs")]
    # The ghost, missed twice, is polled on its own; the listing then starts from j0.
    assert windows == ["2026-02-03T08:59:59Z"] * 2 + ["2026-02-03T09:59:59Z"]
    assert len(api.calls("GET", "/v1/jobs/ghost")) == 1


def test_wait_all_through_an_outage_past_its_deadline_times_out(
    rt: RuntimeClient, api: MockApi
) -> None:
    api.on("GET", "/v1/jobs", httpx.Response(503, json={"errors": [{"message": "down"}]}))
    with pytest.raises(JobTimeoutError, match="1 of 1 jobs"):
        rt.jobs.wait_all(session_jobs(rt, 1), timeout=5)


def test_wait_all_waits_through_failed_rounds_like_a_single_wait(
    rt: RuntimeClient, api: MockApi, clock: FakeClock
) -> None:
    outage = httpx.Response(503, json={"errors": [{"message": "restarting"}]})
    done = {"jobs": [job_body(f"j{i}", "Completed", session_id="s1") for i in range(3)]}
    api.on("GET", "/v1/jobs", *[outage] * 12, done)
    jobs = session_jobs(rt, 3)
    assert rt.jobs.wait_all(jobs) == jobs  # no deadline: an outage is waited through
    assert all(job.last_status is JobStatus.COMPLETED for job in jobs)
    assert max(clock.sleeps) <= WAIT_ALL_MAX_INTERVAL


def test_wait_all_times_out_naming_the_pending_jobs(
    rt: RuntimeClient, api: MockApi, clock: FakeClock
) -> None:
    api.on(
        "GET",
        "/v1/jobs",
        {
            "jobs": [
                job_body("j0", "Completed", session_id="s1"),
                job_body("j1", "Running", session_id="s1"),
            ],
            "count": 2,
        },
    )
    with pytest.raises(JobTimeoutError, match=r"1 of 2 jobs.*Still pending: j1"):
        rt.jobs.wait_all(session_jobs(rt, 2), timeout=25)
    assert clock.now == pytest.approx(25)


def test_wait_all_on_final_jobs_sends_nothing(rt: RuntimeClient, api: MockApi) -> None:
    job = flavours.job(rt, "done", details=job_body("done", "Completed"))
    assert rt.jobs.wait_all([job]) == [job]
    assert api.requests == []


def test_wait_all_lists_by_a_shared_tag(rt: RuntimeClient, api: MockApi) -> None:
    api.on(
        "GET",
        "/v1/jobs",
        {"jobs": [job_body(f"t{i}", "Completed", tags=["sweep-3"]) for i in range(4)]},
    )
    jobs = [
        flavours.job(rt, f"t{i}", details=job_body(f"t{i}", "Queued", tags=["sweep-3"]))
        for i in range(4)
    ]
    rt.jobs.wait_all(jobs)
    (request,) = api.requests
    assert request.url.params.get_list("tags") == ["sweep-3"]
    assert all(j.last_status is JobStatus.COMPLETED for j in jobs)
