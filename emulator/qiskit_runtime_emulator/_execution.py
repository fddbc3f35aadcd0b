"""Running sampler and estimator PUBs with qiskit's reference primitives.

The input is a job's ``params`` as the API received them; the output is the text of the job's
result, in the plain JSON format (hex samples, ``evs``/``stds``) unless the job asked for
``support_qiskit``, in which case it is the Qiskit-encoded ``PrimitiveResult`` tree that
qiskit-ibm-runtime's decoder reads.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ._backends import Device
from ._circuits import (
    CircuitInputError,
    NonIsaCircuitError,
    check_isa,
    drop_idle_qubits,
    load_circuit,
    measured_qubits,
)
from ._constants import (
    DEFAULT_MAX_QUBITS,
    ESTIMATOR_DEFAULT_PRECISION,
    ESTIMATOR_NUM_RANDOMIZATIONS,
    SAMPLER_DEFAULT_SHOTS,
)
from ._errors import Code
from ._ids import format_time
from ._qiskit_json import UnsupportedEncodingError, decode_params, encode_result

__all__ = ["ExecutionError", "ExecutionSettings", "Outcome", "estimate_usage", "execute"]

# What one shot costs on the emulated QPU, for usage figures: a 250 us repetition period.
_SECONDS_PER_SHOT = 250e-6
_SECONDS_PER_PUB = 1.0


class ExecutionError(Exception):
    """The job fails: ``reason`` and ``code`` go into its ``state``."""

    def __init__(self, detail: str, code: tuple[int, str, str] = Code.VALIDATION) -> None:
        self.reason_code, message, self.solution = code
        self.reason = f"{message} {detail}"
        super().__init__(self.reason)


@dataclass(frozen=True)
class ExecutionSettings:
    readout_noise: bool = False
    strict_isa: bool = True
    seed: int | None = None
    max_qubits: int = DEFAULT_MAX_QUBITS


@dataclass(frozen=True)
class Outcome:
    result: str
    total_shots: int

    @property
    def quantum_seconds(self) -> int:
        return math.ceil(self.total_shots * _SECONDS_PER_SHOT + _SECONDS_PER_PUB)

    @property
    def execution_time_ns(self) -> int:
        return int(self.total_shots * _SECONDS_PER_SHOT * 1e9)


def estimate_usage(program_id: str, params: Any) -> float:
    """A rough quantum-seconds estimate from the envelope alone, before anything runs."""
    pubs = params.get("pubs") if isinstance(params, dict) else None
    count = len(pubs) if isinstance(pubs, list) else 1
    if program_id == "sampler":
        shots = SAMPLER_DEFAULT_SHOTS
    else:
        shots = _estimator_shots(ESTIMATOR_DEFAULT_PRECISION)
    return round(_SECONDS_PER_PUB + count * shots * _SECONDS_PER_SHOT, 3)


def execute(program_id: str, params: Any, device: Device, settings: ExecutionSettings) -> Outcome:
    """Run the job; raises ExecutionError for anything the job should fail with."""
    try:
        decoded = decode_params(params)
    except UnsupportedEncodingError as exc:
        raise ExecutionError(str(exc)) from None
    except Exception as exc:
        raise ExecutionError(f"Cannot decode the Qiskit-encoded params: {exc}") from None
    if not isinstance(decoded, dict):
        raise ExecutionError("params must be a JSON object.")
    pubs = decoded.get("pubs")
    if not isinstance(pubs, list) or not pubs:
        raise ExecutionError("params.pubs must be a non-empty array of PUBs.")
    options = decoded.get("options") or {}
    if not isinstance(options, dict):
        raise ExecutionError("params.options must be an object.")
    started = datetime.now(UTC)
    result: _SamplerRun | _EstimatorRun
    try:
        if program_id == "sampler":
            result, total_shots = _run_sampler(decoded, pubs, options, device, settings)
        else:
            result, total_shots = _run_estimator(decoded, pubs, options, device, settings)
    except ExecutionError:
        raise
    except NonIsaCircuitError as exc:
        raise ExecutionError(str(exc), Code.NON_ISA) from None
    except (CircuitInputError, ValueError, TypeError, IndexError, KeyError) as exc:
        raise ExecutionError(str(exc)) from None
    except Exception as exc:
        from qiskit.exceptions import QiskitError  # loaded by now: the job ran qiskit

        # Qiskit rejecting the input (CircuitError and every other subclass) is the caller's
        # problem (1002); anything else is the emulator's own failure.
        code = Code.VALIDATION if isinstance(exc, QiskitError) else Code.INTERNAL
        raise ExecutionError(str(exc), code) from None
    stopped = datetime.now(UTC)
    if decoded.get("support_qiskit") is True:
        try:
            text = encode_result(_qiskit_tree(program_id, result, started, stopped))
        except UnsupportedEncodingError as exc:
            raise ExecutionError(str(exc)) from None
    else:
        text = json.dumps(_plain(program_id, result, started, stopped), separators=(",", ":"))
    return Outcome(result=text, total_shots=total_shots)


def _seed(options: dict[str, Any], key: str | None, settings: ExecutionSettings) -> int | None:
    simulator = options.get("simulator") or {}
    for candidate in (options.get(key) if key else None, simulator.get("seed_simulator")):
        if isinstance(candidate, int) and not isinstance(candidate, bool):
            return candidate
    return settings.seed


def _as_tuple(pub: Any) -> tuple[Any, ...]:
    if isinstance(pub, (list, tuple)):
        if not pub:
            raise ExecutionError("A PUB must not be empty.")
        return tuple(pub)
    return (pub,)


def _prepare_circuit(
    raw: Any, device: Device, settings: ExecutionSettings, *, drop_measurements: bool
) -> tuple[Any, Any, list[int]]:
    original = load_circuit(raw)
    if settings.strict_isa:
        check_isa(original, device)
    circuit = original.remove_final_measurements(inplace=False) if drop_measurements else original
    compact, active = drop_idle_qubits(circuit)
    if compact.num_qubits > settings.max_qubits:
        raise ExecutionError(
            f"The circuit acts on {compact.num_qubits} qubits; the emulator simulates at most "
            f"{settings.max_qubits}."
        )
    return original, compact, active


# --------------------------------------------------------------------------------------- sampler


@dataclass
class _SamplerRun:
    results: Any
    shots: list[int]
    # Randomizations per PUB when twirling was asked for (the service twirls; the emulator
    # reports the shape of a twirled run: metadata and TwirledSliceSpanV2 spans), else None.
    randomizations: int | None = None


def _randomizations(options: dict[str, Any], shots: int) -> int | None:
    twirling = options.get("twirling") or {}
    if not (twirling.get("enable_gates") or twirling.get("enable_measure")):
        return None
    chosen = twirling.get("num_randomizations")
    if isinstance(chosen, int) and not isinstance(chosen, bool) and chosen > 0:
        return chosen
    return max(1, min(ESTIMATOR_NUM_RANDOMIZATIONS, shots))


def _run_sampler(
    params: dict[str, Any],
    pubs: list[Any],
    options: dict[str, Any],
    device: Device,
    settings: ExecutionSettings,
) -> tuple[_SamplerRun, int]:
    from qiskit.primitives import StatevectorSampler
    from qiskit.primitives.containers.sampler_pub import SamplerPub

    default_shots = params.get("shots") or options.get("default_shots") or SAMPLER_DEFAULT_SHOTS
    coerced = []
    measured: list[dict[Any, int]] = []
    for raw in pubs:
        items = _as_tuple(raw)
        if len(items) > 3:
            raise ExecutionError("A sampler PUB is (circuit, parameter_values, shots).")
        _, compact, active = _prepare_circuit(items[0], device, settings, drop_measurements=False)
        values = items[1] if len(items) > 1 else None
        shots = items[2] if len(items) > 2 and items[2] is not None else default_shots
        coerced.append(SamplerPub.coerce((compact, values, int(shots))))
        measured.append({bit: active[q] for bit, q in measured_qubits(compact).items()})
    seed = _seed(options, None, settings)
    result = StatevectorSampler(default_shots=int(default_shots), seed=seed).run(coerced).result()
    if settings.readout_noise:
        result = _with_readout_noise(result, coerced, measured, device, seed)
    shots_per_pub = [pub.shots for pub in coerced]
    total = sum(pub.shots * math.prod(pub.shape) for pub in coerced)
    twirled = _randomizations(options, min(shots_per_pub))
    return _SamplerRun(results=result, shots=shots_per_pub, randomizations=twirled), total


def _with_readout_noise(
    result: Any, pubs: list[Any], measured: list[dict[Any, int]], device: Device, seed: int | None
) -> Any:
    """Flip each measured bit with the device's P(1|0) / P(0|1) for the qubit it came from."""
    from qiskit.primitives import PrimitiveResult, SamplerPubResult
    from qiskit.primitives.containers import BitArray, DataBin

    rng = np.random.default_rng(None if seed is None else seed + 1)
    noisy = []
    for pub, pub_result, clbit_qubits in zip(pubs, result, measured, strict=True):
        fields = {}
        for creg in pub.circuit.cregs:
            bits: BitArray = pub_result.data[creg.name]
            unpacked = np.unpackbits(bits.array, axis=-1, bitorder="big")
            width = unpacked.shape[-1]
            p01 = np.zeros(width)
            p10 = np.zeros(width)
            for k, clbit in enumerate(creg):
                qubit = clbit_qubits.get(clbit)
                if qubit is not None and qubit < device.n_qubits:
                    p01[width - 1 - k] = device.prob_meas1_prep0[qubit]
                    p10[width - 1 - k] = device.prob_meas0_prep1[qubit]
            flip = rng.random(unpacked.shape) < np.where(unpacked == 1, p10, p01)
            packed = np.packbits(unpacked ^ flip, axis=-1, bitorder="big")
            fields[creg.name] = BitArray(packed, bits.num_bits)
        data = DataBin(**fields, shape=pub_result.data.shape)
        noisy.append(SamplerPubResult(data, metadata=pub_result.metadata))
    return PrimitiveResult(noisy, metadata=result.metadata)


def _hex_samples(bits: Any) -> Any:
    array = bits.array
    values: Any
    if array.shape[-1] <= 7:
        ints = np.zeros(array.shape[:-1], dtype=np.int64)
        for column in range(array.shape[-1]):
            ints = (ints << 8) | array[..., column].astype(np.int64)
        values = ints.tolist()
    else:
        flat = array.reshape(-1, array.shape[-1])
        values = (
            np.array([int.from_bytes(row.tobytes(), "big") for row in flat], dtype=object)
            .reshape(array.shape[:-1])
            .tolist()
        )

    def to_hex(node: Any) -> Any:
        return [to_hex(item) for item in node] if isinstance(node, list) else hex(node)

    return to_hex(values)


# ------------------------------------------------------------------------------------- estimator


@dataclass
class _EstimatorRun:
    results: Any
    precisions: list[float]
    # (noise_factors, extrapolators, evaluation points) when ZNE was asked for, else None.
    zne: tuple[list[float], list[str], list[float]] | None = None


def _zne(options: dict[str, Any]) -> tuple[list[float], list[str], list[float]] | None:
    """ZNE's settings with the service's defaults, when the job asks for ZNE."""
    resilience = options.get("resilience") or {}
    if not (resilience.get("zne_mitigation") or options.get("resilience_level") == 2):
        return None
    zne = resilience.get("zne") or {}
    factors = [float(f) for f in zne.get("noise_factors") or (1, 3, 5)]
    extrapolators = zne.get("extrapolator") or ["exponential", "linear"]
    if isinstance(extrapolators, str):
        extrapolators = [extrapolators]
    points = zne.get("extrapolated_noise_factors")
    if not isinstance(points, list):
        points = [0.0, *factors]
    return factors, [str(e) for e in extrapolators], [float(p) for p in points]


_IDLE_FACTOR = {"I": 1.0, "Z": 1.0, "0": 1.0, "X": 0.0, "Y": 0.0, "1": 0.0}


def _reduce_observable(
    observable: Any, width: int, active: list[int], device_width: int
) -> dict[str, complex]:
    """The observable restricted to the active qubits; idle qubits are |0>. An ISA circuit
    written with physical qubits (``$n``) has as many qubits as its highest index; its
    observables, laid out on the whole device, may be wider: the extra qubits are idle too."""
    if isinstance(observable, str):
        terms: dict[str, Any] = {observable: 1.0}
    elif isinstance(observable, dict):
        terms = observable
    elif hasattr(observable, "to_list"):
        terms = dict(observable.to_list())
    else:
        raise ExecutionError(f"Unsupported observable {observable!r}.")
    reduced: dict[str, complex] = {}
    for label, coefficient in terms.items():
        label = str(label)
        size = len(label)
        if size != width and not width < size <= device_width:
            raise ExecutionError(
                f"The observable {label!r} has {size} qubits but the circuit has {width}."
            )
        factor = 1.0
        kept = []
        position = set(active)
        # Pauli labels are little-endian: the last character is qubit 0.
        for qubit in range(size):
            char = label[size - 1 - qubit]
            if qubit in position:
                kept.append(char)
            elif char in _IDLE_FACTOR:
                factor *= _IDLE_FACTOR[char]
            else:
                factor *= 0.5
        if factor:
            key = "".join(reversed(kept)) or "I"
            reduced[key] = reduced.get(key, 0) + complex(coefficient) * factor
    return reduced or {"I" * max(1, len(active)): 0j}


def _map_observables(node: Any, width: int, active: list[int], device_width: int) -> Any:
    if hasattr(node, "tolist") and not isinstance(node, (str, dict)):
        node = node.tolist()
    if isinstance(node, list):
        return [_map_observables(item, width, active, device_width) for item in node]
    return _reduce_observable(node, width, active, device_width)


def _run_estimator(
    params: dict[str, Any],
    pubs: list[Any],
    options: dict[str, Any],
    device: Device,
    settings: ExecutionSettings,
) -> tuple[_EstimatorRun, int]:
    from qiskit.primitives import StatevectorEstimator
    from qiskit.primitives.containers.estimator_pub import EstimatorPub

    default_precision = params.get("precision") or options.get("default_precision")
    if not default_precision and options.get("default_shots"):
        default_precision = 1 / math.sqrt(float(options["default_shots"]))
    default_precision = float(default_precision or ESTIMATOR_DEFAULT_PRECISION)
    coerced = []
    for raw in pubs:
        items = _as_tuple(raw)
        if not 2 <= len(items) <= 4:
            raise ExecutionError(
                "An estimator PUB is (circuit, observables, parameter_values, precision)."
            )
        original, compact, active = _prepare_circuit(
            items[0], device, settings, drop_measurements=True
        )
        observables = _map_observables(items[1], original.num_qubits, active, device.n_qubits)
        values = items[2] if len(items) > 2 else None
        precision = items[3] if len(items) > 3 and items[3] is not None else default_precision
        coerced.append(EstimatorPub.coerce((compact, observables, values, float(precision))))
    seed = _seed(options, "seed_estimator", settings)
    result = StatevectorEstimator(seed=seed).run(coerced).result()
    precisions = [pub.precision for pub in coerced]
    total = sum(_estimator_shots(pub.precision) for pub in coerced)
    run = _EstimatorRun(results=result, precisions=precisions, zne=_zne(options))
    return run, total


def _estimator_shots(precision: float) -> int:
    # The service runs ceil(1/precision^2) shots, rounded up to whole randomizations.
    needed = math.ceil(1 / precision**2)
    return math.ceil(needed / ESTIMATOR_NUM_RANDOMIZATIONS) * ESTIMATOR_NUM_RANDOMIZATIONS


# ---------------------------------------------------------------------------------- result forms


def _plain(program_id: str, run: Any, started: datetime, stopped: datetime) -> dict[str, Any]:
    if program_id == "sampler":
        results = []
        slices: dict[str, list[Any]] = {}
        for index, pub_result in enumerate(run.results):
            data = {
                name: {"samples": _hex_samples(bits), "num_bits": bits.num_bits}
                for name, bits in pub_result.data.items()
            }
            shape = list(pub_result.data.shape)
            shots = run.shots[index]
            slices[str(index)] = [[*shape, shots], 0, math.prod(shape), 0, shots]
            metadata: dict[str, Any] = {
                "circuit_metadata": pub_result.metadata.get("circuit_metadata", {})
            }
            if run.randomizations:
                metadata["num_randomizations"] = run.randomizations
            results.append({"data": data, "metadata": metadata})
        span = {"start": format_time(started), "stop": format_time(stopped), "data_slices": slices}
        return {
            "results": results,
            "metadata": {"execution": {"execution_spans": [span]}, "version": 2},
        }
    results = []
    for precision, pub_result in zip(run.precisions, run.results, strict=True):
        fields = _estimator_fields(np.asarray(pub_result.data.evs, dtype=float), precision, run.zne)
        results.append(
            {
                "data": {name: value.tolist() for name, value in fields.items()},
                "metadata": _estimator_metadata(precision, pub_result, run.zne),
            }
        )
    return {"results": results, "metadata": {"version": 2}}


def _estimator_fields(
    evs: Any, precision: float, zne: tuple[list[float], list[str], list[float]] | None
) -> dict[str, Any]:
    """The data fields of one estimator PUB result, shaped as IBM's are with and without ZNE.

    A noiseless simulation extrapolates to itself: every noise factor and every extrapolator
    gives the ideal value, with the PUB's precision as its standard error.
    """
    stds = np.full(evs.shape, precision)
    if zne is None:
        return {"evs": evs, "stds": stds, "ensemble_standard_error": stds}
    factors, extrapolators, points = zne
    per_factor = (*evs.shape, len(factors))
    extrapolated = (*evs.shape, len(extrapolators), len(points))
    # With ZNE IBM returns no ensemble_standard_error.
    return {
        "evs": evs,
        "stds": stds,
        "evs_noise_factors": np.broadcast_to(evs[..., None], per_factor).copy(),
        "stds_noise_factors": np.full(per_factor, precision),
        "ensemble_stds_noise_factors": np.full(per_factor, precision),
        "evs_extrapolated": np.broadcast_to(evs[..., None, None], extrapolated).copy(),
        "stds_extrapolated": np.full(extrapolated, precision),
    }


def _estimator_metadata(
    precision: float, pub_result: Any, zne: tuple[list[float], list[str], list[float]] | None
) -> dict[str, Any]:
    resilience: dict[str, Any] = {}
    if zne is not None:
        factors, extrapolators, points = zne
        resilience["zne"] = {
            "noise_factors": factors,
            "extrapolator": extrapolators,
            "extrapolated_noise_factors": points,
        }
    return {
        "shots": _estimator_shots(precision),
        "target_precision": precision,
        "circuit_metadata": pub_result.metadata.get("circuit_metadata", {}),
        "resilience": resilience,
        "num_randomizations": ESTIMATOR_NUM_RANDOMIZATIONS,
    }


def _qiskit_tree(program_id: str, run: Any, started: datetime, stopped: datetime) -> Any:
    from qiskit.primitives import PrimitiveResult, PubResult, SamplerPubResult
    from qiskit.primitives.containers import DataBin

    if program_id == "sampler":
        try:
            from qiskit_ibm_runtime.execution_span import (
                DoubleSliceSpan,
                ExecutionSpans,
                TwirledSliceSpanV2,
            )
        except ImportError as exc:
            raise UnsupportedEncodingError(str(exc)) from exc
        slices: dict[int, Any] = {}
        pub_results = []
        randomizations = run.randomizations
        for index, pub_result in enumerate(run.results):
            shape = tuple(pub_result.data.shape)
            shots = run.shots[index]
            metadata = {"circuit_metadata": pub_result.metadata.get("circuit_metadata", {})}
            if randomizations:
                # A twirled run: randomizations in front, shots per randomization last.
                per = math.ceil(shots / randomizations)
                flat = randomizations * math.prod(shape)
                twirled_shape = (randomizations, *shape, per)
                slices[index] = (twirled_shape, True, slice(0, flat), slice(0, per), shots)
                metadata["num_randomizations"] = randomizations
            else:
                slices[index] = ((*shape, shots), slice(0, math.prod(shape)), slice(0, shots))
            pub_results.append(SamplerPubResult(pub_result.data, metadata=metadata))
        span_type = TwirledSliceSpanV2 if randomizations else DoubleSliceSpan
        spans = ExecutionSpans([span_type(started, stopped, slices)])
        return PrimitiveResult(
            pub_results, metadata={"execution": {"execution_spans": spans}, "version": 2}
        )
    pub_results = []
    for precision, pub_result in zip(run.precisions, run.results, strict=True):
        evs = np.asarray(pub_result.data.evs, dtype=float)
        data = DataBin(**_estimator_fields(evs, precision, run.zne), shape=evs.shape)
        metadata = _estimator_metadata(precision, pub_result, run.zne)
        pub_results.append(PubResult(data, metadata=metadata))
    return PrimitiveResult(pub_results, metadata={"version": 2})
