"""Validation of primitive inputs and construction of the ``POST /v1/jobs`` envelope.

Everything here is pure: no request is sent, so a malformed PUB, a bad option name or a tag that
is too long costs nothing but an ``InvalidInputError`` that says what is wrong. The limits come
from the 0.45.3 spec (``JobRunParamsSampler``/``Estimator``, ``Tags``, ``JobCost``), whose
``additionalProperties: false`` means the service would reject unknown option names anyway, only
later and less helpfully.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from numbers import Integral, Real
from typing import Any, ParamSpec, TypeVar

from ._exceptions import InvalidInputError

P = ParamSpec("P")
T = TypeVar("T")

__all__ = [
    "ESTIMATOR_OPTIONS",
    "MAX_EXECUTION_TIME",
    "MAX_TAGS",
    "MAX_TAG_LENGTH",
    "SAMPLER_OPTIONS",
    "build_envelope",
    "estimator_params",
    "register_widths",
    "sampler_params",
    "validate_tags",
]

MAX_TAGS = 8
MAX_TAG_LENGTH = 86
MAX_EXECUTION_TIME = 10800  # seconds; JobCost maximum, the service's 3 h ceiling
PRIMITIVE_VERSION = 2
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")

# An option tree: a name maps to None (a leaf, any value) or to the tree of its sub-options.
OptionTree = Mapping[str, "OptionTree | None"]

_DD: OptionTree = dict.fromkeys(
    (
        "enable",
        "sequence_type",
        "extra_slack_distribution",
        "scheduling_method",
        "skip_reset_qubits",
    )
)
_TWIRLING: OptionTree = dict.fromkeys(
    ("enable_gates", "enable_measure", "num_randomizations", "shots_per_randomization", "strategy")
)
_SIMULATOR: OptionTree = dict.fromkeys(
    ("noise_model", "seed_simulator", "coupling_map", "basis_gates")
)

SAMPLER_OPTIONS: OptionTree = {
    "default_shots": None,
    "dynamical_decoupling": _DD,
    "execution": dict.fromkeys(("init_qubits", "rep_delay", "meas_type")),
    "twirling": _TWIRLING,
    "simulator": _SIMULATOR,
    "experimental": None,
}

ESTIMATOR_OPTIONS: OptionTree = {
    "seed_estimator": None,
    "default_precision": None,
    "default_shots": None,
    "dynamical_decoupling": _DD,
    "resilience": {
        "measure_mitigation": None,
        "measure_noise_learning": dict.fromkeys(("num_randomizations", "shots_per_randomization")),
        "zne_mitigation": None,
        "zne": dict.fromkeys(
            ("noise_factors", "extrapolator", "amplifier", "extrapolated_noise_factors")
        ),
        "pec_mitigation": None,
        "pec": dict.fromkeys(("max_overhead", "noise_gain")),
        "layer_noise_learning": dict.fromkeys(
            (
                "max_layers_to_learn",
                "shots_per_randomization",
                "num_randomizations",
                "layer_pair_depths",
            )
        ),
        "layer_noise_model": None,
    },
    "execution": dict.fromkeys(("init_qubits", "rep_delay")),
    "twirling": _TWIRLING,
    "simulator": _SIMULATOR,
    "experimental": None,
}

# Names users bring over from older APIs, with the reason they no longer apply.
_RETIRED_OPTIONS = {
    "transpilation": "V2 primitives do not transpile: send circuits already transpiled for the "
    "backend (ISA circuits)",
    "optimization_level": "V2 primitives do not transpile: send circuits already transpiled for "
    "the backend (ISA circuits)",
    "resilience_level": "pass resilience_level= to run_estimator(); the sampler has no "
    "resilience levels",
}

_ENVELOPE_EXTRAS = (
    "log_level",
    "max_execution_time",
    "private",
    "runtime",
    "calibration_id",
    "remote_storage",
)


MAX_JSON_DEPTH = 64
_MAX_JSON_INT = 2**63 - 1


def json_safe(value: Any, where: str, depth: int = 0) -> Any:
    """``value`` as plain JSON types, or ``InvalidInputError`` naming what cannot be sent.

    NumPy scalars and arrays, ``Fraction`` and ``Decimal`` become ints, floats and lists; NaN and
    infinities (JSON has none), numbers beyond 64 bits, text that is not valid Unicode (a lone
    surrogate), non-string keys, other types and nesting deeper than ``MAX_JSON_DEPTH`` are
    refused, so nothing fails later, inside the JSON encoder, or half-way through a request."""
    if depth > MAX_JSON_DEPTH:
        raise InvalidInputError(f"{where}: nested more than {MAX_JSON_DEPTH} levels deep")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInputError(
                f"{where}: text {value[:40]!r} is not valid Unicode (it holds a lone surrogate)"
            ) from None
        return value
    value = _to_plain(value)
    if isinstance(value, bool | str):
        return json_safe(value, where, depth)
    if isinstance(value, Integral):
        number = int(value)
        if abs(number) > _MAX_JSON_INT:
            raise InvalidInputError(
                f"{where}: an integer of {len(str(abs(number)))} digits does not fit in 64 bits"
            )
        return number
    if isinstance(value, Real | Decimal):
        try:
            real = float(value)
        except (ArithmeticError, ValueError):
            real = math.nan
        if not math.isfinite(real):
            raise InvalidInputError(
                f"{where}: {value!r:.40} is not a finite number (JSON has no NaN or infinity)"
            )
        return real
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInputError(f"{where}: keys must be strings, got {key!r:.40}")
            out[json_safe(key, where, depth + 1)] = json_safe(item, f"{where}.{key}", depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [json_safe(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
    raise InvalidInputError(
        f"{where}: a {type(value).__name__} cannot be sent as JSON ({value!r:.60})"
    )


def input_guard(function: Callable[P, T]) -> Callable[P, T]:
    """Turn a RecursionError (input nested thousands of levels deep) into InvalidInputError."""

    @functools.wraps(function)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return function(*args, **kwargs)
        except RecursionError:
            raise InvalidInputError(
                f"the input to {function.__name__} is nested too deeply to send"
            ) from None

    return guarded


def _closest(name: str, choices: Iterable[str]) -> str:
    found = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {found[0]!r}?" if found else ""


def _check_options(options: Mapping[str, Any], tree: OptionTree, where: str, kind: str) -> None:
    if not isinstance(options, Mapping):
        raise InvalidInputError(
            f"{kind} options{' at ' + repr(where) if where else ''} must be a mapping "
            f"(a dict of names to values), got {type(options).__name__}"
        )
    for name, value in options.items():
        path = f"{where}.{name}" if where else name
        if not isinstance(name, str) or name not in tree:
            hint = _RETIRED_OPTIONS.get(str(name))
            if hint:
                raise InvalidInputError(f"{kind} option {path!r} is not accepted: {hint}")
            valid = ", ".join(sorted(tree))
            scope = f"under {where!r}" if where else "at the top level"
            raise InvalidInputError(
                f"unknown {kind} option {path!r}; valid names {scope}: {valid}"
                f"{_closest(str(name), tree)}"
            )
        subtree = tree[name]
        if subtree is None or value is None:
            continue
        if not isinstance(value, Mapping):
            raise InvalidInputError(
                f"{kind} option {path!r} must be a mapping of sub-options "
                f"({', '.join(sorted(subtree))}), got {type(value).__name__}"
            )
        _check_options(value, subtree, path, kind)


def _is_quantum_circuit(value: object) -> bool:
    # Duck-typed on the class name so qiskit is never imported unless the caller already has it.
    return any(
        cls.__name__ == "QuantumCircuit" and cls.__module__.startswith("qiskit")
        for cls in type(value).__mro__
    )


def _circuit_to_qasm(circuit: object, where: str) -> str:
    if isinstance(circuit, str):
        if not circuit.strip():
            raise InvalidInputError(f"{where}: the circuit is an empty string")
        return circuit
    if _is_quantum_circuit(circuit):
        from qiskit import qasm3  # qiskit is present: the caller built a QuantumCircuit with it

        try:
            text: str = qasm3.dumps(circuit)
        except Exception as exc:  # qasm3 raises several unrelated types for unsupported input
            raise InvalidInputError(
                f"{where}: this QuantumCircuit cannot be written as OpenQASM 3 ({exc})"
            ) from exc
        return text
    raise InvalidInputError(
        f"{where}: a circuit must be an OpenQASM 3 string or a qiskit QuantumCircuit, "
        f"got {type(circuit).__name__}"
    )


def _circuit_widths(circuit: object) -> dict[str, int]:
    if isinstance(circuit, str):
        return register_widths(circuit)
    cregs = getattr(circuit, "cregs", None) or []
    return {str(reg.name): int(reg.size) for reg in cregs}


_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)
_BIT_ARRAY = re.compile(r"\bbit\s*\[\s*(\d+)\s*\]\s*([A-Za-z_]\w*)")
_BIT_SINGLE = re.compile(r"\bbit\s+([A-Za-z_]\w*)\s*[;=]")
_CREG_ARRAY = re.compile(r"\bcreg\s+([A-Za-z_]\w*)\s*\[\s*(\d+)\s*\]")
_CREG_SINGLE = re.compile(r"\bcreg\s+([A-Za-z_]\w*)\s*;")


def register_widths(qasm: str) -> dict[str, int]:
    """Classical register name -> width, read from OpenQASM 2/3 declarations.

    Real sampler results may omit ``num_bits``; knowing the declared width lets bitstrings be
    zero-padded correctly (``0x1`` from a 2-bit register is ``"01"``, not ``"1"``).
    """
    text = _COMMENTS.sub("", qasm)
    widths: dict[str, int] = {}
    for size, name in _BIT_ARRAY.findall(text):
        widths[name] = int(size)
    for name in _BIT_SINGLE.findall(text):
        widths.setdefault(name, 1)
    for name, size in _CREG_ARRAY.findall(text):
        widths[name] = int(size)
    for name in _CREG_SINGLE.findall(text):
        widths.setdefault(name, 1)
    return widths


def _to_plain(value: Any) -> Any:
    # NumPy arrays and scalars become lists and floats, so json.dumps never meets them.
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and not isinstance(value, str | bytes):
        return tolist()
    return value


def _parameter_values(value: Any, where: str) -> Any:
    value = _to_plain(value)
    if value is None:
        return None
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = getattr(key, "name", key)  # a qiskit Parameter as a key
            if not isinstance(name, str):
                raise InvalidInputError(
                    f"{where}: parameter names must be strings, got {type(name).__name__}"
                )
            out[name] = _numeric_tree(_to_plain(item), f"{where}[{name!r}]")
        return out
    if isinstance(value, list | tuple):
        return _numeric_tree(value, where)
    raise InvalidInputError(
        f"{where}: parameter values must be a mapping {{name: value}}, a (nested) list of numbers "
        f"or None, got {type(value).__name__}"
    )


def _numeric_tree(value: Any, where: str) -> Any:
    value = _to_plain(value)
    if isinstance(value, list | tuple):
        return [_numeric_tree(item, where) for item in value]
    if isinstance(value, bool) or not isinstance(value, Real | Decimal):
        raise InvalidInputError(f"{where}: parameter values must be real numbers, got {value!r}")
    return json_safe(value, where)


_PAULI = re.compile(r"^[IXYZ]+\Z")


def _observables(value: Any, where: str) -> Any:
    to_list = getattr(value, "to_list", None)
    if callable(to_list) and type(value).__name__ == "SparsePauliOp":
        return _observables(_sparse_pauli_to_dict(to_list()), where)
    value = _to_plain(value)
    if isinstance(value, str):
        if not _PAULI.match(value):
            raise InvalidInputError(
                f"{where}: observable {value!r} is not a Pauli string (letters I, X, Y, Z)"
            )
        return value
    if isinstance(value, Mapping):
        if not value:
            raise InvalidInputError(f"{where}: an observable mapping cannot be empty")
        for label, coeff in value.items():
            if not isinstance(label, str) or not _PAULI.match(label):
                raise InvalidInputError(
                    f"{where}: observable key {label!r} is not a Pauli string (letters I, X, Y, Z)"
                )
            if isinstance(coeff, bool) or not isinstance(_to_plain(coeff), Real | Decimal):
                raise InvalidInputError(
                    f"{where}: the coefficient of {label!r} must be a real number, got {coeff!r}"
                )
        return {label: json_safe(coeff, f"{where}[{label!r}]") for label, coeff in value.items()}
    if isinstance(value, list | tuple):
        if not value:
            raise InvalidInputError(f"{where}: the observables list is empty")
        return [_observables(item, where) for item in value]
    raise InvalidInputError(
        f"{where}: observables must be a Pauli string, a {{pauli: coefficient}} mapping or a "
        f"(nested) list of those, got {type(value).__name__}"
    )


def _sparse_pauli_to_dict(terms: Sequence[tuple[str, Any]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for label, coeff in terms:
        c = complex(coeff)
        if c.imag:
            raise InvalidInputError(f"observable term {label!r} has a complex coefficient {coeff}")
        out[label] = out.get(label, 0.0) + c.real
    return out


def _check_shots(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Integral):  # numpy integers are Integral
        raise InvalidInputError(f"{where}: shots must be an integer, got {value!r}")
    if value < 1:
        raise InvalidInputError(f"{where}: shots must be >= 1, got {value}")
    return int(json_safe(value, where))


def _check_precision(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real | Decimal):
        raise InvalidInputError(f"{where}: precision must be a number, got {value!r}")
    try:
        number = float(json_safe(value, where))
    except InvalidInputError:
        number = math.nan
    if not number > 0:  # NaN and infinities too
        raise InvalidInputError(f"{where}: precision must be > 0 and finite, got {value!r:.40}")
    return number


def _pub_list(pubs: Any, kind: str) -> list[Any]:
    if isinstance(pubs, str) or _is_quantum_circuit(pubs):
        return [pubs]
    if not isinstance(pubs, Sequence) or isinstance(pubs, bytes):
        raise InvalidInputError(f"{kind} pubs must be a list of PUBs, got {type(pubs).__name__}")
    if not pubs:
        raise InvalidInputError(f"{kind} pubs must contain at least one PUB")
    return list(pubs)


def _trim(items: list[Any], keep: int = 1) -> list[Any]:
    """Drop trailing ``None`` items, keeping at least ``keep``."""
    while len(items) > keep and items[-1] is None:
        items.pop()
    return items


@input_guard
def sampler_params(
    pubs: Any,
    *,
    shots: int | None = None,
    options: Mapping[str, Any] | None = None,
    support_qiskit: bool = False,
) -> tuple[dict[str, Any], list[dict[str, int]]]:
    """Validated SamplerV2 ``params``, plus each PUB's declared register widths."""
    out: list[list[Any]] = []
    widths: list[dict[str, int]] = []
    for index, pub in enumerate(_pub_list(pubs, "sampler")):
        where = f"sampler pubs[{index}]"
        if isinstance(pub, str) or _is_quantum_circuit(pub):
            items: list[Any] = [pub]
        elif isinstance(pub, list | tuple):
            items = list(pub)
        else:
            raise InvalidInputError(
                f"{where}: a sampler PUB is a circuit or a tuple (circuit, parameter_values, "
                f"shots), got {type(pub).__name__}"
            )
        if not 1 <= len(items) <= 3:
            raise InvalidInputError(
                f"{where}: a sampler PUB has 1 to 3 items (circuit, parameter_values, shots), "
                f"got {len(items)}"
            )
        items += [None] * (3 - len(items))
        circuit, values, pub_shots = items
        widths.append(_circuit_widths(circuit))
        out.append(
            _trim(
                [
                    _circuit_to_qasm(circuit, where),
                    _parameter_values(values, where),
                    _check_shots(pub_shots, where),
                ]
            )
        )
    params: dict[str, Any] = {"pubs": out, "version": PRIMITIVE_VERSION}
    if shots is not None:
        params["shots"] = _check_shots(shots, "shots")
    if options:
        _check_options(options, SAMPLER_OPTIONS, "", "sampler")
        params["options"] = _to_plain_tree(options)
        if "default_shots" in options:
            _check_shots(options["default_shots"], "options.default_shots")
    if support_qiskit:
        params["support_qiskit"] = True
    return params, widths


@input_guard
def estimator_params(
    pubs: Any,
    *,
    precision: float | None = None,
    resilience_level: int | None = None,
    options: Mapping[str, Any] | None = None,
    support_qiskit: bool = False,
) -> dict[str, Any]:
    """Validated EstimatorV2 ``params``."""
    out: list[list[Any]] = []
    for index, pub in enumerate(_pub_list(pubs, "estimator")):
        where = f"estimator pubs[{index}]"
        if not isinstance(pub, list | tuple):
            raise InvalidInputError(
                f"{where}: an estimator PUB is a tuple (circuit, observables, parameter_values, "
                f"precision), got {type(pub).__name__}"
            )
        items = list(pub)
        if not 2 <= len(items) <= 4:
            raise InvalidInputError(
                f"{where}: an estimator PUB has 2 to 4 items (circuit, observables, "
                f"parameter_values, precision), got {len(items)}"
            )
        items += [None] * (4 - len(items))
        circuit, observables, values, pub_precision = items
        # (circuit, observables) goes out as [circuit, observables, null], as IBM's own
        # documented requests send it.
        out.append(
            _trim(
                [
                    _circuit_to_qasm(circuit, where),
                    _observables(observables, where),
                    _parameter_values(values, where),
                    _check_precision(pub_precision, where),
                ],
                keep=3,
            )
        )
    params: dict[str, Any] = {"pubs": out, "version": PRIMITIVE_VERSION}
    if precision is not None:
        params["precision"] = _check_precision(precision, "precision")
    if resilience_level is not None:
        if type(resilience_level) is not int or resilience_level not in (0, 1, 2):
            raise InvalidInputError(f"resilience_level must be 0, 1 or 2, got {resilience_level!r}")
        params["resilience_level"] = resilience_level
    if options:
        _check_options(options, ESTIMATOR_OPTIONS, "", "estimator")
        if "default_precision" in options:
            _check_precision(options["default_precision"], "options.default_precision")
        if options.get("default_shots") is not None:
            _check_shots(options["default_shots"], "options.default_shots")
        params["options"] = _to_plain_tree(options)
    if support_qiskit:
        params["support_qiskit"] = True
    return params


def _to_plain_tree(value: Any) -> Any:
    value = _to_plain(value)
    if isinstance(value, Mapping):
        return {key: _to_plain_tree(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_to_plain_tree(item) for item in value]
    return value


def validate_tags(tags: Iterable[str] | None, *, reserved: int = 0) -> list[str]:
    """Check the ``Tags`` limits; ``reserved`` slots are kept for tags the client adds itself."""
    if tags is None:
        return []
    if isinstance(tags, str):
        raise InvalidInputError("tags must be a list of strings, not a single string")
    if not isinstance(tags, Iterable):
        raise InvalidInputError(f"tags must be a list of strings, got {tags!r:.60}")
    found = list(tags)
    limit = MAX_TAGS - reserved
    if len(found) > limit:
        why = (
            f" (one of the {MAX_TAGS} is used by the idempotency tag; pass idempotency=False "
            "to use all of them)"
            if reserved
            else ""
        )
        raise InvalidInputError(f"at most {limit} tags are allowed, got {len(found)}{why}")
    for tag in found:
        if not isinstance(tag, str):
            raise InvalidInputError(f"tags must be strings, got {tag!r}")
        json_safe(tag, "tags")
        if len(tag) > MAX_TAG_LENGTH:
            raise InvalidInputError(
                f"tag {tag[:20]!r}... is {len(tag)} characters; at most {MAX_TAG_LENGTH} allowed"
            )
    return found


@input_guard
def build_envelope(
    program_id: str,
    backend: str,
    params: Mapping[str, Any],
    *,
    session_id: str | None = None,
    tags: Sequence[str] = (),
    extras: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``POST /v1/jobs`` body. ``extras`` holds the optional envelope fields by their
    facade names (``max_execution_time`` is sent as ``cost``)."""
    if not isinstance(program_id, str) or not program_id:
        raise InvalidInputError("program_id must be a non-empty string")
    if not isinstance(backend, str) or not backend:
        raise InvalidInputError("backend must be a non-empty backend name, e.g. 'ibm_pittsburgh'")
    body: dict[str, Any] = {"program_id": program_id, "backend": backend, "params": dict(params)}
    if session_id is not None:
        if not isinstance(session_id, str) or not 1 <= len(session_id) <= 36:
            raise InvalidInputError(
                f"session id must be a string of 1 to 36 characters: {session_id!r}"
            )
        body["session_id"] = session_id
    if tags:
        body["tags"] = list(tags)
    for name, value in (extras or {}).items():
        if name not in _ENVELOPE_EXTRAS:
            raise InvalidInputError(
                f"unknown job option {name!r}; valid names: {', '.join(_ENVELOPE_EXTRAS)}"
                f"{_closest(name, _ENVELOPE_EXTRAS)}"
            )
        if value is None:
            continue
        if name == "max_execution_time":
            body["cost"] = _check_execution_time(value)
        elif name == "log_level":
            if value not in LOG_LEVELS:
                raise InvalidInputError(
                    f"log_level must be one of {', '.join(LOG_LEVELS)}, got {value!r}"
                )
            body["log_level"] = value
        elif name == "private":
            if not isinstance(value, bool):
                raise InvalidInputError(f"private must be True or False, got {value!r}")
            if value:  # the service echoes the field only when true; sending false is noise
                body["private"] = True
        else:
            body[name] = value
    return json_safe(body, "the job")  # type: ignore[no-any-return]


def _check_execution_time(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(f"max_execution_time must be a number of seconds, got {value!r}")
    if not 1 <= value <= MAX_EXECUTION_TIME:
        raise InvalidInputError(
            f"max_execution_time must be between 1 and {MAX_EXECUTION_TIME} seconds (the "
            f"service's 3-hour limit), got {value}"
        )
    if value != int(value):
        raise InvalidInputError(f"max_execution_time must be whole seconds, got {value}")
    return int(value)
