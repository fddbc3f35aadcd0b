"""The async twins: the same behaviour, awaited; wait_all polls concurrently."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from qiskit_runtime_rest import AsyncJob, AsyncRuntimeClient
from qiskit_runtime_rest._exceptions import JobCancelledError, JobTimeoutError
from qiskit_runtime_rest._status import JobStatus

from .conftest import FakeClock, MockApi, job_body

QASM = 'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'
SESSION = "crw9kjy7jqmg008zp7mg"
MakeClient = Callable[..., AsyncRuntimeClient]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_async_wait_result_and_callback(make_async_rt: MakeClient, api: MockApi) -> None:
    api.on("POST", "/v1/jobs", {"id": "a1", "backend": "ibm_pittsburgh"})
    api.on("GET", "/v1/jobs/a1", job_body("a1", "Queued"), job_body("a1", "Completed"))
    api.on(
        "GET",
        "/v1/jobs/a1/results",
        204,
        {"results": [{"data": {"c": {"samples": ["0x1", "0x1", "0x0"]}}}]},
    )
    seen: list[JobStatus] = []

    async def on_change(job: AsyncJob[Any], status: JobStatus) -> None:
        seen.append(status)

    async def main() -> Any:
        async with make_async_rt() as art:
            job = await art.jobs.run_sampler("ibm_pittsburgh", [QASM])
            await job.wait(callback=on_change)
            return await job.result()

    res = run(main())
    assert seen == [JobStatus.QUEUED, JobStatus.COMPLETED]
    assert res[0].data.c.get_counts() == {"01": 2, "00": 1}


def test_async_timeout_and_cancelled(
    make_async_rt: MakeClient, api: MockApi, clock: FakeClock
) -> None:
    api.on("GET", "/v1/jobs/slow", job_body("slow", "Running"))
    api.on("GET", "/v1/jobs/gone", job_body("gone", "Cancelled"))

    async def main() -> None:
        async with make_async_rt() as art:
            with pytest.raises(JobTimeoutError):
                await AsyncJob(art, "slow").wait(timeout=15)
            with pytest.raises(JobCancelledError):
                await AsyncJob(art, "gone").result()

    run(main())
    assert clock.now == pytest.approx(15)


def test_async_session_closes_on_an_exception(make_async_rt: MakeClient, api: MockApi) -> None:
    api.on("POST", "/v1/sessions", {"id": SESSION})
    api.on("PATCH", f"/v1/sessions/{SESSION}", 204)
    api.on("POST", "/v1/jobs", {"id": "a2", "backend": "ibm_pittsburgh", "session_id": SESSION})

    async def main() -> None:
        async with make_async_rt() as art:
            with pytest.raises(RuntimeError, match="inside"):
                async with art.session("ibm_pittsburgh") as s:
                    await s.run_estimator([(QASM, {"ZZ": 1.0})])
                    raise RuntimeError("inside")
            batch = await art.batch("ibm_pittsburgh")
            assert batch.mode == "batch"
            async with batch:
                pass

    run(main())
    assert len(api.calls("PATCH")) == 2
    assert api.body(api.calls("POST", "/v1/jobs")[0])["session_id"] == SESSION
    assert api.body(api.calls("POST", "/v1/sessions")[1])["mode"] == "batch"


def test_async_idempotent_submission(make_async_rt: MakeClient, api: MockApi) -> None:
    api.on("POST", "/v1/jobs", httpx.ReadTimeout("read timed out"))

    def listing(request: httpx.Request) -> dict[str, Any]:
        row = job_body("a3", "Queued", tags=[request.url.params["tags"]])
        return {"jobs": [row], "count": 1}

    api.on("GET", "/v1/jobs", listing)

    async def main() -> str:
        async with make_async_rt() as art:
            job = await art.jobs.run_sampler("ibm_pittsburgh", [QASM])
            return str(job.id)

    assert run(main()) == "a3"
    assert len(api.calls("POST")) == 1


def test_async_list_pages(make_async_rt: MakeClient, api: MockApi) -> None:
    first = {"jobs": [job_body(f"j{i}", "Completed") for i in range(200)], "count": 201}
    api.on("GET", "/v1/jobs", first, {"jobs": [job_body("last", "Completed")], "count": 201})

    async def main() -> list[str]:
        async with make_async_rt() as art:
            return [job.id async for job in art.jobs.list(session_id=SESSION)]

    ids = run(main())
    assert len(ids) == 201 and ids[-1] == "last"
    assert [r.url.params["offset"] for r in api.requests] == ["0", "200"]


def test_async_wait_all_polls_concurrently(
    make_async_rt: MakeClient, api: MockApi, clock: FakeClock
) -> None:
    # Fresh handles with no creation time are polled singly (concurrently) in the first round;
    # from then on one listing reports on all three.
    for name in ("x", "y", "z"):
        api.on("GET", f"/v1/jobs/{name}", job_body(name, "Running"))
    api.on("GET", "/v1/jobs", {"jobs": [job_body(name, "Completed") for name in "xyz"]})
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)  # let the other polls of this round start
        await asyncio.sleep(0)
        in_flight -= 1
        return api.handler(request)

    async def main() -> list[Any]:
        async with make_async_rt(handler) as art:
            jobs = [AsyncJob(art, name) for name in ("x", "y", "z")]
            return list(await art.jobs.wait_all(jobs, timeout=60))

    jobs = run(main())
    assert [j.last_status for j in jobs] == [JobStatus.COMPLETED] * 3
    assert peak == 3
    assert len(api.requests) == 4 and len(clock.sleeps) == 1


def test_async_wait_all_lists_a_session_once_per_round(
    make_async_rt: MakeClient, api: MockApi
) -> None:
    api.on(
        "GET",
        "/v1/jobs",
        {"jobs": [job_body(f"s{i}", "Running", session_id=SESSION) for i in range(3)]},
        {"jobs": [job_body(f"s{i}", "Completed", session_id=SESSION) for i in range(3)]},
    )
    changes: list[tuple[str, JobStatus]] = []

    async def on_change(job: AsyncJob[Any], status: JobStatus) -> None:
        changes.append((job.id, status))

    async def main() -> None:
        async with make_async_rt() as art:
            jobs = [
                AsyncJob(art, f"s{i}", details=job_body(f"s{i}", "Queued", session_id=SESSION))
                for i in range(3)
            ]
            await art.jobs.wait_all(jobs, callback=on_change)

    run(main())
    assert len(api.requests) == 2
    assert [r.url.params["session_id"] for r in api.requests] == [SESSION, SESSION]
    assert changes.count(("s2", JobStatus.COMPLETED)) == 1 and len(changes) == 6
