"""qrmi, the Rust client HPC sites use (Python bindings), runs its whole round trip on the emulator.

qrmi is configured the documented way, through ``{resource}_QRMI_IBM_QCS_*`` variables; its
endpoint must end in ``/api/v1`` (it appends ``/jobs`` etc.). It reads results as a string and
refuses a body labelled ``application/json``: this test is what holds the text label in place.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from qiskit_runtime_emulator import Emulator, JobDelays

qrmi = pytest.importorskip("qrmi")

RESOURCE = "ibm_fez"
SAMPLER_QASM = (
    'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'
)
ESTIMATOR_QASM = 'OPENQASM 3.0; include "stdgates.inc"; qubit[2] q; x q[0];'
FINAL = ("Completed", "Failed", "Cancelled")


def _status(resource: Any, task: str) -> str:
    return str(resource.task_status(task)).rsplit(".", 1)[-1]  # TaskStatus.Completed


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(job_delays=JobDelays(queued=0.05, running=0.05), seed=21) as emu:
        yield emu


@pytest.fixture
def resource(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Any:
    settings = {
        "ENDPOINT": f"{emulator.base_url}/v1",
        "IAM_ENDPOINT": emulator.iam_url,
        "IAM_APIKEY": emulator.api_key,
        "SERVICE_CRN": emulator.crn,
        "SESSION_MODE": "batch",
        "TIMEOUT_SECONDS": "60",
    }
    for key, value in settings.items():
        monkeypatch.setenv(f"{RESOURCE}_QRMI_IBM_QCS_{key}", value)
    return qrmi.QuantumResource(RESOURCE, qrmi.ResourceType.IBMQuantumComputeService)


def _run(resource: Any, program_id: str, params: dict[str, Any]) -> dict[str, Any]:
    payload = qrmi.Payload.QiskitPrimitive(input=json.dumps(params), program_id=program_id)
    task = resource.task_start(payload)
    deadline = time.monotonic() + 60
    while (status := _status(resource, task)) not in FINAL:
        assert time.monotonic() < deadline, f"task {task} still {status}"
        time.sleep(0.05)
    assert status == "Completed", resource.task_logs(task)
    assert "Job completed" in resource.task_logs(task)
    result: dict[str, Any] = json.loads(resource.task_result(task).value)
    return result


def test_qrmi_acquires_runs_both_primitives_and_releases(resource: Any, emulator: Emulator) -> None:
    session = resource.acquire()
    assert emulator.service.store.sessions[session].mode == "batch"

    sampled = _run(resource, "sampler", {"pubs": [[SAMPLER_QASM, None, 200]], "version": 2})
    samples = sampled["results"][0]["data"]["c"]["samples"]
    assert Counter(int(sample, 16) for sample in samples) == {1: 200}  # x on qubit 0: 0b01

    estimated = _run(
        resource,
        "estimator",
        {"pubs": [[ESTIMATOR_QASM, {"IZ": 1.0}, None, 0.01]], "version": 2},
    )
    evs = estimated["results"][0]["data"]["evs"]
    assert evs == pytest.approx(-1.0, abs=0.05)  # <Z> of qubit 0 after x

    resource.release(session)
    deadline = time.monotonic() + 10
    while emulator.journal.count("PATCH", "/v1/sessions/{id}") == 0:
        assert time.monotonic() < deadline, "qrmi never closed its session"
        time.sleep(0.05)
    assert emulator.journal.count("POST", "/v1/jobs") == 2
    results = emulator.journal.entries("GET", "/v1/jobs/{id}/results")
    assert len(results) == 2 and all(entry.status == 200 for entry in results)
    assert {entry.headers.get("user-agent") for entry in results} != {None}
