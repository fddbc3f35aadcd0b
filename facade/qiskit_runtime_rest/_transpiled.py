"""Transpiled circuits: where their qubits went, laying observables out to match, and the
transpiler service's request and answer shapes. I/O-free and qiskit-free: the service's answers
are read and applied without qiskit installed.

A layout has the transpiler service's shape (``{"initial": [...], "final": [...]}``):
``initial[k]`` is the physical qubit virtual qubit ``k`` starts on (ancillas follow the circuit's
own qubits, so the list may be as long as the device), ``final[k]`` the physical qubit its state
ends on after routing. An estimator observable written for the circuit's ``n`` qubits acts, on the
ISA circuit, on ``final[0..n)``: that is what ``apply`` computes, as qiskit's
``SparsePauliOp.apply_layout(circuit.layout, num_qubits)`` does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

from ._constants import TRANSPILER_FAILURE, TRANSPILER_SUCCESS
from ._exceptions import InvalidInputError, UnexpectedResponseError

__all__ = [
    "CircuitLayout",
    "TranspileTask",
    "TranspiledQasm",
    "parse_task",
    "parse_task_id",
    "transpile_request",
]

_PAULI = re.compile(r"^[IXYZ]+$")


@dataclass(frozen=True)
class CircuitLayout:
    """``initial``: the physical qubit each virtual qubit starts on (ancillas after the circuit's
    own qubits); ``final``: the physical qubit each of the circuit's qubits ends on."""

    initial: tuple[int, ...]
    final: tuple[int, ...]

    @property
    def num_qubits(self) -> int:
        """How many qubits the circuit had before it was laid out."""
        return len(self.final)

    @classmethod
    def from_json(cls, body: Any, num_qubits: int | None = None) -> Self:
        """Read the service's ``layout`` object. ``final`` may be missing or cover only the
        circuit's qubits; qubits it does not cover end where they started."""
        if not isinstance(body, Mapping):
            raise _odd(f"a transpiled circuit's layout is not an object: {body!r}")
        initial = _ints(body.get("initial"), "initial")
        final = _ints(body.get("final") or [], "final")
        count = num_qubits if num_qubits is not None else (len(final) or len(initial))
        if count > len(initial) or len(final) > len(initial):
            raise _odd(f"inconsistent layout from the transpiler: {body!r}")
        ends = list(final[:count]) + list(initial[len(final) : count])
        return cls(initial=tuple(initial), final=tuple(ends))

    def to_json(self) -> dict[str, list[int]]:
        return {"initial": list(self.initial), "final": list(self.final)}

    def apply(self, observables: Any, num_qubits: int) -> Any:
        """``observables`` (a Pauli string, a ``{pauli: coefficient}`` mapping, a qiskit operator
        with ``apply_layout``, or nested lists of those) laid out on a ``num_qubits``-wide device.
        """
        if hasattr(observables, "apply_layout"):  # SparsePauliOp, Pauli, SparseObservable
            return observables.apply_layout(list(self.final), num_qubits)
        if isinstance(observables, str):
            return self._apply_label(observables, num_qubits)
        if isinstance(observables, Mapping):
            laid_out: dict[str, Any] = {}
            for label, coeff in observables.items():
                key = self._apply_label(label, num_qubits)
                laid_out[key] = laid_out.get(key, 0) + coeff
            return laid_out
        if isinstance(observables, list | tuple):
            return [self.apply(item, num_qubits) for item in observables]
        raise InvalidInputError(
            "observables must be a Pauli string, a {pauli: coefficient} mapping, a qiskit "
            f"operator or a (nested) list of those, got {type(observables).__name__}"
        )

    def _apply_label(self, label: Any, num_qubits: int) -> str:
        if not isinstance(label, str) or not _PAULI.match(label):
            raise InvalidInputError(f"observable {label!r} is not a Pauli string (I, X, Y, Z)")
        if len(label) != self.num_qubits:
            raise InvalidInputError(
                f"observable {label!r} acts on {len(label)} qubits but the circuit has "
                f"{self.num_qubits}: lay it out for the circuit as written, before transpilation"
            )
        if any(q >= num_qubits for q in self.final):
            raise InvalidInputError(f"the layout {self.final} does not fit {num_qubits} qubits")
        letters = ["I"] * num_qubits
        for virtual, physical in enumerate(self.final):
            # Qiskit's labels are little-endian: the last letter acts on qubit 0.
            letters[num_qubits - 1 - physical] = label[len(label) - 1 - virtual]
        return "".join(letters)


class TranspiledQasm(str):
    """An ISA circuit as OpenQASM 3 text: a ``str`` (submit it as any circuit) that also keeps
    its ``layout`` (a ``CircuitLayout``) and ``num_qubits`` (the device's width), so that
    estimator observables can be laid out to match (``qasm.layout.apply(obs, qasm.num_qubits)``).
    """

    layout: CircuitLayout
    num_qubits: int

    def __new__(cls, text: str, layout: CircuitLayout, num_qubits: int) -> Self:
        made = super().__new__(cls, text)
        made.layout = layout
        made.num_qubits = num_qubits
        return made

    def __reduce__(self) -> Any:
        return (TranspiledQasm, (str(self), self.layout, self.num_qubits))


def _ints(value: Any, name: str) -> list[int]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise _odd(f"layout.{name} is not a list of qubits: {value!r}")
    if not all(isinstance(q, int) and not isinstance(q, bool) and q >= 0 for q in value):
        raise _odd(f"layout.{name} is not a list of qubits: {value!r}")
    return list(value)


# ------------------------------------------------------------- the transpiler service's shapes


@dataclass(frozen=True)
class TranspileTask:
    """One task of the transpiler service (``GET /transpile/{task_id}``): its ``state``
    (PENDING, STARTED, SUCCESS, FAILURE, or anything new), and once it succeeded the ISA
    circuits (``TranspiledQasm``, one per circuit sent, each with its layout)."""

    task_id: str
    state: str
    circuits: tuple[TranspiledQasm, ...] | None = None
    error: str | None = None
    body: Mapping[str, Any] | None = None

    @property
    def done(self) -> bool:
        return self.state in (TRANSPILER_SUCCESS, TRANSPILER_FAILURE) and (
            self.state == TRANSPILER_FAILURE or self.circuits is not None
        )


OPTIMIZATION_LEVELS = (0, 1, 2, 3)


def check_optimization_level(level: Any) -> int:
    if type(level) is not int or level not in OPTIMIZATION_LEVELS:
        raise InvalidInputError(f"optimization_level must be 0, 1, 2 or 3, got {level!r}")
    return level


def transpile_request(
    circuits: Sequence[str], backend: str, optimization_level: int, use_ai: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(query parameters, JSON body) of ``POST /transpile``. ``ai`` is the reference's current
    parameter; ``use_ai`` (which the notebook sends) is deprecated there."""
    if not isinstance(backend, str) or not backend:
        raise InvalidInputError(f"backend must be a non-empty string, got {backend!r}")
    params = {
        "backend": backend,
        "optimization_level": check_optimization_level(optimization_level),
        "ai": "true" if use_ai else "false",
    }
    return params, {"qasm_circuits": list(circuits)}


def parse_task_id(body: Any) -> str:
    task_id = body.get("task_id") if isinstance(body, Mapping) else None
    if not isinstance(task_id, str) or not task_id:
        raise _odd(f"the transpiler service answered without a task_id: {body!r}")
    return task_id


def parse_task(task_id: str, body: Any) -> TranspileTask:
    """Read ``GET /transpile/{task_id}``: ``{"state", "result": [{"qasm", "success", "layout"}]}``
    (the seed notebook's recorded answer has exactly this shape)."""
    if not isinstance(body, Mapping):
        raise _odd(f"transpiler task {task_id}: not an object: {body!r}")
    state = str(body.get("state") or "PENDING").upper()
    result = body.get("result")
    if state == TRANSPILER_FAILURE:
        detail = result if isinstance(result, str) else body.get("error") or body.get("detail")
        return TranspileTask(task_id, state, error=str(detail or "no reason given"), body=body)
    if state != TRANSPILER_SUCCESS or result is None:
        return TranspileTask(task_id, state, body=body)
    if not isinstance(result, list):
        raise _odd(f"transpiler task {task_id}: result is not a list")
    circuits = []
    for index, item in enumerate(result):
        if not isinstance(item, Mapping):
            raise _odd(f"transpiler task {task_id}: result[{index}] is odd")
        if item.get("success") is False or not isinstance(item.get("qasm"), str):
            return TranspileTask(
                task_id,
                TRANSPILER_FAILURE,
                error=f"circuit {index} could not be transpiled"
                + (f": {item['error']}" if item.get("error") else ""),
                body=body,
            )
        layout = CircuitLayout.from_json(item.get("layout"))
        circuits.append(TranspiledQasm(item["qasm"], layout, len(layout.initial)))
    return TranspileTask(task_id, state, circuits=tuple(circuits), body=body)


def _odd(message: str) -> UnexpectedResponseError:
    # A 2xx answer of the wrong shape (the error answers never reach the parsers).
    return UnexpectedResponseError(message, status_code=200)
