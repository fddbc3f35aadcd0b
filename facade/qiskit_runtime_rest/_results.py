"""Primitive results decoded from the plain JSON format of ``GET /v1/jobs/{id}/results``.

Sampler bodies carry one hex string per shot and per classical register
(``{"results": [{"data": {"meas": {"samples": ["0x3", ...], "num_bits": 2}}}]}``); estimator
bodies carry ``evs``/``stds``/``ensemble_standard_error`` as numbers or nested lists matching the
PUB's shape. The result objects keep the raw lists and do the work only when asked, and the
counting works on *distinct* hex strings: a million shots of a few-qubit circuit have a handful of
distinct values, so each is parsed once instead of once per shot.

Real bodies name a register after the circuit's own (``meas`` for ``measure_all``, ``c``, ...) and
may omit ``num_bits``. The width then comes from the circuit submitted (``register_widths`` in
``_pubs``), and failing that from the widest sample seen, which can only under-estimate.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, overload

from ._counting import HEX_SAMPLE, HexShots, PackedShots
from ._exceptions import QiskitRuntimeError

__all__ = [
    "BitArray",
    "DataBin",
    "EstimatorPubResult",
    "EstimatorResult",
    "SamplerPubResult",
    "SamplerResult",
    "decode_results",
]

Loc = int | tuple[int, ...] | None


class BitArray:
    """The shots of one classical register of one PUB.

    ``samples`` is the list the service sent (hex strings such as ``"0x3"``), nested when the PUB
    was broadcast over parameter values; ``shape`` is that nesting without the shots axis. Results
    in the Qiskit format keep their packed bits instead, and make ``samples`` only if asked.
    """

    __slots__ = ("_declared_bits", "_few", "_few_known", "_packed", "_samples", "_shape", "_width")

    def __init__(self, samples: Sequence[Any], num_bits: int | None = None) -> None:
        self._samples: Sequence[Any] | None = samples
        self._packed: Any = None
        self._declared_bits = num_bits
        self._shape = _shape_of(samples)
        self._few: dict[int, int] | None = None
        self._few_known = False
        self._width: int | None = None

    @classmethod
    def _from_packed(cls, np: Any, array: Any, num_bits: int) -> BitArray:
        """From the Qiskit format's ``uint8`` array, shaped ``(*shape, shots, bytes)``."""
        self = cls.__new__(cls)
        self._samples = None
        self._packed = PackedShots(np, array, num_bits), array
        self._declared_bits = num_bits
        self._shape = tuple(int(size) for size in array.shape[:-2])
        self._few = None
        self._few_known = False
        self._width = None
        return self

    @property
    def samples(self) -> Sequence[Any]:
        if self._samples is None:
            shots = self._packed[0]
            self._samples = _nest(list(map(hex, shots._ints())), self._shape, self.num_shots)
        return self._samples

    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def num_shots(self) -> int:
        if self._packed is not None:
            return int(self._packed[1].shape[-2])
        node: Any = self._samples
        for _ in self._shape:
            node = node[0] if node else []
        return len(node)

    @property
    def num_bits(self) -> int:
        """The register width: as sent or declared, else the widest sample seen."""
        if self._declared_bits is not None:
            return self._declared_bits
        if self._width is None:
            few = self._few_counts(None)
            widest = max(few, default=0) if few is not None else self._shots(None).widest()
            self._width = max(1, widest.bit_length())
        return self._width

    def _shots(self, loc: Loc) -> Any:
        """The shots at ``loc`` (all of them for None), flattened, as a counting kernel."""
        indices = () if loc is None else (loc,) if isinstance(loc, int) else tuple(loc)
        if len(indices) > len(self._shape):
            raise IndexError(f"loc {loc!r} has more indices than the shape {self._shape}")
        if self._packed is not None:
            shots, array = self._packed
            return shots if not indices else PackedShots(shots._np, array[indices], shots._num_bits)
        node: Any = self._samples
        for index in indices:
            node = node[index]
        depth = len(_shape_of(node))
        if depth == 0:
            return HexShots(node)
        stack = [node]
        for _ in range(depth):
            stack = [child for level in stack for child in level]
        return HexShots([shot for shots in stack for shot in shots])

    def _few_counts(self, loc: Loc) -> dict[int, int] | None:
        """``{value: count}`` when the distinct values are few (cached for ``loc=None``), None
        when nearly every shot is distinct: a result as large as the samples is not kept."""
        if loc is not None:
            return self._shots(loc).few_int_counts()  # type: ignore[no-any-return]
        if not self._few_known:
            self._few = self._shots(None).few_int_counts()
            self._few_known = True
        return self._few

    def get_int_counts(self, loc: Loc = None) -> dict[int, int]:
        """``{outcome: count}`` over all positions, or the one at ``loc`` (an index into shape),
        in the order outcomes first occur."""
        few = self._few_counts(loc)
        if few is None:
            return self._shots(loc).int_counts()  # type: ignore[no-any-return]
        return dict(few) if loc is None else few

    def get_counts(self, loc: Loc = None) -> dict[str, int]:
        """``{bitstring: count}``, bitstrings zero-padded to ``num_bits`` (bit 0 rightmost)."""
        few = self._few_counts(loc)
        if few is None:
            return self._shots(loc).bitstring_counts(self.num_bits)  # type: ignore[no-any-return]
        fmt = f"{{:0{self.num_bits}b}}".format
        return {fmt(value): count for value, count in few.items()}

    def get_bitstrings(self, loc: Loc = None) -> list[str]:
        """One zero-padded bitstring per shot, in shot order (all positions flattened)."""
        return self._shots(loc).bitstrings(self.num_bits)  # type: ignore[no-any-return]

    def to_ints(self) -> list[Any]:
        """The shots as integers, nested like ``samples``."""
        return _nest(self._shots(None).ints(), self._shape, self.num_shots)

    def __len__(self) -> int:
        return self._shape[0] if self._shape else self.num_shots

    def __repr__(self) -> str:
        return (
            f"BitArray(num_shots={self.num_shots}, num_bits={self.num_bits}, shape={self._shape})"
        )

    def _repr_html_(self) -> str:  # notebooks: the counts as a histogram
        from ._display import bitarray_html

        return bitarray_html(self)


def _shape_of(samples: Any) -> tuple[int, ...]:
    shape: list[int] = []
    node = samples
    while isinstance(node, list) and node and isinstance(node[0], list):
        shape.append(len(node))
        node = node[0]
    return tuple(shape)


def _nest(flat: list[Any], shape: tuple[int, ...], shots: int) -> list[Any]:
    """``flat`` cut into lists of ``shots``, then grouped by ``shape`` (innermost first)."""
    if not shape:
        return flat
    if shots:
        nested: list[Any] = [flat[i : i + shots] for i in range(0, len(flat), shots)]
    else:
        nested = [[] for _ in range(math.prod(shape))]
    for size in reversed(shape[1:]):
        nested = [nested[i : i + size] for i in range(0, len(nested), size)]
    return nested


class DataBin(Mapping[str, Any]):
    """A PUB's data fields, by name or as attributes: ``data["meas"]`` or ``data.meas``."""

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self._fields = dict(fields)

    def __getitem__(self, name: str) -> Any:
        try:
            return self._fields[name]
        except KeyError:
            raise KeyError(f"{name!r} is not in this result; fields: {self._names()}") from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._fields[name]
        except KeyError:
            raise AttributeError(
                f"no field {name!r} in this result; fields: {self._names()}"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def _names(self) -> str:
        return ", ".join(self._fields) or "(none)"

    def __repr__(self) -> str:
        inner = ", ".join(f"{key}={value!r}" for key, value in self._fields.items())
        return f"DataBin({inner})"


class SamplerPubResult:
    """One sampler PUB's result: ``data`` (registers by name) and ``metadata``."""

    def __init__(self, data: DataBin, metadata: Mapping[str, Any]) -> None:
        self.data = data
        self.metadata = dict(metadata)

    def join_data(self) -> BitArray:
        """The only register, when there is exactly one (a shortcut for the common case)."""
        registers = [value for value in self.data.values() if isinstance(value, BitArray)]
        if len(registers) != 1:
            raise QiskitRuntimeError(
                f"join_data() needs exactly one register, this PUB has: {', '.join(self.data)}"
            )
        return registers[0]

    def __repr__(self) -> str:
        from ._display import pub_repr

        return pub_repr(self)


class EstimatorPubResult:
    """One estimator PUB's result; ``evs``/``stds``/``ensemble_standard_error`` are floats, or
    nested lists shaped like the PUB's broadcast of observables and parameter values."""

    def __init__(self, data: DataBin, metadata: Mapping[str, Any]) -> None:
        self.data = data
        self.metadata = dict(metadata)

    @property
    def evs(self) -> Any:
        return self.data.get("evs")

    @property
    def stds(self) -> Any:
        return self.data.get("stds")

    @property
    def ensemble_standard_error(self) -> Any:
        return self.data.get("ensemble_standard_error")

    def __repr__(self) -> str:
        from ._display import pub_repr

        return pub_repr(self)


class _PrimitiveResult(Sequence[Any]):
    _pubs: list[Any]

    def __init__(self, pubs: Sequence[Any], metadata: Mapping[str, Any]) -> None:
        self._pubs = list(pubs)
        self.metadata = dict(metadata)

    def __len__(self) -> int:
        return len(self._pubs)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._pubs)

    def __repr__(self) -> str:
        from ._display import result_repr

        return result_repr(self, self.metadata)

    def _repr_html_(self) -> str:  # notebooks: histograms, or a table of expectation values
        from ._display import result_html

        return result_html(self, self.metadata)


class SamplerResult(_PrimitiveResult):
    """A sampler job's result: one ``SamplerPubResult`` per PUB, plus job ``metadata``."""

    @overload
    def __getitem__(self, index: int) -> SamplerPubResult: ...
    @overload
    def __getitem__(self, index: slice) -> list[SamplerPubResult]: ...
    def __getitem__(self, index: int | slice) -> SamplerPubResult | list[SamplerPubResult]:
        return self._pubs[index]

    def __iter__(self) -> Iterator[SamplerPubResult]:
        return iter(self._pubs)


class EstimatorResult(_PrimitiveResult):
    """An estimator job's result: one ``EstimatorPubResult`` per PUB, plus job ``metadata``."""

    @overload
    def __getitem__(self, index: int) -> EstimatorPubResult: ...
    @overload
    def __getitem__(self, index: slice) -> list[EstimatorPubResult]: ...
    def __getitem__(self, index: int | slice) -> EstimatorPubResult | list[EstimatorPubResult]:
        return self._pubs[index]

    def __iter__(self) -> Iterator[EstimatorPubResult]:
        return iter(self._pubs)


_ESTIMATOR_ALIASES = {"ensamble_standard_error": "ensemble_standard_error"}  # a published typo


def _sampler_pub(entry: Mapping[str, Any], widths: Mapping[str, int] | None) -> SamplerPubResult:
    fields: dict[str, Any] = {}
    for name, value in (entry.get("data") or {}).items():
        if isinstance(value, Mapping) and isinstance(value.get("samples"), list):
            bits = value.get("num_bits")
            if not isinstance(bits, int) or isinstance(bits, bool):
                bits = (widths or {}).get(name)
            elif bits < 0:
                raise ValueError(f"register {name!r}: num_bits must be >= 0, got {bits}")
            _spot_check(name, value["samples"])
            fields[name] = BitArray(value["samples"], bits)
        else:
            fields[name] = value
    return SamplerPubResult(DataBin(fields), entry.get("metadata") or {})


_SPOT = 64


def _spot_check(name: str, samples: list[Any]) -> None:
    """Refuse a register whose samples are plainly not hex strings now, not at ``get_counts()``:
    the first and last shots of the first and last parameter sets are checked (a full scan would
    cost as much as the decoding)."""
    for end in (0, -1):
        shots = samples
        while shots and isinstance(shots[end], list):  # broadcast PUBs nest the shots
            shots = shots[end]
        for sample in [*shots[:_SPOT], *shots[-_SPOT:]]:
            if not isinstance(sample, str) or not HEX_SAMPLE.fullmatch(sample):
                raise ValueError(f"register {name!r}: sample {sample!r:.40} is not a hex string")


def _estimator_pub(entry: Mapping[str, Any]) -> EstimatorPubResult:
    data = {_ESTIMATOR_ALIASES.get(k, k): v for k, v in (entry.get("data") or {}).items()}
    return EstimatorPubResult(DataBin(data), entry.get("metadata") or {})


def _looks_like(entries: Sequence[Any]) -> str | None:
    for entry in entries:
        data = entry.get("data") if isinstance(entry, Mapping) else None
        if not isinstance(data, Mapping):
            continue
        if "evs" in data:
            return "estimator"
        if any(isinstance(v, Mapping) and "samples" in v for v in data.values()):
            return "sampler"
    return None


def decode_results(
    body: str | bytes | Mapping[str, Any] | list[Any],
    *,
    program_id: str | None = None,
    register_widths: Sequence[Mapping[str, int]] | None = None,
) -> SamplerResult | EstimatorResult | Any:
    """Decode a results body. Sampler and estimator bodies become result objects; bodies of other
    programs (noise learner, executor) are returned as parsed JSON, untouched."""
    data: Any = json.loads(body) if isinstance(body, str | bytes) else body
    if isinstance(data, Mapping) and "__type__" in data:
        from ._qiskit_decode import decode_qiskit_result

        return decode_qiskit_result(data)  # its BitArrays carry their width
    if isinstance(data, list):  # some documentation prints only the results array
        data = {"results": data}
    if not isinstance(data, Mapping) or not isinstance(data.get("results"), list):
        if program_id in ("sampler", "estimator"):
            raise ValueError(
                f"a {program_id} result needs a 'results' list, got {str(data)[:80]!r}"
            )
        return data
    entries: list[Any] = data["results"]
    kind = program_id if program_id in ("sampler", "estimator") else _looks_like(entries)
    metadata = data.get("metadata") or {}
    if kind == "sampler":
        widths = list(register_widths or [])
        return SamplerResult(
            [
                _sampler_pub(entry, widths[i] if i < len(widths) else None)
                for i, entry in enumerate(entries)
            ],
            metadata,
        )
    if kind == "estimator":
        return EstimatorResult([_estimator_pub(entry) for entry in entries], metadata)
    return data
