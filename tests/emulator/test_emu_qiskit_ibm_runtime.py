"""The acceptance test: IBM's own qiskit-ibm-runtime, unmodified, against the emulator.

qiskit-ibm-runtime keeps a URL that contains "experimental" as it is (no CRN-derived host), takes
IAM from ``IAM_URL``, and with ``QISKIT_FUNCTIONS_EXPERIMENTAL`` set skips the IBM Cloud global
search it would otherwise use to check the instance. Results are decoded by its own decoder.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from qiskit_runtime_emulator import Emulator, JobDelays

runtime = pytest.importorskip("qiskit_ibm_runtime")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def service() -> Iterator[Any]:
    with (
        Emulator(job_delays=JobDelays(queued=0.05, running=0.05), seed=11) as emu,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv("IAM_URL", emu.iam_url)
        patch.setenv("QISKIT_FUNCTIONS_EXPERIMENTAL", "1")
        yield runtime.QiskitRuntimeService(
            channel="ibm_cloud", token=emu.api_key, instance=emu.crn, url=emu.experimental_url
        )


@pytest.fixture(scope="module")
def backend(service: Any) -> Any:
    return service.backend("ibm_fez")


def _isa(circuit: Any, backend: Any) -> Any:
    from qiskit.transpiler import generate_preset_pass_manager

    manager = generate_preset_pass_manager(backend=backend, optimization_level=1, seed_transpiler=5)
    return manager.run(circuit)


def _bell(measure: bool = True) -> Any:
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    if measure:
        circuit.measure_all()
    return circuit


def test_the_service_sees_the_emulated_fleet(service: Any, backend: Any) -> None:
    assert [b.name for b in service.backends()] == ["ibm_fez", "ibm_pittsburgh", "ibm_emulator"]
    assert backend.num_qubits == 156
    assert backend.target.num_qubits == 156
    assert "cz" in backend.target.operation_names
    assert backend.properties().t1(0) > 0
    assert backend.status().operational is True
    assert service.least_busy().name in ("ibm_fez", "ibm_pittsburgh", "ibm_emulator")


def test_sampler_in_job_mode(service: Any, backend: Any) -> None:
    job = runtime.SamplerV2(mode=backend).run([_isa(_bell(), backend)], shots=300)
    result = job.result()

    counts = result[0].data.meas.get_counts()
    assert set(counts) == {"00", "11"}
    assert sum(counts.values()) == 300
    assert job.status() == "DONE"
    assert "execution_spans" in result.metadata["execution"]
    assert job.metrics()["usage"]["status"] == "complete"
    assert "Job completed" in job.logs()
    assert service.job(job.job_id()).status() == "DONE"


def test_sampler_in_session_mode(backend: Any) -> None:
    circuit = _isa(_bell(), backend)
    with runtime.Session(backend=backend, max_time=600) as session:
        sampler = runtime.SamplerV2(mode=session)
        first = sampler.run([circuit], shots=50).result()
        second = sampler.run([(circuit, None, 70)]).result()
        assert session.session_id
        assert session.details()["mode"] == "dedicated"
        assert session.details()["max_time"] == 600
        assert session.status() == "In progress, accepting new jobs"
    assert sum(first[0].data.meas.get_counts().values()) == 50
    assert sum(second[0].data.meas.get_counts().values()) == 70
    assert session.details()["state"] == "closed"


def test_sampler_in_batch_mode(service: Any, backend: Any) -> None:
    circuit = _isa(_bell(), backend)
    with runtime.Batch(backend=backend) as batch:
        sampler = runtime.SamplerV2(mode=batch)
        jobs = [sampler.run([circuit], shots=40) for _ in range(3)]
        results = [job.result() for job in jobs]
        assert batch.details()["mode"] == "batch"
    assert all(set(r[0].data.meas.get_counts()) <= {"00", "11"} for r in results)
    assert {job.session_id for job in jobs} == {batch.session_id}
    listed = service.jobs(session_id=batch.session_id)
    assert {job.job_id() for job in listed} == {job.job_id() for job in jobs}


def test_parametrized_sampler(backend: Any) -> None:
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    theta = Parameter("theta")
    circuit = QuantumCircuit(1)
    circuit.rx(theta, 0)
    circuit.measure_all()
    values = np.array([[0.0], [np.pi]])
    result = runtime.SamplerV2(mode=backend).run([(_isa(circuit, backend), values, 25)]).result()
    bits = result[0].data.meas
    assert bits.shape == (2,)
    assert bits[0].get_counts() == {"0": 25}
    assert bits[1].get_counts() == {"1": 25}


def test_estimator(backend: Any) -> None:
    from qiskit.quantum_info import SparsePauliOp

    circuit = _isa(_bell(measure=False), backend)
    observables = [
        SparsePauliOp(label).apply_layout(circuit.layout) for label in ("ZZ", "XX", "ZI")
    ]
    estimator = runtime.EstimatorV2(mode=backend)
    estimator.options.default_precision = 0.005
    result = estimator.run([(circuit, observables)]).result()

    evs = result[0].data.evs
    assert evs.shape == (3,)
    assert evs == pytest.approx([1.0, 1.0, 0.0], abs=0.03)
    assert result[0].data.stds == pytest.approx([0.005] * 3)
    assert result[0].metadata["target_precision"] == 0.005


def test_a_failing_job_reports_its_reason(backend: Any) -> None:
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(1, 2)
    circuit.measure(0, 0)
    circuit.x(0)  # a gate after a measurement: mid-circuit measurement
    circuit.measure(0, 1)
    job = runtime.SamplerV2(mode=backend).run([_isa(circuit, backend)])
    with pytest.raises(runtime.RuntimeJobFailureError, match="mid-circuit"):
        job.result()
    assert job.status() == "ERROR"
