"""Shapes other clients rely on: IBM's own device snapshots, ibm-quantum-schemas' result models,
qiskit-ibm-runtime's scheduling and twirling, and the text label of results."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from emulator_helpers import SEED_QASM, Api
from qiskit_runtime_emulator import Emulator, JobDelays

runtime = pytest.importorskip("qiskit_ibm_runtime")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SNAPSHOTS = Path(runtime.__file__).parent / "fake_provider" / "backends"
# Keys IBM's snapshot has that the emulator leaves out: all null or "None" there, or pulse-era.
OMITTED_CONFIG_KEYS = {
    "clops",
    "clops_v",
    "discriminators",
    "meas_kernels",
    "meas_levels",
    "quantum_volume",
    "url",
}


def _snapshot(device: str, kind: str) -> dict[str, Any]:
    short = device.removeprefix("ibm_")
    document: dict[str, Any] = json.loads((SNAPSHOTS / short / f"{kind}_{short}.json").read_text())
    return document


def _kind(value: Any) -> str:
    # JSON numbers are one kind: the snapshots write 4.0 where the spec says int32.
    return (
        "number"
        if isinstance(value, int | float) and not isinstance(value, bool)
        else (type(value).__name__)
    )


@pytest.mark.parametrize("device", ["ibm_fez", "ibm_pittsburgh"])
def test_configuration_has_the_snapshot_structure(api: Api, device: str) -> None:
    ours = api.get(f"/backends/{device}/configuration").json()
    theirs = _snapshot(device, "conf")
    if device == "ibm_fez":  # fez's snapshot still carries its pulse-era keys
        theirs = {k: v for k, v in theirs.items() if k in _snapshot("ibm_pittsburgh", "conf")}
    assert set(theirs) - set(ours) == OMITTED_CONFIG_KEYS
    # u_channel_lo is required by the spec (fez's snapshot has it, pittsburgh's does not).
    assert set(ours) - set(theirs) == {"u_channel_lo"}
    for key in set(theirs) - OMITTED_CONFIG_KEYS:
        assert _kind(ours[key]) == _kind(theirs[key]), key
    for key in ("dt", "dtm", "timing_constraints", "processor_type", "supported_instructions"):
        assert ours[key] == theirs[key], key
    assert ours["sample_name"] == theirs["sample_name"]
    assert [gate["name"] for gate in ours["gates"]] == [gate["name"] for gate in theirs["gates"]]


@pytest.mark.parametrize("device", ["ibm_fez", "ibm_pittsburgh"])
def test_properties_have_the_snapshot_structure(api: Api, device: str) -> None:
    ours = api.get(f"/backends/{device}/properties").json()
    theirs = _snapshot(device, "props")
    assert set(ours) == set(theirs)
    assert [n["name"] for n in ours["qubits"][0]] == [n["name"] for n in theirs["qubits"][0]]
    our_gates = {gate["gate"] for gate in ours["gates"]}
    assert {"reset", "rx", "rzz", "cz", "sx", "x", "id", "rz", "measure"} <= our_gates
    assert our_gates <= {gate["gate"] for gate in _snapshot("ibm_pittsburgh", "props")["gates"]}
    assert len(ours["general"]) == len(theirs["general"]) == 449
    assert {n["name"].split("_")[0] for n in ours["general"]} == {"jq", "zz", "lf"}
    assert [q["name"] for q in ours["general_qlists"]] == [
        q["name"] for q in theirs["general_qlists"]
    ]


def test_results_are_labelled_text_and_every_client_reads_them(api: Api) -> None:
    job = api.wait(api.submit("sampler", [[SEED_QASM, None, 20]]))
    response = api.get(f"/jobs/{job['id']}/results")
    assert response.headers["content-type"].startswith("text/plain")
    assert json.loads(response.text)["results"][0]["data"]["c"]["num_bits"] == 2

    # The generated client parses the body whatever its label.
    from qiskit_runtime_api.api.jobs import get_job_results
    from qiskit_runtime_rest import RuntimeClient

    emu = api.emulator
    with RuntimeClient(
        api_key=emu.api_key, crn=emu.crn, base_url=emu.base_url, iam_url=emu.iam_url
    ) as rt:
        raw = get_job_results.sync(id=job["id"], client=rt.raw)
        assert isinstance(raw, dict) and raw["results"][0]["data"]["c"]["samples"]
        # And the facade decodes it (it reads the bytes, not the label).
        result = rt.jobs.get(job["id"]).result()
        assert sum(result[0].data.c.get_counts().values()) == 20


# ------------------------------------------------------------------------------------------------
# qiskit-ibm-runtime: scheduling with dynamical decoupling, twirling, ZNE, ibm-quantum-schemas


@pytest.fixture(scope="module")
def service() -> Iterator[Any]:
    with (
        Emulator(job_delays=JobDelays(queued=0.02, running=0.02), seed=5) as emu,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv("IAM_URL", emu.iam_url)
        patch.setenv("QISKIT_FUNCTIONS_EXPERIMENTAL", "1")
        yield runtime.QiskitRuntimeService(
            channel="ibm_cloud", token=emu.api_key, instance=emu.crn, url=emu.experimental_url
        )


def _ghz(n: int) -> Any:
    from qiskit import QuantumCircuit

    circuit = QuantumCircuit(n)
    circuit.h(0)
    for q in range(n - 1):
        circuit.cx(q, q + 1)
    circuit.measure_all()
    return circuit


@pytest.mark.parametrize("name", ["ibm_fez", "ibm_pittsburgh"])
def test_dynamical_decoupling_and_twirling_sampler(service: Any, name: str) -> None:
    from qiskit.circuit.library import XGate
    from qiskit.transpiler import PassManager, generate_preset_pass_manager
    from qiskit.transpiler.passes import ALAPScheduleAnalysis, PadDynamicalDecoupling

    backend = service.backend(name)
    assert backend.dt == pytest.approx(4e-9)
    assert backend.target.durations().get("x", [0]) > 0
    isa = generate_preset_pass_manager(backend=backend, optimization_level=1).run(_ghz(3))
    # Client-side DD, as IBM's guides schedule it: this needs dt and the gate durations.
    durations = backend.target.durations()
    dd = PassManager(
        [ALAPScheduleAnalysis(durations), PadDynamicalDecoupling(durations, [XGate(), XGate()])]
    )
    scheduled = dd.run(isa)
    assert any(inst.operation.name == "delay" for inst in scheduled.data)

    sampler = runtime.SamplerV2(mode=backend)
    sampler.options.dynamical_decoupling.enable = True
    sampler.options.twirling.enable_gates = True
    sampler.options.twirling.num_randomizations = 8
    result = sampler.run([scheduled], shots=400).result()

    counts = result[0].data.meas.get_counts()
    assert set(counts) == {"000", "111"} and sum(counts.values()) == 400
    assert result[0].metadata["num_randomizations"] == 8
    (span,) = result.metadata["execution"]["execution_spans"]
    assert type(span).__name__ == "TwirledSliceSpanV2"
    assert span.mask(0).shape[-1] == 400


def _encoded_result(api: Api, program: str, pubs: list[Any], options: dict[str, Any]) -> Any:
    job = api.wait(api.submit(program, pubs, params={"support_qiskit": True, "options": options}))
    assert job["status"] == "Completed", job
    return json.loads(api.get(f"/jobs/{job['id']}/results").text)


def test_sampler_results_validate_against_ibm_quantum_schemas(api: Api) -> None:
    schemas = pytest.importorskip("ibm_quantum_schemas.sampler.version_0_1.primitive_result")
    plain = _encoded_result(api, "sampler", [[SEED_QASM, None, 64]], {})
    schemas.PrimitiveResultWrapperModel.model_validate(plain)
    twirled = _encoded_result(
        api, "sampler", [[SEED_QASM, None, 64]], {"twirling": {"enable_gates": True}}
    )
    model = schemas.PrimitiveResultWrapperModel.model_validate(twirled)
    (span,) = model.value_.metadata.execution.execution_spans.value_.spans
    assert span.type_ == "TwirledSliceSpanV2"
    assert model.value_.pub_results[0].value_.metadata.num_randomizations == 32
    data_bin = twirled["__value__"]["pub_results"][0]["__value__"]["data"]["__value__"]
    assert data_bin["field_types"] == ["BitArray", "BitArray"][: len(data_bin["field_names"])]


def test_estimator_results_with_zne_have_ibms_fields(api: Api) -> None:
    schemas = pytest.importorskip("ibm_quantum_schemas.estimator.version_0_1.primitive_result")
    pub = ['OPENQASM 3.0; include "stdgates.inc"; qubit[2] q; x q[0];', {"ZI": 1.0, "IZ": 0.5}]
    plain = _encoded_result(api, "estimator", [pub], {})
    schemas.PrimitiveResultWrapperModel.model_validate(plain)
    zne = _encoded_result(api, "estimator", [pub], {"resilience": {"zne_mitigation": True}})
    schemas.PrimitiveResultWrapperModel.model_validate(zne)
    data_bin = zne["__value__"]["pub_results"][0]["__value__"]["data"]["__value__"]
    assert "ensemble_standard_error" not in data_bin["field_names"]
    assert {"evs_extrapolated", "stds_extrapolated", "evs_noise_factors"} <= set(
        data_bin["field_names"]
    )
    assert set(data_bin["field_types"]) == {"ndarray"}

    decoded = runtime.RuntimeDecoder().decode(json.dumps(zne))
    extrapolated = np.asarray(decoded[0].data.evs_extrapolated)
    assert extrapolated.shape == (2, 4)  # 2 extrapolators at 4 points (0 and the 3 factors)
    assert np.allclose(extrapolated, decoded[0].data.evs)
