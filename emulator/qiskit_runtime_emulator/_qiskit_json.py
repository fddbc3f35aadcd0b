"""The Qiskit-encoded JSON form (``{"__type__": ..., "__value__": ...}``) in both directions.

Inputs are decoded with qiskit-ibm-runtime's own ``RuntimeDecoder`` when it is installed, since
that is the encoder's exact inverse; without it a small decoder covers what the primitives send
(QPY circuits, NumPy arrays, observables). Qiskit-encoded *results* need ``RuntimeEncoder``: they
exist only for clients that decode them with qiskit-ibm-runtime anyway.
"""

from __future__ import annotations

import base64
import io
import json
import zlib
from typing import Any

import numpy as np

from ._ids import parse_time

__all__ = ["UnsupportedEncodingError", "decode_params", "encode_result"]


class UnsupportedEncodingError(ValueError):
    """A Qiskit-encoded value this installation cannot decode or produce."""


def _has_typed_values(node: Any) -> bool:
    if isinstance(node, dict):
        return "__type__" in node or any(_has_typed_values(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_typed_values(v) for v in node)
    return False


def decode_params(params: Any) -> Any:
    """``params`` with every Qiskit-encoded value replaced by its Python object."""
    if not _has_typed_values(params):
        return params
    try:
        from qiskit_ibm_runtime import RuntimeDecoder
    except ImportError:
        return _decode_tree(params)
    return json.loads(json.dumps(params), cls=RuntimeDecoder)


def encode_result(result: Any) -> str:
    try:
        from qiskit_ibm_runtime import RuntimeEncoder
    except ImportError as exc:
        raise UnsupportedEncodingError(
            "support_qiskit=true needs qiskit-ibm-runtime installed next to the emulator; "
            "omit support_qiskit (or send false) to get plain JSON results"
        ) from exc
    return json.dumps(_with_field_types(json.loads(json.dumps(result, cls=RuntimeEncoder))))


def _with_field_types(node: Any) -> Any:
    """Add ``field_types`` to every encoded DataBin, as IBM's service does.

    qiskit-ibm-runtime's encoder writes only ``field_names``; IBM's results (and the Pydantic
    models of ibm-quantum-schemas) also carry each field's type: ``BitArray``, ``ndarray``.
    """
    if isinstance(node, list):
        return [_with_field_types(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _with_field_types(value) for key, value in node.items()}
    value = node.get("__value__")
    if node.get("__type__") == "DataBin" and isinstance(value, dict) and "field_types" not in value:
        fields = value.get("fields") or {}
        value["field_types"] = [
            str((fields.get(name) or {}).get("__type__", "ndarray"))
            for name in value.get("field_names", [])
        ]
    return node


def _decode_tree(node: Any) -> Any:
    if isinstance(node, dict):
        if "__type__" in node and "__value__" in node:
            return _decode_typed(str(node["__type__"]), node["__value__"])
        return {key: _decode_tree(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_decode_tree(value) for value in node]
    return node


def _unpack(value: str, *, compressed: bool = True) -> io.BytesIO:
    raw = base64.standard_b64decode(value)
    return io.BytesIO(zlib.decompress(raw) if compressed else raw)


def _decode_typed(kind: str, value: Any) -> Any:
    if kind == "QuantumCircuit":
        from qiskit import qpy

        return qpy.load(_unpack(value))[0]
    if kind == "ndarray":
        if isinstance(value, (int, float, list)):
            return np.array(value)
        return np.load(_unpack(value), allow_pickle=False)
    if kind == "ObservablesArray":
        # Nested lists of {pauli: coefficient}: exactly what EstimatorPub.coerce accepts.
        return _decode_tree(value)
    if kind == "complex":
        return complex(value[0], value[1])
    if kind == "set":
        return set(_decode_tree(value))
    if kind == "datetime":
        return parse_time(str(value))
    raise UnsupportedEncodingError(
        f"cannot decode a Qiskit-encoded {kind!r} without qiskit-ibm-runtime installed"
    )
