"""Turning a PUB's circuit into something a statevector can run.

Circuits arrive as OpenQASM 3 (physical qubits ``$n`` included), OpenQASM 2, base64 QPY, or
already-decoded ``QuantumCircuit`` objects (from the Qiskit-encoded form). ISA circuits are laid
out on the whole device, 156 qubits wide; qubits no instruction touches are still |0> at the end,
so they are dropped before simulation and only the active ones are simulated.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import zlib
from typing import Any

from ._backends import Device
from ._qiskit_json import decode_params

__all__ = [
    "CircuitInputError",
    "NonIsaCircuitError",
    "check_isa",
    "drop_idle_qubits",
    "load_circuit",
    "measured_qubits",
]

# Instructions that leave an untouched qubit in |0>: they do not make a qubit active.
_PASSIVE = frozenset({"barrier", "delay"})


class CircuitInputError(ValueError):
    """The job's input cannot be run; the job fails with this message."""


class NonIsaCircuitError(CircuitInputError):
    """A circuit uses instructions or qubit pairs the device does not have (reason code 1517)."""


def load_circuit(item: Any) -> Any:
    from qiskit import QuantumCircuit

    if isinstance(item, QuantumCircuit):
        return item
    if isinstance(item, dict) and item.get("__type__") == "QuantumCircuit":
        return decode_params(item)
    if not isinstance(item, str):
        raise CircuitInputError(
            f"a circuit must be an OpenQASM string or a QPY circuit, not {type(item).__name__}"
        )
    text = item.strip()
    if text.startswith("OPENQASM 2"):
        return _load_qasm2(text)
    if "OPENQASM" in text or ";" in text:
        return _load_qasm3(text)
    circuit = _load_base64_qpy(text)
    return circuit if circuit is not None else _load_qasm3(text)


def _load_qasm3(text: str) -> Any:
    from qiskit import qasm3

    try:
        return qasm3.loads(text)
    except Exception as exc:  # the importer raises several unrelated exception types
        raise CircuitInputError(f"Invalid OpenQASM 3 circuit: {exc}") from None


def _load_qasm2(text: str) -> Any:
    from qiskit import qasm2

    try:
        return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    except Exception as exc:
        raise CircuitInputError(f"Invalid OpenQASM 2 circuit: {exc}") from None


def _load_base64_qpy(text: str) -> Any | None:
    from qiskit import qpy

    try:
        raw = base64.standard_b64decode(text)
    except (binascii.Error, ValueError):
        return None
    with contextlib.suppress(zlib.error):
        raw = zlib.decompress(raw)
    if not raw.startswith(b"QISKIT"):
        return None
    try:
        return qpy.load(io.BytesIO(raw))[0]
    except Exception as exc:
        raise CircuitInputError(f"Invalid QPY circuit: {exc}") from None


def _has_control_flow(circuit: Any) -> bool:
    from qiskit.circuit import ControlFlowOp

    return any(isinstance(inst.operation, ControlFlowOp) for inst in circuit.data)


def drop_idle_qubits(circuit: Any) -> tuple[Any, list[int]]:
    """The circuit on its active qubits only, and the original index of each kept qubit."""
    from qiskit import QuantumCircuit, QuantumRegister

    if _has_control_flow(circuit):
        # Blocks refer to outer qubits; remapping them is not worth it for an emulator.
        return circuit, list(range(circuit.num_qubits))
    active = sorted(
        {
            circuit.find_bit(qubit).index
            for inst in circuit.data
            if inst.operation.name not in _PASSIVE
            for qubit in inst.qubits
        }
    )
    if len(active) == circuit.num_qubits:
        return circuit, active
    position = {original: new for new, original in enumerate(active)}
    register = QuantumRegister(len(active), "q")
    compact = QuantumCircuit(register, name=circuit.name, global_phase=circuit.global_phase)
    loose = [bit for bit in circuit.clbits if not circuit.find_bit(bit).registers]
    if loose:
        compact.add_bits(loose)
    for creg in circuit.cregs:
        compact.add_register(creg)
    compact.metadata = dict(circuit.metadata or {})
    for inst in circuit.data:
        indices = [circuit.find_bit(q).index for q in inst.qubits]
        kept = [register[position[i]] for i in indices if i in position]
        if len(kept) != len(indices):
            if inst.operation.name not in _PASSIVE or not kept:
                continue
            if inst.operation.name == "barrier":
                compact.barrier(*kept)
            # A delay on a dropped qubit has nothing left to act on.
            continue
        compact.append(inst.operation, kept, inst.clbits)
    return compact, active


def measured_qubits(circuit: Any) -> dict[Any, int]:
    """For each classical bit, the qubit (original index) last measured into it."""
    mapping: dict[Any, int] = {}
    for inst in circuit.data:
        if inst.operation.name == "measure":
            for qubit, clbit in zip(inst.qubits, inst.clbits, strict=True):
                mapping[clbit] = circuit.find_bit(qubit).index
    return mapping


def check_isa(circuit: Any, device: Device) -> None:
    """Reject what the real service would: gates outside the ISA or off the coupling map."""
    from qiskit.circuit import ControlFlowOp

    if circuit.num_qubits > device.n_qubits:
        raise NonIsaCircuitError(
            f"The circuit has {circuit.num_qubits} qubits but {device.name} has {device.n_qubits}."
        )
    edges = set(device.edges) | {(b, a) for a, b in device.edges}
    allowed = {*device.supported_instructions, "barrier"}
    for inst in circuit.data:
        if isinstance(inst.operation, ControlFlowOp):
            continue
        name = inst.operation.name
        qubits = tuple(circuit.find_bit(q).index for q in inst.qubits)
        if name not in allowed:
            raise NonIsaCircuitError(
                f"The instruction {name} on qubits {qubits} is not supported by the target "
                f"device {device.name}."
            )
        if len(qubits) == 2 and name not in _PASSIVE and qubits not in edges:
            raise NonIsaCircuitError(
                f"The instruction {name} on qubits {qubits} is not supported by the target "
                f"device {device.name}: the qubits are not coupled."
            )
