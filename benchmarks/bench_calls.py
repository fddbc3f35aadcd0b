"""Per-call cost and job submission, against the emulator over loopback HTTP.

Per call: ``rt.jobs.get(id)`` and ``job.status()`` against the same requests made with a bare
``httpx.Client`` (the floor: one GET, one ``json()``), and against qiskit-ibm-runtime's
``service.job(id)`` and ``job.status()``; wall time and the client process's CPU time (the
emulator runs in its own process). The job stays Queued, so ``status()`` really polls.

Submission: jobs submitted one after another with ``rt.jobs.run_sampler`` (sync), all at once
with ``AsyncRuntimeClient`` (``asyncio.gather``), and with qiskit-ibm-runtime's
``SamplerV2.run``, against bare ``httpx`` POSTing the same envelope; with no added latency, and
with every API response delayed (the emulator's ``latency`` fault), where requests per job and
concurrency start to matter.
"""

from __future__ import annotations

import asyncio
import os
import time
import warnings
from collections.abc import Callable
from typing import Any

import httpx
from _emulator import EmulatorInfo, emulator_process
from _harness import Row, alternate, rows_against
from qiskit_runtime_rest import AsyncRuntimeClient, RuntimeClient

QASM = 'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'
API_VERSION = "2026-03-15"


def _bare_client(emu: EmulatorInfo) -> httpx.Client:
    """What a hand-written client does: one IAM exchange, then fixed headers on a pooled client."""
    token = httpx.post(
        emu.iam_url + "/identity/token",
        data={"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": emu.api_key},
    ).json()["access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "Service-CRN": emu.crn,
        "IBM-API-Version": API_VERSION,
    }
    return httpx.Client(base_url=emu.base_url, headers=headers)


def _qiskit_ibm_runtime(emu: EmulatorInfo) -> tuple[Any, Any, Any]:
    """(service, backend, an ISA circuit) for qiskit-ibm-runtime, bound to the emulator."""
    os.environ["IAM_URL"] = emu.iam_url
    os.environ["QISKIT_FUNCTIONS_EXPERIMENTAL"] = "1"  # lets it take a local URL
    warnings.filterwarnings("ignore")
    import logging

    from qiskit import QuantumCircuit
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime import QiskitRuntimeService

    logging.getLogger("qiskit_ibm_runtime").setLevel(logging.ERROR)
    service = QiskitRuntimeService(
        channel="ibm_cloud", token=emu.api_key, instance=emu.crn, url=emu.experimental_url
    )
    backend = service.backend("ibm_fez")
    circuit = QuantumCircuit(2, 2)
    circuit.x(0)
    circuit.measure([0, 1], [0, 1])
    isa = generate_preset_pass_manager(backend=backend, optimization_level=1).run(circuit)
    return service, backend, isa


def _per_call(
    repeat: int, call: Callable[[], Any], clock: Callable[[], float]
) -> Callable[[], float]:
    def measure() -> float:
        start = clock()
        for _ in range(repeat):
            call()
        return (clock() - start) / repeat

    return measure


def per_call(*, calls: int, rounds: int) -> list[Row]:
    rows: list[Row] = []
    with emulator_process() as emu:
        rt = RuntimeClient(
            api_key=emu.api_key, crn=emu.crn, base_url=emu.base_url, iam_url=emu.iam_url
        )
        bare = _bare_client(emu)
        service, _, _ = _qiskit_ibm_runtime(emu)
        job = rt.jobs.run_sampler("ibm_fez", [QASM], shots=100)
        job_id = job.id
        their_job = service.job(job_id)
        ops: dict[str, dict[str, Callable[[], Any]]] = {
            "GET /v1/jobs/{id}": {
                "bare httpx": lambda: bare.get(f"/v1/jobs/{job_id}").json(),
                "rt.jobs.get(id)": lambda: rt.jobs.get(job_id),
                "qiskit-ibm-runtime service.job(id)": lambda: service.job(job_id),
            },
            "job status": {
                "bare httpx": lambda: bare.get(
                    f"/v1/jobs/{job_id}", params={"exclude_params": "true"}
                ).json()["status"],
                "job.status()": job.status,
                "qiskit-ibm-runtime job.status()": their_job.status,
            },
        }
        try:
            for label, subjects in ops.items():
                for call in subjects.values():
                    call()  # warm: connections open, tokens fetched
                for clock_name, clock in (("wall", time.perf_counter), ("CPU", time.process_time)):
                    values = alternate(
                        {name: _per_call(calls, call, clock) for name, call in subjects.items()},
                        rounds,
                    )
                    for row in rows_against("per call", "bare httpx", values):
                        row.name = f"{row.name}, {clock_name}"
                        row.baseline = f"bare httpx {label}"
                        rows.append(row)
        finally:
            rt.close()
            bare.close()
    return rows


def submission(*, jobs: int, rounds: int, latency: float, their_share: int = 5) -> list[Row]:
    """``jobs`` submissions per client in all, split over ``rounds`` alternating rounds; for
    qiskit-ibm-runtime, whose jobs cost ten to twenty times more, one ``their_share``-th of
    them (its per-job figure is as steady; the whole run stays within its time budget)."""
    per_round = max(1, jobs // rounds)
    their_per_round = max(1, per_round // their_share)
    with emulator_process(latency=latency) as emu:
        rt = RuntimeClient(
            api_key=emu.api_key, crn=emu.crn, base_url=emu.base_url, iam_url=emu.iam_url
        )
        bare = _bare_client(emu)
        _, backend, isa = _qiskit_ibm_runtime(emu)
        from qiskit_ibm_runtime import SamplerV2

        sampler = SamplerV2(mode=backend)
        envelope = {
            "program_id": "sampler",
            "backend": "ibm_fez",
            "params": {"pubs": [[QASM]], "shots": 100, "version": 2},
        }

        def bare_sync() -> float:
            start = time.perf_counter()
            for _ in range(per_round):
                bare.post("/v1/jobs", json=envelope).raise_for_status()
            return (time.perf_counter() - start) / per_round

        def ours_sync() -> float:
            start = time.perf_counter()
            for _ in range(per_round):
                rt.jobs.run_sampler("ibm_fez", [QASM], shots=100)
            return (time.perf_counter() - start) / per_round

        async def submit_all(art: AsyncRuntimeClient) -> None:
            await asyncio.gather(
                *(art.jobs.run_sampler("ibm_fez", [QASM], shots=100) for _ in range(per_round))
            )

        async def ours_async_round() -> float:
            async with AsyncRuntimeClient(
                api_key=emu.api_key, crn=emu.crn, base_url=emu.base_url, iam_url=emu.iam_url
            ) as art:
                await art.jobs.run_sampler("ibm_fez", [QASM], shots=100)  # token, connections
                start = time.perf_counter()
                await submit_all(art)
                return (time.perf_counter() - start) / per_round

        def ours_async() -> float:
            return asyncio.run(ours_async_round())

        def theirs() -> float:
            start = time.perf_counter()
            for _ in range(their_per_round):
                sampler.run([isa], shots=100)
            return (time.perf_counter() - start) / their_per_round

        subjects = {
            "bare httpx": bare_sync,
            "rt.jobs.run_sampler, sync": ours_sync,
            "AsyncRuntimeClient, asyncio.gather": ours_async,
            f"qiskit-ibm-runtime SamplerV2.run ({their_per_round * rounds:,} jobs)": theirs,
        }
        try:
            rt.jobs.run_sampler("ibm_fez", [QASM], shots=100)
            bare.post("/v1/jobs", json=envelope).raise_for_status()
            sampler.run([isa], shots=100)
            values = alternate(subjects, rounds)
        finally:
            rt.close()
            bare.close()
    where = f"{latency * 1000:.0f} ms latency" if latency else "no added latency"
    rows = rows_against(f"submit {per_round * rounds:,} jobs", "bare httpx", values)
    for row in rows:
        row.name = f"{row.name}, {where}, per job"
        row.baseline = f"bare httpx POST, one by one, {where}"
    return rows
