"""Decoding sampler results at every register width, against the seed notebook and against
qiskit-ibm-runtime's own decoder.

For each width and two shapes of outcome, ``sparse`` (at most 256 distinct outcomes, a few
frequent and a long tail, like a real device's) and ``dense`` (uniformly random):

- time, decoding only (the samples list is made fresh, untimed, before every run, so no run
  profits from string hashes cached by the one before): ``get_int_counts()`` against the
  notebook's ``Counter(int(x, 16) for x in samples)``, ``get_counts()`` against
  ``Counter(format(int(x, 16), "0{n}b") for x in samples)``, ``get_bitstrings()`` against
  ``[format(int(x, 16), "0{n}b") for x in samples]``;
- time, end to end from the response body (bytes, as HTTP hands it over): ``get_counts()``
  against ``json.loads`` of the same body alone, the floor for this wire format;
- peak memory (tracemalloc, numpy's buffers included), end to end: each of the three against the
  notebook's equivalent after its own ``json.loads``;
- the Qiskit format (``support_qiskit=True``), end to end: ``get_counts()`` against
  ``json.loads(body, cls=RuntimeDecoder)`` and qiskit's ``BitArray.get_counts()``.
"""

from __future__ import annotations

import json
import random
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from typing import Any

from _harness import Row, alternate
from qiskit_runtime_rest._results import decode_results

WIDTHS = (1, 2, 4, 6, 7, 8, 12, 16, 32, 64, 127)
SPARSE_OUTCOMES = 256


def make_values(width: int, density: str, shots: int, rng: random.Random) -> list[int]:
    if density == "dense":
        return [rng.getrandbits(width) for _ in range(shots)]
    pool = list({rng.getrandbits(width) for _ in range(4 * SPARSE_OUTCOMES)})[:SPARSE_OUTCOMES]
    weights = [1.0 / (rank + 1) ** 1.5 for rank in range(len(pool))]  # a few dominate
    return rng.choices(pool, weights, k=shots)


def plain_body(samples: list[str], width: int) -> bytes:
    pub = {"data": {"c": {"samples": samples, "num_bits": width}}, "metadata": {}}
    return json.dumps({"results": [pub], "metadata": {}}).encode()


def qiskit_body(values: list[int], width: int) -> bytes:
    import numpy as np
    from qiskit.primitives import BitArray, DataBin, PrimitiveResult, SamplerPubResult
    from qiskit_ibm_runtime import RuntimeEncoder

    nbytes = (width + 7) // 8
    packed = b"".join(value.to_bytes(nbytes, "big") for value in values)
    array = np.frombuffer(packed, dtype=np.uint8).reshape(len(values), nbytes)
    result = PrimitiveResult([SamplerPubResult(DataBin(c=BitArray(array, width)))])
    return json.dumps(result, cls=RuntimeEncoder).encode()


def _timed(func: Callable[[Any], Any], make_input: Callable[[], Any]) -> Callable[[], float]:
    def measure() -> float:
        data = make_input()
        start = time.perf_counter()
        func(data)
        return time.perf_counter() - start

    return measure


def _peak(func: Callable[[bytes], Any], body: bytes) -> float:
    tracemalloc.start()
    try:
        kept = func(body)  # the result is held while the peak is read: it counts on both sides
        peak = tracemalloc.get_traced_memory()[1]
        del kept
    finally:
        tracemalloc.stop()
    return float(peak)


Op = Callable[[list[str]], Any]


def our_ops(width: int) -> dict[str, Op]:
    from qiskit_runtime_rest import BitArray

    def int_counts(samples: list[str]) -> Any:
        return BitArray(samples, width).get_int_counts()

    def counts(samples: list[str]) -> Any:
        return BitArray(samples, width).get_counts()

    def bitstrings(samples: list[str]) -> Any:
        return BitArray(samples, width).get_bitstrings()

    return {"get_int_counts()": int_counts, "get_counts()": counts, "get_bitstrings()": bitstrings}


def notebook_ops(width: int) -> dict[str, Op]:
    fmt = f"0{width}b"

    def int_counts(samples: list[str]) -> Any:
        return Counter(int(x, 16) for x in samples)

    def counts(samples: list[str]) -> Any:
        return Counter(format(int(x, 16), fmt) for x in samples)

    def bitstrings(samples: list[str]) -> Any:
        return [format(int(x, 16), fmt) for x in samples]

    return {"get_int_counts()": int_counts, "get_counts()": counts, "get_bitstrings()": bitstrings}


def _from_body(op: Op) -> Callable[[bytes], Any]:
    def run(body: bytes) -> Any:
        return op(json.loads(body)["results"][0]["data"]["c"]["samples"])

    return run


def _our_counts(body: bytes) -> Any:
    return decode_results(body)[0].data.c.get_counts()


def _their_counts(body: bytes) -> Any:
    from qiskit_ibm_runtime import RuntimeDecoder

    return json.loads(body, cls=RuntimeDecoder)[0].data.c.get_counts()


def _always(value: Any) -> Callable[[], Any]:
    def make() -> Any:
        return value

    return make


def _parsed(text: str) -> Callable[[], Any]:
    def make() -> Any:
        return json.loads(text)

    return make


def decode(
    *, shots: int, rounds: int, floor_shots: int, widths: tuple[int, ...] = WIDTHS
) -> list[Row]:
    """All rows; the end-to-end rows against ``json.loads`` use ``floor_shots`` shots (the
    issue's million: at a fifth of that, fixed costs weigh more on both sides), and only up to
    16 bits, where that ratio is a goal (1.5x at most)."""
    rows: list[Row] = []
    for width in widths:
        for density in ("sparse", "dense"):
            values = make_values(width, density, shots, random.Random(width))
            samples = [hex(value) for value in values]
            label = f"{width} bits, {density} ({len(set(values)):,} outcomes)"
            body = plain_body(samples, width)
            fresh = _parsed(json.dumps(samples))  # a new list (new strings) for every run
            del samples
            ours, notebook = our_ops(width), notebook_ops(width)
            for method in ours:
                times = alternate(
                    {
                        "notebook": _timed(notebook[method], fresh),
                        "ours": _timed(ours[method], fresh),
                    },
                    rounds,
                )
                rows.append(
                    Row(
                        "decode",
                        f"{label}: {method}",
                        "notebook",
                        "s",
                        times["ours"],
                        times["notebook"],
                    )
                )
            if width <= 16:
                big_values = make_values(width, density, floor_shots, random.Random(width))
                big = _always(plain_body([hex(v) for v in big_values], width))
                del big_values
                times = alternate(
                    {"json.loads": _timed(json.loads, big), "ours": _timed(_our_counts, big)},
                    rounds,
                )
                floor = f"json.loads alone ({floor_shots:,} shots)"
                name = f"{label}: end to end get_counts()"
                rows.append(Row("decode", name, floor, "s", times["ours"], times["json.loads"]))
            for method in ours:
                mine = _peak(_from_body(ours[method]), body)
                theirs = _peak(_from_body(notebook[method]), body)
                name = f"{label}: {method} peak memory"
                rows.append(Row("decode", name, "notebook", "B", [mine], [theirs]))
            packed = _always(qiskit_body(values, width))
            times = alternate(
                {"theirs": _timed(_their_counts, packed), "ours": _timed(_our_counts, packed)},
                rounds,
            )
            name = f"{label}: Qiskit format, end to end get_counts()"
            rows.append(
                Row("decode", name, "qiskit-ibm-runtime", "s", times["ours"], times["theirs"])
            )
    return rows


def decode_table(rows: list[Row]) -> str:
    """One line per register: each decode row's ratio (and spread) in its column."""
    columns = [
        ("get_int_counts()", "`get_int_counts()`"),
        ("get_counts()", "`get_counts()`"),
        ("get_bitstrings()", "`get_bitstrings()`"),
        ("end to end get_counts()", "end to end `get_counts()` / `json.loads`"),
        ("get_int_counts() peak memory", "memory, `get_int_counts()`"),
        ("get_counts() peak memory", "memory, `get_counts()`"),
        ("get_bitstrings() peak memory", "memory, `get_bitstrings()`"),
        ("Qiskit format, end to end get_counts()", "Qiskit format / qiskit-ibm-runtime"),
    ]
    by_register: dict[str, dict[str, Row]] = {}
    for row in rows:
        register, _, what = row.name.partition(": ")
        by_register.setdefault(register, {})[what] = row
    lines = [
        "| register | " + " | ".join(title for _, title in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for register, cells in by_register.items():
        out = []
        for key, _ in columns:
            found = cells.get(key)
            if found is None:
                out.append("")
            elif len(found.ratios) > 1:
                spread = f"{min(found.ratios):.2f}-{max(found.ratios):.2f}"
                out.append(f"{found.ratio:.2f} ({spread})")
            else:
                out.append(f"{found.ratio:.2f}")
        lines.append(f"| {register} | " + " | ".join(out) + " |")
    return "\n".join(lines)
