"""Local transpilation (the ``[transpile]`` extra): a qiskit ``Target`` built from a backend's
configuration and properties documents, circuits and PUBs transpiled for it. I/O-free: the
documents are fetched by ``rt.backends.target`` (``_async/_resources.py``).

qiskit is imported inside the functions only, so importing this module costs nothing and
``import qiskit_runtime_rest`` never loads qiskit.

``target_from_documents`` reads the documents the way qiskit-ibm-runtime does
(``qiskit_ibm_runtime.utils.backend_converter.convert_to_target`` after
``configuration_from_server_data`` / ``properties_from_server_data``): the same instructions,
qargs, errors and durations (SI units), ``dt`` in seconds, timing constraints, qubit T1/T2,
readout errors and lengths on ``measure``, faulty qubits and gates left out, fractional gates
left out unless asked for. ``tests/jobs/test_transpile.py`` compares the two instruction by
instruction on the emulator's documents.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._exceptions import InvalidInputError
from ._pubs import _is_quantum_circuit
from ._transpiled import CircuitLayout, TranspiledQasm, check_optimization_level

if TYPE_CHECKING:
    from qiskit.transpiler import Target

__all__ = [
    "TargetCache",
    "require_qiskit",
    "target_from_documents",
    "transpile_circuits",
    "transpile_pubs",
]

EXTRA_HINT = "pip install 'qiskit-runtime-rest[transpile]'"
# Instructions that are not gates but that ISA circuits may use when the device supports them.
_NON_UNITARY = frozenset({"measure", "delay", "reset"})
_CONTROL_FLOW = ("if_else", "while_loop", "for_loop", "switch_case")


def require_qiskit(what: str = "transpilation") -> None:
    """Fail before anything is sent when qiskit (the ``[transpile]`` extra) is missing."""
    missing = [name for name in ("qiskit", "qiskit_qasm3_import") if not _importable(name)]
    if missing:
        raise InvalidInputError(
            f"{what} needs the [transpile] extra: {EXTRA_HINT} (missing: {', '.join(missing)})"
        )


def _importable(name: str) -> bool:
    from importlib.util import find_spec

    try:
        return find_spec(name) is not None
    except (ImportError, ValueError):
        return False


# ------------------------------------------------------------------------------------- Target


def _si(value: Any, unit: Any) -> float:
    from qiskit.utils.units import apply_prefix

    return float(apply_prefix(value, unit)) if unit else float(value)


def _nduvs(items: Any) -> dict[str, float]:
    """``[{name, value, unit}, ...]`` -> ``{name: value in SI units}``."""
    out: dict[str, float] = {}
    for item in items or ():
        if isinstance(item, Mapping) and "name" in item and item.get("value") is not None:
            out[str(item["name"])] = _si(item["value"], item.get("unit"))
    return out


def _is_fractional(gate: Any) -> bool:
    # IBM's definition (qiskit_ibm_runtime.utils.is_fractional_gate): a gate with parameters
    # that takes time; rz, p, u1 and delay are virtual or not gates.
    from qiskit.circuit import Delay
    from qiskit.circuit.library import PhaseGate, RZGate, U1Gate

    return len(gate.params) > 0 and not isinstance(gate, RZGate | PhaseGate | U1Gate | Delay)


def target_from_documents(
    configuration: Mapping[str, Any],
    properties: Mapping[str, Any] | None,
    *,
    use_fractional_gates: bool = False,
) -> Target:
    """A qiskit ``Target`` from a backend's configuration and properties documents (dicts as
    ``rt.backends.configuration(name)`` and ``.properties(name)`` return them)."""
    from qiskit.circuit import Gate, IfElseOp, Instruction, Parameter
    from qiskit.circuit.controlflow import ForLoopOp, SwitchCaseOp, WhileLoopOp
    from qiskit.circuit.library import get_standard_gate_name_mapping
    from qiskit.providers.backend import QubitProperties
    from qiskit.transpiler import InstructionProperties, Target

    standard = get_standard_gate_name_mapping()
    control_flow = {
        "if_else": IfElseOp,
        "while_loop": WhileLoopOp,
        "for_loop": ForLoopOp,
        "switch_case": SwitchCaseOp,
    }

    def wanted(name: str) -> bool:
        return use_fractional_gates or name not in standard or not _is_fractional(standard[name])

    num_qubits = int(configuration["n_qubits"])
    basis = {str(g) for g in configuration.get("basis_gates") or () if wanted(str(g))}
    supported = {
        str(i)
        for i in configuration.get("supported_instructions") or ("measure", "reset", "delay")
        if wanted(str(i))
    }
    gate_configs = {
        str(g["name"]): g
        for g in configuration.get("gates") or ()
        if isinstance(g, Mapping) and "name" in g and wanted(str(g["name"]))
    }
    names = basis | (supported & _NON_UNITARY) | (supported & set(_CONTROL_FLOW))

    operations: dict[str, Any] = {}
    for name in sorted(names):
        if name in control_flow:
            continue
        if name in standard:
            operations[name] = standard[name]
        elif name in gate_configs:
            spec = gate_configs[name]
            qargs = spec.get("coupling_map") or []
            operations[name] = Gate(
                name,
                len(qargs[0]) if qargs else 0,
                [Parameter(p) for p in spec.get("parameters") or ()],
            )
        else:
            names.discard(name)  # no definition: qiskit-ibm-runtime drops it too (with a warning)
    for signature in configuration.get("instruction_signatures") or ():
        name = str(signature["name"])
        operations[name] = Instruction(
            name=name,
            num_qubits=int(signature["num_qubits"]),
            num_clbits=int(signature["num_clbits"]),
            params=[Parameter(p) for p in signature.get("parameters") or ()],
        )
        names.add(name)

    # None: an ideal instruction on any qubits; a dict: only on the qargs it lists.
    qargs_of: dict[str, dict[tuple[int, ...], Any] | None] = dict.fromkeys(names)
    for name in names:
        coupling = gate_configs.get(name, {}).get("coupling_map")
        if coupling:
            qargs_of[name] = dict.fromkeys(tuple(int(q) for q in qargs) for qargs in coupling)

    extra: dict[str, Any] = {}
    if configuration.get("dt") is not None:
        extra["dt"] = float(configuration["dt"]) * 1e-9  # documents give nanoseconds
    timing = configuration.get("timing_constraints")
    if isinstance(timing, Mapping):
        extra.update({str(k): v for k, v in timing.items()})

    if properties:
        qubits = [_nduvs(q) for q in properties.get("qubits") or ()]
        faulty_qubits = {i for i, q in enumerate(qubits) if q.get("operational", 1) == 0}
        extra["qubit_properties"] = [
            QubitProperties(t1=q.get("T1"), t2=q.get("T2"), frequency=q.get("frequency"))
            for q in qubits
        ]
        for entry in properties.get("gates") or ():
            name = str(entry.get("gate", ""))
            if name not in names or name in control_flow:
                continue
            qargs = tuple(int(q) for q in entry.get("qubits") or ())
            values = _nduvs(entry.get("parameters"))
            current = qargs_of[name]
            if faulty_qubits.intersection(qargs) or values.get("operational", 1) == 0:
                if current is not None:
                    current.pop(qargs, None)
                continue
            if current is None:
                current = qargs_of[name] = {}
            current[qargs] = InstructionProperties(
                error=values.get("gate_error"), duration=values.get("gate_length")
            )
        # Readout errors and lengths are qubit properties; they define `measure`.
        qargs_of["measure"] = {
            (i,): InstructionProperties(
                error=q.get("readout_error"), duration=q.get("readout_length")
            )
            for i, q in enumerate(qubits[:num_qubits])
            if i not in faulty_qubits
        }
        for name in supported & _NON_UNITARY:
            if qargs_of.get(name) is None:
                qargs_of[name] = {(i,): None for i in range(num_qubits) if i not in faulty_qubits}
    else:
        for name in supported & _NON_UNITARY:
            if qargs_of.get(name) is None:
                qargs_of[name] = {(i,): None for i in range(num_qubits)}

    target = Target(num_qubits=num_qubits, **extra)
    for name in sorted(names):
        if name in control_flow:
            target.add_instruction(control_flow[name], name=name)
        else:
            target.add_instruction(
                operations[name],
                properties=qargs_of.get(name),
                name=name,
                angle_bounds=[(0, math.pi / 2)] if name == "rzz" else None,
            )
    return target


def calibration_stamp(configuration: Mapping[str, Any], properties: Mapping[str, Any]) -> str:
    """What identifies one calibration of a device: a new one means a new Target."""
    return "|".join(
        str(part)
        for part in (
            configuration.get("backend_version"),
            properties.get("backend_version"),
            properties.get("last_update_date"),
        )
    )


@dataclass
class _CachedTarget:
    target: Any
    stamp: str
    checked_at: float


class TargetCache:
    """Targets per (backend, calibration id, fractional gates). One asked for by calibration id
    never changes; one for "the current calibration" is re-checked after ``max_age`` seconds
    (two document requests) and rebuilt only if the calibration changed."""

    def __init__(self, clock: Callable[[], float], max_age: float) -> None:
        self._clock = clock
        self._max_age = max_age
        self._entries: dict[tuple[str, str | None, bool], _CachedTarget] = {}

    def fresh(self, key: tuple[str, str | None, bool]) -> Any | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if key[1] is not None or self._clock() - entry.checked_at < self._max_age:
            return entry.target
        return None

    def store(
        self,
        key: tuple[str, str | None, bool],
        configuration: Mapping[str, Any],
        properties: Mapping[str, Any],
        build: Callable[[], Any],
    ) -> Any:
        stamp = calibration_stamp(configuration, properties)
        entry = self._entries.get(key)
        if entry is None or entry.stamp != stamp:
            entry = self._entries[key] = _CachedTarget(build(), stamp, self._clock())
        else:
            entry.checked_at = self._clock()
        return entry.target

    def clear(self) -> None:
        self._entries.clear()


# ------------------------------------------------------------------------------- transpiling


def _load(text: str, where: str) -> Any:
    from qiskit import qasm2, qasm3

    try:
        if text.lstrip().startswith("OPENQASM 2"):
            return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
        return qasm3.loads(text)
    except Exception as exc:  # the importers raise several unrelated exception types
        raise InvalidInputError(f"{where}: cannot read the OpenQASM circuit ({exc})") from exc


def layout_of(isa: Any) -> CircuitLayout:
    """The ``CircuitLayout`` of a circuit qiskit transpiled (trivial if it has none)."""
    layout = isa.layout
    if layout is None:
        qubits = tuple(range(isa.num_qubits))
        return CircuitLayout(initial=qubits, final=qubits)
    return CircuitLayout(
        initial=tuple(layout.initial_index_layout(filter_ancillas=False)),
        final=tuple(layout.final_index_layout()),
    )


class Transpiler:
    """One pass manager for one Target, applied to circuits of any form."""

    def __init__(self, target: Any, optimization_level: int, seed: int | None = None) -> None:
        from qiskit.transpiler import generate_preset_pass_manager

        self.num_qubits = int(target.num_qubits)
        self._manager = generate_preset_pass_manager(
            optimization_level=check_optimization_level(optimization_level),
            target=target,
            seed_transpiler=seed,
        )

    def circuit(self, circuit: Any, where: str = "circuit") -> tuple[Any, CircuitLayout]:
        """(the ISA circuit in the input's form, its layout)."""
        if isinstance(circuit, str):
            isa = self._run(_load(circuit, where), where)
            from qiskit import qasm3

            layout = layout_of(isa)
            return TranspiledQasm(qasm3.dumps(isa), layout, self.num_qubits), layout
        if _is_quantum_circuit(circuit):
            isa = self._run(circuit, where)
            return isa, layout_of(isa)
        raise InvalidInputError(
            f"{where}: a circuit must be an OpenQASM string or a qiskit QuantumCircuit, "
            f"got {type(circuit).__name__}"
        )

    def _run(self, circuit: Any, where: str) -> Any:
        from qiskit.transpiler.exceptions import TranspilerError

        try:
            # One circuit per call: a list would fan out to worker processes.
            return self._manager.run(circuit)
        except TranspilerError as exc:
            raise InvalidInputError(f"{where}: qiskit could not transpile it ({exc})") from exc


def transpile_circuits(
    circuits: Any, target: Any, optimization_level: int = 1, *, seed: int | None = None
) -> Any:
    """One circuit in, one out; a list in, a list out. A QuantumCircuit comes back as a
    QuantumCircuit (its ``.layout`` kept); an OpenQASM string as a ``TranspiledQasm``."""
    transpiler = Transpiler(target, optimization_level, seed)
    if isinstance(circuits, list | tuple):
        return [transpiler.circuit(c, f"circuits[{i}]")[0] for i, c in enumerate(circuits)]
    return transpiler.circuit(circuits)[0]


def transpile_pubs(
    pubs: Any, target: Any, kind: str, optimization_level: int = 1, *, seed: int | None = None
) -> list[Any]:
    """Sampler or estimator PUBs with each circuit transpiled for ``target``; an estimator
    PUB's observables are laid out to match. Anything malformed is left for ``_pubs`` to reject
    with its usual message."""
    transpiler = Transpiler(target, optimization_level, seed)
    items: Sequence[Any] = [pubs] if isinstance(pubs, str) or _is_quantum_circuit(pubs) else pubs
    if not isinstance(items, list | tuple):
        return items  # type: ignore[return-value]
    out: list[Any] = []
    for index, pub in enumerate(items):
        where = f"{kind} pubs[{index}]"
        if kind == "sampler" and (isinstance(pub, str) or _is_quantum_circuit(pub)):
            out.append(transpiler.circuit(pub, where)[0])
        elif isinstance(pub, list | tuple) and pub:
            isa, layout = transpiler.circuit(pub[0], where)
            rest = list(pub[1:])
            if kind == "estimator" and rest:
                rest[0] = layout.apply(rest[0], transpiler.num_qubits)
            out.append((isa, *rest))
        else:
            out.append(pub)
    return out
