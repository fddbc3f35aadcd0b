"""Decoding of Qiskit-encoded results (jobs submitted with ``support_qiskit=True``) into the same
plain-Python result objects as the default format.

That format is a tree of ``{"__type__": T, "__value__": V}`` wrappers written by
qiskit-ibm-runtime's ``RuntimeEncoder``; arrays are base64 of zlib-compressed ``.npy`` files. Only
numpy is needed to read them (``np.load`` with ``allow_pickle=False``, so a result body can never
run code), not qiskit. Wrappers this module does not know are kept as their decoded value, with
their type name under ``"__type__"``.
"""

from __future__ import annotations

import base64
import io
import zlib
from collections.abc import Mapping
from typing import Any

from ._exceptions import QiskitRuntimeError
from ._results import (
    BitArray,
    DataBin,
    EstimatorPubResult,
    EstimatorResult,
    SamplerPubResult,
    SamplerResult,
)

__all__ = ["decode_qiskit_result"]


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise QiskitRuntimeError(
            "this result is in the Qiskit format (the job was submitted with "
            "support_qiskit=True); decoding it needs numpy: pip install numpy "
            "(or resubmit without support_qiskit to get the plain JSON format)"
        ) from None
    return numpy


class _Pub:
    __slots__ = ("data", "kind", "metadata")

    def __init__(self, kind: str, data: Mapping[str, Any], metadata: Mapping[str, Any]) -> None:
        self.kind = kind
        self.data = data
        self.metadata = metadata


def _ndarray(value: Any) -> Any:
    np = _numpy()
    if isinstance(value, str):
        raw = zlib.decompress(base64.standard_b64decode(value))
        return np.load(io.BytesIO(raw), allow_pickle=False)
    return np.array(value)


def _bit_array(value: Mapping[str, Any]) -> BitArray:
    """Kept packed, as qiskit keeps it: counting works on the bytes, never on hex strings."""
    np = _numpy()
    array = value["array"]
    if not isinstance(array, np.ndarray):
        array = np.asarray(array, dtype=np.uint8)
    num_bits = int(value["num_bits"])
    if array.ndim < 2:
        raise QiskitRuntimeError(f"a BitArray needs (shots, bytes) at least, not {array.shape}")
    if array.shape[-1] != (num_bits + 7) // 8:  # as qiskit's BitArray requires
        raise QiskitRuntimeError(
            f"a BitArray of {num_bits} bits packs each shot into {(num_bits + 7) // 8} bytes, "
            f"not {array.shape[-1]}"
        )
    return BitArray._from_packed(np, np.ascontiguousarray(array, dtype=np.uint8), num_bits)


def _plain(node: Any) -> Any:
    """numpy values to Python numbers and lists, recursively."""
    tolist = getattr(node, "tolist", None)
    if callable(tolist) and not isinstance(node, str | bytes | BitArray):
        return tolist()
    if isinstance(node, Mapping) and not isinstance(node, DataBin):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [_plain(value) for value in node]
    return node


def _walk(node: Any) -> Any:
    if isinstance(node, Mapping):
        if "__type__" in node and "__value__" in node:
            return _typed(str(node["__type__"]), node["__value__"])
        return {key: _walk(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_walk(value) for value in node]
    return node


def _typed(kind: str, value: Any) -> Any:
    if kind == "ndarray":
        return _ndarray(value)
    if kind == "complex":
        return complex(value[0], value[1])
    if kind == "set":
        return list(_walk(value))
    if kind == "datetime":
        return value  # ISO 8601 text, as in the plain format's metadata
    inner = _walk(value)
    if kind == "BitArray":
        return _bit_array(inner)
    if kind == "DataBin":
        fields = inner.get("fields") or {}
        return {name: _plain(field) for name, field in fields.items()}
    if kind in ("SamplerPubResult", "EstimatorPubResult", "PubResult"):
        data = inner.get("data") or {}
        if kind == "PubResult":
            kind = "EstimatorPubResult" if "evs" in data else "SamplerPubResult"
        return _Pub(kind, data, _plain(inner.get("metadata") or {}))
    if kind == "PrimitiveResult":
        return inner
    if isinstance(inner, Mapping):
        return {"__type__": kind, **_plain(inner)}
    return _plain(inner)


def decode_qiskit_result(body: Mapping[str, Any]) -> SamplerResult | EstimatorResult | Any:
    """Decode a Qiskit-encoded results body."""
    decoded = _walk(body)
    if not (isinstance(decoded, Mapping) and isinstance(decoded.get("pub_results"), list)):
        return _plain(decoded)
    pubs: list[_Pub] = [p for p in decoded["pub_results"] if isinstance(p, _Pub)]
    metadata = _plain(decoded.get("metadata") or {})
    if pubs and all(p.kind == "EstimatorPubResult" for p in pubs):
        return EstimatorResult(
            [EstimatorPubResult(DataBin(p.data), p.metadata) for p in pubs], metadata
        )
    return SamplerResult([SamplerPubResult(DataBin(p.data), p.metadata) for p in pubs], metadata)
