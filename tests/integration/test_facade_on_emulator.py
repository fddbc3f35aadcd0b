"""Every facade call, once, over real loopback HTTP against the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

pytest.importorskip("qiskit_runtime_emulator._app", reason="needs the [local] extra")

from qiskit_runtime_rest import (
    AsyncRuntimeClient,
    ConflictError,
    EstimatorResult,
    InvalidInputError,
    JobFailedError,
    JobStatus,
    NotFoundError,
    RuntimeClient,
    SamplerResult,
)

ONE = 'OPENQASM 3.0; include "stdgates.inc"; bit[1] c; x $0; c[0] = measure $0;'
TWO = 'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'


@pytest.fixture(scope="module")
def rt() -> Iterator[RuntimeClient]:
    with RuntimeClient.local(job_delays=0.05, seed=11) as client:
        yield client


def test_identity_versions_and_catalog(rt: RuntimeClient) -> None:
    assert (rt.authenticate() or 0) > 0
    assert rt.api_version in {v.version for v in rt.versions()}
    backends = {b.name: b for b in rt.backends.list()}
    assert "ibm_fez" in backends and backends["ibm_fez"].num_qubits == 156
    assert rt.backends.status("ibm_fez").state is True
    assert rt.backends.configuration("ibm_fez")["n_qubits"] == 156
    assert rt.backends.properties("ibm_fez")["qubits"]
    assert isinstance(rt.backends.defaults("ibm_fez"), dict)
    with pytest.raises(NotFoundError):
        rt.backends.status("ibm_nowhere")


def test_instance_account_analytics_and_raw(rt: RuntimeClient) -> None:
    assert rt.instance.get() is not None
    rt.instance.set_limit(3600)
    assert rt.instance.configuration().instance_limit == 3600
    rt.instance.set_limit(None)
    assert rt.instance.usage().usage_consumed_seconds is not None
    account = rt.accounts.get()
    assert account["plans"]
    assert isinstance(rt.analytics.usage(), dict)
    assert "data" in rt.analytics.usage_grouped(group_by="backend")
    assert "data" in rt.analytics.usage_grouped_by_date(group_by="instance")
    assert "backends" in rt.analytics.filters()

    from qiskit_runtime_api.api.backends import list_backends

    response = list_backends.sync_detailed(client=rt.raw)
    assert response.status_code == 200
    assert {device.name for device in response.parsed.devices} >= {"ibm_fez"}  # type: ignore[union-attr]


def test_job_lifecycle(rt: RuntimeClient) -> None:
    job = rt.jobs.run_sampler("ibm_fez", [ONE, (TWO, None, 20)], shots=10, tags=["it-lifecycle"])
    result = job.result(timeout=60)
    assert isinstance(result, SamplerResult)
    assert result[0].data.c.get_counts() == {"1": 10}
    assert result[1].data.c.get_int_counts() == {1: 20}
    assert job.status() is JobStatus.COMPLETED
    assert job.refresh().last_status is JobStatus.COMPLETED
    assert "it-lifecycle" in job.tags
    job.set_tags(["it-lifecycle", "renamed"])
    assert set(rt.jobs.get(job.id).tags) >= {"it-lifecycle", "renamed"}
    assert "renamed" in rt.tags.search("renam")
    assert isinstance(job.logs(), str)
    assert isinstance(job.metrics(), dict)
    assert job.id in {j.id for j in rt.jobs.list(tags=["renamed"])}
    assert any(w.id == job.id for w in rt.workloads.list(limit=50))
    with pytest.raises(ConflictError):
        job.cancel()  # already final
    job.delete()
    with pytest.raises(NotFoundError):
        rt.jobs.get(job.id).status()


def test_estimator_and_generic_create(rt: RuntimeClient) -> None:
    estimator = rt.jobs.run_estimator("ibm_fez", [(TWO, {"II": 1, "ZZ": 2.3})], precision=0.01)
    result = estimator.result(timeout=60)
    assert isinstance(result, EstimatorResult)
    assert result[0].evs == pytest.approx(-1.3, abs=0.1)
    generic = rt.jobs.create("sampler", "ibm_fez", {"pubs": [[ONE]], "version": 2, "shots": 5})
    assert generic.wait(timeout=60).status() is JobStatus.COMPLETED


def test_failures_and_validation(rt: RuntimeClient) -> None:
    broken = rt.jobs.run_sampler("ibm_fez", ["OPENQASM 3.0; this is not qasm;"])
    with pytest.raises(JobFailedError) as failed:
        broken.wait(timeout=60)
    assert failed.value.reason_code is not None and failed.value.reason
    with pytest.raises(InvalidInputError):
        rt.jobs.run_sampler("ibm_fez", [ONE], shots=0)


def test_session_and_batch(rt: RuntimeClient) -> None:
    with rt.session("ibm_fez", max_ttl=600) as session:
        job = session.run_sampler([ONE], shots=5)
        details = session.details()
        assert details.accepting_jobs is True and details.mode == "dedicated"
        assert rt.sessions.get(session.id).id == session.id
        assert job.session_id == session.id
        done = rt.jobs.wait_all([job, session.run_estimator([(ONE, "Z")])], timeout=60)
        assert len(done) == 2
    assert session.details().accepting_jobs is False
    with rt.batch("ibm_fez") as batch:
        batch.run_sampler([ONE], shots=5).wait(timeout=60)
        batch.cancel()
    assert batch.details().state == "closed"


def test_a_session_closes_when_the_block_raises(rt: RuntimeClient) -> None:
    with pytest.raises(RuntimeError, match="boom"), rt.session("ibm_fez") as session:
        raise RuntimeError("boom")
    assert session.details().accepting_jobs is False


def test_the_async_twin() -> None:
    async def scenario() -> tuple[dict[str, int], float, bool]:
        async with AsyncRuntimeClient.local(job_delays=0.05) as art:
            assert "ibm_fez" in {b.name for b in await art.backends.list()}
            async with art.session("ibm_fez") as session:
                sampler = await session.run_sampler([ONE], shots=8)
                estimator = await session.run_estimator([(TWO, {"ZZ": 1})])
                await art.jobs.wait_all([sampler, estimator], timeout=60)
                counts = (await sampler.result())[0].data.c.get_counts()
                evs = (await estimator.result())[0].evs
            accepting = (await session.details()).accepting_jobs
            return counts, evs, bool(accepting)

    counts, evs, accepting = asyncio.run(scenario())
    assert counts == {"1": 8}
    assert evs == pytest.approx(-1.0, abs=0.1)
    assert accepting is False
