"""Every counting path against the seed notebook's own decoding, at widths 1 to 127.

The reference is the notebook's ``Counter(int(x, 16) for x in samples)`` and
``format(int(x, 16), "0{n}b")``: same values, same first-seen order, same exception type for a
malformed sample. The kernels' thresholds (probe size, piece size, chunk size) are shrunk so that
the small inputs hypothesis draws go through every path: ``str.count`` scans, the numpy token
table (including samples first seen late, across pieces), C tallies and direct parsing, each with
numpy and without it.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qiskit_runtime_rest import _counting
from qiskit_runtime_rest._results import BitArray, decode_results

np = pytest.importorskip("numpy")

WIDTHS = st.integers(min_value=1, max_value=127)
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thresholds small enough that every path runs on inputs of a hundred shots."""
    monkeypatch.setattr(_counting, "_PROBE_SHOTS", 16)
    monkeypatch.setattr(_counting, "_MIN_PROBE_SHOTS", 16)
    monkeypatch.setattr(_counting, "_PIECE_CHARS", 40)
    monkeypatch.setattr(_counting, "_CHUNK_SHOTS", 7)
    monkeypatch.setattr(_counting, "_SCAN_DISTINCT", 2)
    monkeypatch.setattr(_counting, "_SPARSE_DISTINCT", 12)
    monkeypatch.setattr(_counting, "_TABLE_SHOTS", 0)
    monkeypatch.setattr(_counting, "_BITSTRING_SHOTS", 5)


@pytest.fixture(params=["numpy", "no numpy"])
def numpy_mode(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, small_thresholds: None
) -> Iterator[str]:
    """Small thresholds; with "no numpy", the kernels find no numpy (the one place they look it
    up is ``numpy_for``; a real interpreter without numpy is the subprocess test below)."""
    if request.param == "no numpy":
        monkeypatch.setattr(_counting, "numpy_for", lambda shots: None)
    yield request.param


def spellings(value: int) -> st.SearchStrategy[str]:
    """How a service could write ``value``: canonical mostly, sometimes padded or upper-case."""
    canonical = hex(value)
    return st.sampled_from(
        [
            canonical,
            canonical,
            canonical,
            "0x0" + canonical[2:],
            canonical.upper(),
            "0X" + canonical[2:],
        ]
    )


@st.composite
def registers(draw: st.DrawFn) -> tuple[int, list[str]]:
    """A width, and samples that are sparse (a few values) or dense (uniform)."""
    width = draw(WIDTHS)
    values = st.integers(min_value=0, max_value=(1 << width) - 1)
    if draw(st.booleans()):  # sparse: a pool of distinct outcomes, some rare and late
        pool = draw(st.lists(values, min_size=1, max_size=20, unique=True))
        picks = st.sampled_from(pool)
    else:
        picks = values
    shots = draw(st.lists(picks, min_size=0, max_size=120))
    if draw(st.booleans()):
        samples = [hex(value) for value in shots]  # what the service sends
    else:
        samples = [draw(spellings(value)) for value in shots]
    return width, samples


def reference_counts(samples: list[Any]) -> dict[int, int]:
    return dict(Counter(int(x, 16) for x in samples))


def reference_bitstrings(samples: list[Any], width: int) -> list[str]:
    return [format(int(x, 16), f"0{width}b") for x in samples]


@SETTINGS
@given(register=registers())
def test_plain_format_matches_the_notebook(
    numpy_mode: str, register: tuple[int, list[str]]
) -> None:
    width, samples = register
    counts = reference_counts(samples)
    bits = BitArray(samples, width)
    assert list(bits.get_int_counts().items()) == list(counts.items())  # values and order
    assert list(BitArray(samples, width).get_counts().items()) == [
        (format(value, f"0{width}b"), count) for value, count in counts.items()
    ]
    assert BitArray(samples, width).get_bitstrings() == reference_bitstrings(samples, width)
    assert BitArray(samples, width).to_ints() == [int(x, 16) for x in samples]
    assert BitArray(samples).num_bits == max(1, max(counts, default=0).bit_length())


@SETTINGS
@given(
    register=registers(),
    bad=st.sampled_from(["zz", "", "0x", "0x1,0x2", "0x\x003", "0x1\x00", "0xg", "x1", "é", 3]),
    where=st.integers(min_value=0, max_value=200),
)
def test_a_malformed_sample_raises_what_the_notebook_raises(
    numpy_mode: str, register: tuple[int, list[str]], bad: Any, where: int
) -> None:
    _, samples = register
    samples = list(samples)
    samples.insert(min(where, len(samples)), bad)
    with pytest.raises(Exception) as expected:
        reference_counts(samples)
    with pytest.raises(expected.type):
        BitArray(samples, 8).get_int_counts()
    with pytest.raises(expected.type):
        BitArray(samples, 8).get_counts()
    with pytest.raises(expected.type):
        BitArray(samples, 8).get_bitstrings()


def test_many_shots_of_few_values_take_the_table_and_match(
    numpy_mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Realistic sizes for the token table: several pieces, outcomes first seen late.
    monkeypatch.setattr(_counting, "_PIECE_CHARS", 1 << 12)
    monkeypatch.setattr(_counting, "_PROBE_SHOTS", 2048)
    monkeypatch.setattr(_counting, "_SPARSE_DISTINCT", 256)
    samples = [hex(v) for v in (list(range(40)) * 500)] + ["0xffff", "0x7", "0x00ab"]
    assert BitArray(samples, 16).get_int_counts() == reference_counts(samples)
    assert list(BitArray(samples, 16).get_counts()) == [
        format(v, "016b") for v in reference_counts(samples)
    ]


# --- The Qiskit format: packed big-endian bytes, as qiskit's BitArray holds them.


@st.composite
def packed_registers(draw: st.DrawFn) -> tuple[int, Any]:
    width = draw(WIDTHS)
    nbytes = (width + 7) // 8
    values = st.integers(min_value=0, max_value=(1 << width) - 1)
    if draw(st.booleans()):
        pool = draw(st.lists(values, min_size=1, max_size=20, unique=True))
        picks: st.SearchStrategy[int] = st.sampled_from(pool)
    else:
        picks = values
    shots = draw(st.lists(picks, min_size=0, max_size=120))
    rows = [value.to_bytes(nbytes, "big") for value in shots]
    array = np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), nbytes)
    if draw(st.booleans()) and width % 8:  # stray bits above num_bits are ignored, as qiskit does
        array = array.copy()
        array[:, 0] |= np.uint8((0xFF << (width % 8)) & 0xFF)
    return width, array


@SETTINGS
@given(register=packed_registers())
def test_qiskit_format_matches_the_reference(
    small_thresholds: None, register: tuple[int, Any]
) -> None:
    width, array = register
    mask = (1 << width) - 1
    ints = [int.from_bytes(row.tobytes(), "big") & mask for row in array]
    hexes = [hex(value) for value in ints]
    bits = BitArray._from_packed(np, array, width)
    assert list(bits.get_int_counts().items()) == list(reference_counts(hexes).items())
    fresh = BitArray._from_packed(np, array, width)
    assert fresh.get_counts() == {format(v, f"0{width}b"): c for v, c in Counter(ints).items()}
    assert list(fresh.get_counts()) == [format(v, f"0{width}b") for v in dict.fromkeys(ints)]
    assert BitArray._from_packed(np, array, width).get_bitstrings() == reference_bitstrings(
        hexes, width
    )
    assert BitArray._from_packed(np, array, width).to_ints() == ints
    assert BitArray._from_packed(np, array, width).samples == hexes


def test_qiskit_format_keeps_shape_and_loc() -> None:
    array = (np.arange(2 * 3 * 5, dtype=np.uint8).reshape(2, 3, 5, 1) % 8) | 0xF0
    bits = BitArray._from_packed(np, array, 3)
    assert bits.shape == (2, 3)
    assert bits.num_shots == 5
    assert bits.get_int_counts((1, 2)) == dict(Counter((array[1, 2, :, 0] & 7).tolist()))
    assert bits.to_ints() == (array[..., 0] & 7).tolist()
    assert bits.samples == [[[hex(v) for v in row] for row in grid] for grid in bits.to_ints()]


@pytest.mark.parametrize("width", range(1, 128))
def test_qiskit_format_against_qiskit_ibm_runtime_at_every_width(width: int) -> None:
    primitives = pytest.importorskip("qiskit.primitives")
    runtime_json = pytest.importorskip("qiskit_ibm_runtime.json")
    import json

    rng = np.random.default_rng(width)
    dense = rng.integers(0, 2, size=(300, width), dtype=np.uint8)
    sparse = dense[rng.integers(0, 3, size=300)]
    for outcomes in (dense, sparse):
        expected = primitives.BitArray.from_bool_array(outcomes, order="little")
        result = primitives.PrimitiveResult(
            [primitives.SamplerPubResult(primitives.DataBin(c=expected))]
        )
        text = json.dumps(result, cls=runtime_json.RuntimeEncoder)
        ours = decode_results(text)[0].data.c
        assert ours.get_counts() == expected.get_counts()
        assert ours.get_int_counts() == expected.get_int_counts()
        assert ours.get_bitstrings() == expected.get_bitstrings()


def test_the_client_decodes_without_numpy_installed() -> None:
    # A fresh interpreter where numpy cannot be imported at all, at a size (300,000 shots) where
    # it would otherwise be imported: the pure-Python paths give the notebook's answer.
    script = """
import sys
sys.modules["numpy"] = None
import json, random
from collections import Counter
from qiskit_runtime_rest._results import decode_results
rng = random.Random(5)
for width, pool in ((2, 4), (8, 40), (16, 300), (127, None)):
    values = [rng.getrandbits(width) for _ in range(pool)] if pool else None
    draw = (lambda: rng.choice(values)) if values else (lambda: rng.getrandbits(width))
    samples = [hex(draw()) for _ in range(300_000)]
    body = json.dumps({"results": [{"data": {"c": {"samples": samples, "num_bits": width}}}]})
    bits = decode_results(body)[0].data.c
    expected = dict(Counter(int(x, 16) for x in samples))
    assert list(bits.get_int_counts().items()) == list(expected.items()), width
    assert "numpy" not in sys.modules or sys.modules["numpy"] is None
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
