"""From a plain circuit to an accepted job: the emulator refuses non-ISA circuits as IBM does,
``transpile=True`` and ``rt.transpile`` transpile locally for the backend's Target (checked against
qiskit-ibm-runtime's own), and the emulated transpiler service does it remotely."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Iterator
from typing import Any

import flavours
import pytest

pytest.importorskip("starlette")
qiskit = pytest.importorskip("qiskit")
emulator_pkg = pytest.importorskip("qiskit_runtime_emulator")

from qiskit import QuantumCircuit  # noqa: E402
from qiskit_runtime_rest import (  # noqa: E402
    AsyncRuntimeClient,
    InvalidInputError,
    JobFailedError,
    RuntimeClient,
    TranspiledQasm,
)
from qiskit_runtime_rest._transpile import TargetCache, target_from_documents  # noqa: E402

pytestmark = pytest.mark.emulator

BELL = """OPENQASM 3.0; include "stdgates.inc"; bit[2] meas;
h $0; cx $0, $1; meas[0] = measure $0; meas[1] = measure $1;"""
# The seed notebook's own circuit (In[53]), before the transpiler service saw it.
NOTEBOOK = """OPENQASM 3; include "stdgates.inc"; qreg q[2]; creg c[2]; x q[0];
c[0] = measure q[0]; c[1] = measure q[1];"""


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    with emulator_pkg.Emulator(job_delays=0.02, seed=11) as server:
        yield server


def _settings(emu: Any) -> dict[str, Any]:
    return {
        "api_key": emu.api_key,
        "crn": emu.crn,
        "base_url": emu.base_url,
        "iam_url": emu.iam_url,
    }


@pytest.fixture
def rt(emu: Any, flavour: str) -> Iterator[Any]:
    """A client on the emulator (its transpiler service too), once per flavour."""
    emu.journal.clear()
    if flavour == "async":

        async def nap(seconds: float) -> None:
            await asyncio.sleep(min(seconds, 0.02))

        async_client = AsyncRuntimeClient(**_settings(emu), _sleep=nap)
        async_client._transpiler_url = emu.transpiler_url
        blocking = flavours.Blocking(async_client)
        yield blocking
        blocking.close()
        return
    client = RuntimeClient(**_settings(emu), _sleep=lambda s: time.sleep(min(s, 0.02)))
    client._transpiler_url = emu.transpiler_url
    yield client
    client.close()


# ------------------------------------------------------------------ the three paths (Done when)


def test_a_plain_bell_circuit_fails_with_the_isa_reason(rt: Any) -> None:
    job = rt.jobs.run_sampler("ibm_fez", [BELL], shots=100)
    with pytest.raises(JobFailedError) as failed:
        job.result(timeout=60)
    error = failed.value
    assert error.reason_code == 1517
    assert error.reason.startswith(
        "Circuits do not match the target definition (non-ISA circuits)."
    )
    assert "The instruction h on qubits (0,) is not supported by the target device" in error.reason
    assert "Transpile" in (error.reason_solution or "")


def test_transpile_true_completes_with_bell_counts_only(rt: Any, emu: Any) -> None:
    job = rt.jobs.run_sampler("ibm_fez", [BELL], shots=400, transpile=True)
    counts = job.result(timeout=60)[0].data.meas.get_counts()
    assert set(counts) == {"00", "11"} and sum(counts.values()) == 400
    # The Target came from the backend's two documents; the job went once.
    assert emu.journal.count("GET", "/v1/backends/{id}/configuration") == 1
    assert emu.journal.count("GET", "/v1/backends/{id}/properties") == 1
    assert emu.journal.count("POST", "/v1/jobs") == 1


def test_the_transpiler_service_path_completes(rt: Any, emu: Any) -> None:
    isa = rt.transpiler_service.transpile(BELL, "ibm_fez", optimization_level=1)
    assert isinstance(isa, TranspiledQasm) and "cx" not in isa and "h " not in isa
    counts = rt.jobs.run_sampler("ibm_fez", [isa], shots=300).result(timeout=60)[0]
    assert set(counts.data.meas.get_counts()) == {"00", "11"}
    entries = emu.journal.entries("POST")
    service = [e for e in entries if e.operation == "POST /transpile"]
    assert len(service) == 1 and service[0].auth_scheme == "Bearer"
    assert service[0].query["backend"] == ["ibm_fez"] and service[0].query["ai"] == ["false"]


# ------------------------------------------------------------------------- rt.backends.target


@pytest.mark.parametrize("backend", ["ibm_fez", "ibm_pittsburgh", "ibm_emulator"])
def test_the_target_equals_qiskit_ibm_runtime_s(emu: Any, backend: str) -> None:
    decoder = pytest.importorskip("qiskit_ibm_runtime.utils.backend_decoder")
    converter = pytest.importorskip("qiskit_ibm_runtime.utils.backend_converter")
    with RuntimeClient(**_settings(emu)) as rt:
        ours = rt.backends.target(backend)
        configuration = rt.backends.configuration(backend)
        properties = rt.backends.properties(backend)
    # What QiskitRuntimeService.backend(name).target does with the same two documents.
    theirs = converter.convert_to_target(
        configuration=decoder.configuration_from_server_data(configuration),
        properties=decoder.properties_from_server_data(properties),
    )
    assert_same_target(ours, theirs)


def assert_same_target(ours: Any, theirs: Any) -> None:
    assert ours.num_qubits == theirs.num_qubits
    assert ours.dt == theirs.dt
    for name in ("granularity", "min_length", "pulse_alignment", "acquire_alignment"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert sorted(ours.operation_names) == sorted(theirs.operation_names)
    for name in theirs.operation_names:
        op, their_op = ours.operation_from_name(name), theirs.operation_from_name(name)
        assert type(op) is type(their_op), name
        assert (op.name, op.num_qubits, op.num_clbits) == (
            their_op.name,
            their_op.num_qubits,
            their_op.num_clbits,
        ), name
        their_props = theirs[name]
        our_props = ours[name]
        assert set(our_props) == set(their_props), name
        for qargs, props in their_props.items():
            mine = our_props[qargs]
            if props is None:
                assert mine is None, (name, qargs)
            else:
                assert (mine.error, mine.duration) == (props.error, props.duration), (name, qargs)
    assert len(ours.qubit_properties) == len(theirs.qubit_properties)
    for mine, their in zip(ours.qubit_properties, theirs.qubit_properties, strict=True):
        assert (mine.t1, mine.t2, mine.frequency) == (their.t1, their.t2, their.frequency)


def test_the_target_matches_on_faulty_qubits_and_fractional_gates(emu: Any) -> None:
    decoder = pytest.importorskip("qiskit_ibm_runtime.utils.backend_decoder")
    converter = pytest.importorskip("qiskit_ibm_runtime.utils.backend_converter")
    with RuntimeClient(**_settings(emu)) as rt:
        configuration = rt.backends.configuration("ibm_emulator")
        properties = rt.backends.properties("ibm_emulator")
    configuration["basis_gates"] = [*configuration["basis_gates"], "rzz", "rx"]
    stamp = properties["qubits"][0][0]["date"]
    properties["qubits"][3].append({"date": stamp, "name": "operational", "unit": "", "value": 0})
    cz = next(g for g in properties["gates"] if g["gate"] == "cz" and g["qubits"] == [0, 1])
    cz["parameters"].append({"date": stamp, "name": "operational", "unit": "", "value": 0})
    for fractional in (False, True):
        ours = target_from_documents(configuration, properties, use_fractional_gates=fractional)
        theirs = converter.convert_to_target(
            configuration=decoder.configuration_from_server_data(
                copy.deepcopy(configuration), use_fractional_gates=fractional
            ),
            properties=decoder.properties_from_server_data(
                copy.deepcopy(properties), use_fractional_gates=fractional
            ),
        )
        assert_same_target(ours, theirs)
        assert ("rzz" in ours.operation_names) is fractional
        assert (3,) not in ours["measure"] and (0, 1) not in ours["cz"]


def test_the_target_is_cached_per_backend_and_calibration(rt: Any, emu: Any) -> None:
    first = rt.backends.target("ibm_fez")
    assert rt.backends.target("ibm_fez") is first  # no request: still fresh
    assert emu.journal.count("GET", "/v1/backends/{id}/properties") == 1
    again = rt.backends.target("ibm_fez", refresh=True)  # re-checked: same calibration
    assert again is first
    assert emu.journal.count("GET", "/v1/backends/{id}/properties") == 2
    assert rt.backends.target("ibm_pittsburgh") is not first


def test_the_cache_rebuilds_only_for_a_new_calibration() -> None:
    now = [0.0]
    cache = TargetCache(lambda: now[0], max_age=60)
    built: list[str] = []
    conf = {"backend_version": "1"}

    def build(label: str) -> Any:
        return lambda: built.append(label) or label

    key = ("ibm_fez", None, False)
    assert cache.store(key, conf, {"last_update_date": "a"}, build("a")) == "a"
    assert cache.fresh(key) == "a"
    now[0] = 61
    assert cache.fresh(key) is None  # too old: the documents are read again
    assert cache.store(key, conf, {"last_update_date": "a"}, build("a2")) == "a"
    assert cache.fresh(key) == "a"
    now[0] = 200
    assert cache.store(key, conf, {"last_update_date": "b"}, build("b")) == "b"
    assert built == ["a", "b"]
    pinned = ("ibm_fez", "cal-1", False)
    cache.store(pinned, conf, {"last_update_date": "c"}, build("c"))
    now[0] = 10_000
    assert cache.fresh(pinned) == "c"  # a calibration id's documents never change


# ----------------------------------------------------------------------------- rt.transpile


def test_transpile_keeps_the_form_it_was_given(rt: Any) -> None:
    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure_all()
    isa_circuit = rt.transpile(bell, "ibm_fez")
    assert isinstance(isa_circuit, QuantumCircuit) and isa_circuit.layout is not None
    assert set(isa_circuit.count_ops()) <= {"rz", "sx", "x", "cz", "measure", "barrier"}
    isa_text = rt.transpile(BELL, "ibm_fez", optimization_level=2)
    assert isinstance(isa_text, TranspiledQasm) and isinstance(isa_text, str)
    assert isa_text.num_qubits == 156 and isa_text.layout.num_qubits == 2
    both = rt.transpile([BELL, bell], "ibm_fez")
    assert isinstance(both, list) and isinstance(both[0], str)
    assert isinstance(both[1], QuantumCircuit)


def test_layouts_match_qiskit_s_apply_layout(rt: Any) -> None:
    from qiskit.quantum_info import SparsePauliOp
    from qiskit_runtime_rest._transpile import layout_of

    wide = QuantumCircuit(3)
    wide.h(0)
    wide.cx(0, 2)
    wide.cx(2, 1)
    isa = rt.transpile(wide, "ibm_fez", optimization_level=3)
    observable = SparsePauliOp.from_list([("XZY", 0.5), ("ZZI", 2.0)])
    expected = observable.apply_layout(isa.layout, 156)
    layout = layout_of(isa)
    assert layout.apply(observable, 156) == expected  # a qiskit operator: qiskit lays it out
    plain = layout.apply({"XZY": 0.5, "ZZI": 2.0}, 156)  # plain labels: laid out here
    assert SparsePauliOp.from_list(list(plain.items())) == expected


def test_transpile_refuses_bad_levels_before_sending(rt: Any, emu: Any) -> None:
    with pytest.raises(InvalidInputError, match="optimization_level"):
        rt.transpile(BELL, "ibm_fez", optimization_level=7)
    assert emu.journal.count("GET", "/v1/backends/{id}/configuration") == 0


def test_without_qiskit_the_error_names_the_extra(
    rt: Any, emu: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qiskit_runtime_rest._transpile as local

    monkeypatch.setattr(local, "_importable", lambda name: name != "qiskit")
    for call in (
        lambda: rt.jobs.run_sampler("ibm_fez", [BELL], transpile=True),
        lambda: rt.jobs.run_estimator("ibm_fez", [(BELL, "ZZ")], transpile=True),
        lambda: rt.transpile(BELL, "ibm_fez"),
        lambda: rt.backends.target("ibm_fez"),
    ):
        with pytest.raises(InvalidInputError, match=r"\[transpile\] extra") as missing:
            call()
        assert "pip install 'qiskit-runtime-rest[transpile]'" in str(missing.value)
        assert "missing: qiskit" in str(missing.value)
    assert emu.journal.entries() == []  # nothing was sent


# --------------------------------------------------------- estimator, sessions and batches


def test_estimator_observables_are_laid_out_to_match(rt: Any, emu: Any) -> None:
    job = rt.jobs.run_estimator(
        "ibm_fez", [(NOTEBOOK, {"II": 1, "ZZ": 2.3}, None, 0.01)], transpile=True
    )
    assert job.result(timeout=60)[0].evs == pytest.approx(1 - 2.3, abs=0.1)
    pub = emu._service.store.jobs[job.id].params["pubs"][0]  # what was sent
    (label, *_) = [k for k in pub[1] if "Z" in k]
    assert len(label) == 156 and label.count("Z") == 2


def test_sessions_and_batches_transpile_too(rt: Any) -> None:
    with rt.session("ibm_fez") as session:
        sampled = session.run_sampler([(BELL, None, 50)], transpile=True)
        estimated = session.run_estimator([(BELL, ["ZZ", "XX"])], transpile=True)
        assert set(sampled.result(timeout=60)[0].data.meas.get_counts()) <= {"00", "11"}
        assert estimated.result(timeout=60)[0].evs == pytest.approx([1.0, 1.0], abs=0.1)
    with rt.batch("ibm_fez") as batch:
        job = batch.run_sampler([BELL], shots=20, transpile=True)
        assert sum(job.result(timeout=60)[0].data.meas.get_counts().values()) == 20


def test_the_emulator_can_run_non_isa_circuits_when_asked() -> None:
    with emulator_pkg.Emulator(job_delays=0.0, strict_isa=False) as server:
        client = RuntimeClient(**_settings(server))
        with client:
            counts = client.jobs.run_sampler("ibm_fez", [BELL], shots=50).result(timeout=60)
        assert set(counts[0].data.meas.get_counts()) <= {"00", "11"}
