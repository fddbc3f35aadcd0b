"""The execution engine without HTTP: circuit loading, idle-qubit removal, decoding, results."""

from __future__ import annotations

import base64
import io
import json
import zlib
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from emulator_helpers import SEED_QASM
from qiskit import QuantumCircuit, qpy
from qiskit_runtime_emulator._backends import build_devices
from qiskit_runtime_emulator._circuits import (
    CircuitInputError,
    drop_idle_qubits,
    load_circuit,
    measured_qubits,
)
from qiskit_runtime_emulator._execution import (
    ExecutionError,
    ExecutionSettings,
    estimate_usage,
    execute,
)
from qiskit_runtime_emulator._qiskit_json import _decode_tree

DEVICE = build_devices(datetime(2026, 1, 1, tzinfo=UTC))["ibm_fez"]


def _qpy_b64(circuit: QuantumCircuit, *, compress: bool) -> str:
    buffer = io.BytesIO()
    qpy.dump(circuit, buffer)
    raw = buffer.getvalue()
    return base64.standard_b64encode(zlib.compress(raw) if compress else raw).decode()


def test_openqasm3_with_physical_qubits() -> None:
    circuit = load_circuit(SEED_QASM)
    assert circuit.num_qubits == 2
    assert [creg.name for creg in circuit.cregs] == ["c"]


def test_openqasm2_and_base64_qpy_circuits() -> None:
    qasm2 = 'OPENQASM 2.0; include "qelib1.inc"; qreg q[1]; creg c[1]; x q[0]; measure q -> c;'
    assert load_circuit(qasm2).count_ops() == {"x": 1, "measure": 1}
    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    for compress in (True, False):
        assert load_circuit(_qpy_b64(bell, compress=compress)) == bell
    typed = {"__type__": "QuantumCircuit", "__value__": _qpy_b64(bell, compress=True)}
    assert load_circuit(typed) == bell


@pytest.mark.parametrize("bad", [42, "OPENQASM 3.0; qubit q; frobnicate q;", "bm90IHFweQ=="])
def test_unloadable_circuits_raise_input_errors(bad: Any) -> None:
    with pytest.raises(CircuitInputError):
        load_circuit(bad)


def test_dropping_idle_qubits_keeps_registers_and_maps_measurements() -> None:
    circuit = QuantumCircuit(156, 2)
    circuit.x(150)
    circuit.barrier()
    circuit.delay(100, 3)
    circuit.measure(150, 0)
    circuit.measure(151, 1)
    compact, active = drop_idle_qubits(circuit)
    assert active == [150, 151]
    assert compact.num_qubits == 2
    assert compact.cregs == circuit.cregs
    assert compact.count_ops() == {"x": 1, "barrier": 1, "measure": 2}
    assert {
        compact.find_bit(bit).index: active[q] for bit, q in measured_qubits(compact).items()
    } == {
        0: 150,
        1: 151,
    }


def test_the_fallback_decoder_reads_what_qiskit_ibm_runtime_encodes() -> None:
    encoder = pytest.importorskip("qiskit_ibm_runtime").RuntimeEncoder
    from qiskit.primitives.containers.estimator_pub import EstimatorPub

    circuit = QuantumCircuit(1)
    circuit.rx(0.5, 0)
    pub = EstimatorPub.coerce((circuit, [["Z"], ["X"]]))
    encoded = json.loads(json.dumps({"pubs": [pub], "when": datetime.now(UTC)}, cls=encoder))

    decoded = _decode_tree(encoded)
    restored, observables, values, _ = decoded["pubs"][0]
    assert restored == circuit
    assert observables == [[{"Z": 1.0}], [{"X": 1.0}]]
    assert isinstance(values, np.ndarray)
    assert isinstance(decoded["when"], datetime)


def test_plain_results_are_hex_per_shot() -> None:
    outcome = execute(
        "sampler", {"pubs": [[SEED_QASM, None, 5]]}, DEVICE, ExecutionSettings(seed=1)
    )
    result = json.loads(outcome.result)
    assert result["results"][0]["data"]["c"] == {"samples": ["0x1"] * 5, "num_bits": 2}
    assert outcome.total_shots == 5
    assert outcome.quantum_seconds >= 1


def test_wide_registers_are_hex_too() -> None:
    circuit = QuantumCircuit(1, 70)
    circuit.x(0)
    circuit.measure(0, 69)
    qpy_text = _qpy_b64(circuit, compress=True)
    settings = ExecutionSettings()
    result = json.loads(
        execute("sampler", {"pubs": [[qpy_text, None, 2]]}, DEVICE, settings).result
    )
    assert result["results"][0]["data"]["c"]["samples"] == [hex(1 << 69)] * 2


def test_seeds_make_runs_repeatable() -> None:
    pubs = {
        "pubs": [
            ['OPENQASM 3.0; include "stdgates.inc"; bit[1] c; sx $0; c[0] = measure $0;', None, 64]
        ]
    }
    first = execute("sampler", pubs, DEVICE, ExecutionSettings(seed=5)).result
    second = execute("sampler", pubs, DEVICE, ExecutionSettings(seed=5)).result
    options = {**pubs, "options": {"simulator": {"seed_simulator": 6}}}
    third = execute("sampler", options, DEVICE, ExecutionSettings(seed=5)).result
    samples = [json.loads(r)["results"][0]["data"]["c"]["samples"] for r in (first, second, third)]
    assert samples[0] == samples[1]
    assert samples[0] != samples[2]


def test_too_many_active_qubits_fail_the_job() -> None:
    circuit = QuantumCircuit(30)
    circuit.h(range(30))
    circuit.measure_all()
    with pytest.raises(ExecutionError, match="at most 20"):
        execute(
            "sampler",
            {"pubs": [_qpy_b64(circuit, compress=True)]},
            DEVICE,
            ExecutionSettings(strict_isa=False),  # the check under test comes after the ISA one
        )


def test_observable_width_must_match_the_circuit_or_the_device() -> None:
    with pytest.raises(ExecutionError, match="has 1 qubits but the circuit has 2"):
        execute("estimator", {"pubs": [[SEED_QASM, "Z"]]}, DEVICE, ExecutionSettings())
    too_wide = "Z" * (DEVICE.n_qubits + 1)
    with pytest.raises(ExecutionError, match=f"has {len(too_wide)} qubits but the circuit has 2"):
        execute("estimator", {"pubs": [[SEED_QASM, too_wide]]}, DEVICE, ExecutionSettings())


def test_observables_laid_out_on_the_whole_device_are_accepted() -> None:
    # An ISA circuit on $0 and $1 has 2 qubits; its observable, laid out as qiskit's
    # apply_layout does, is as wide as the device: the extra qubits are idle (|0>).
    laid_out = "I" * (DEVICE.n_qubits - 2) + "ZZ"
    outcome = execute(
        "estimator",
        {"pubs": [[SEED_QASM, {laid_out: 2.0}, None, 0.001]]},
        DEVICE,
        ExecutionSettings(),
    )
    evs = json.loads(outcome.result)["results"][0]["data"]["evs"]
    assert evs == pytest.approx(-2.0, abs=0.02)  # X on qubit 0: <ZZ> = -1


def test_usage_is_estimated_from_the_envelope_alone() -> None:
    # 1 s per job plus 250 us per shot; both programs default to 4096 shots.
    two_pubs = {"pubs": [SEED_QASM, SEED_QASM]}
    assert estimate_usage("sampler", two_pubs) == pytest.approx(1 + 2 * 4096 * 250e-6)
    assert estimate_usage("estimator", two_pubs) == estimate_usage("sampler", two_pubs)
    assert estimate_usage("sampler", {}) == pytest.approx(1 + 4096 * 250e-6)


@pytest.mark.parametrize(
    ("raised", "code"),
    [
        ("qiskit.circuit.exceptions.CircuitError", 1002),  # a QiskitError subclass: bad input
        ("qiskit.exceptions.QiskitError", 1002),
        ("builtins.RuntimeError", 1000),  # anything else is the emulator's own failure
    ],
)
def test_qiskit_errors_are_input_errors(
    raised: str, code: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    from qiskit_runtime_emulator import _execution

    module, _, name = raised.rpartition(".")
    error = getattr(importlib.import_module(module), name)

    def fail(*args: object) -> None:
        raise error("rejected")

    monkeypatch.setattr(_execution, "_run_sampler", fail)
    with pytest.raises(ExecutionError) as info:
        execute("sampler", {"pubs": [SEED_QASM]}, DEVICE, ExecutionSettings())
    assert info.value.reason_code == code
