"""Decoding of result bodies: recorded real outputs, broadcast shapes, and the Qiskit format."""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

import pytest
from qiskit_runtime_rest._pubs import register_widths
from qiskit_runtime_rest._results import (
    BitArray,
    EstimatorResult,
    SamplerResult,
    decode_results,
)

# Real outputs recorded in IBM's REST guide (Qiskit/documentation, docs/guides/
# primitives-rest-api.ipynb at 02cf37a73122a6de72aef95e460a11d0c6ef1582; runs on ibm_pittsburgh,
# 2026-02-03), as collected in the project's reference/recorded/primitives-rest-api.json.
# Estimator job d6147q3traac73bef6f0: the complete `results` array (the top-level metadata was
# not printed).
RECORDED_ESTIMATOR_RESULTS = [
    {
        "data": {
            "evs": -0.9374102500618965,
            "stds": 0.030982815700848845,
            "ensemble_standard_error": 0.03686001673650654,
        },
        "metadata": {
            "shots": 4096,
            "target_precision": 0.015625,
            "circuit_metadata": {},
            "resilience": {},
            "num_randomizations": 32,
        },
    }
]
# Sampler job d6147vio8gvs73f0h130: results[0].data.meas.samples[:20] (only these were printed).
RECORDED_SAMPLER_SAMPLES = ["0x3"] * 12 + ["0x2"] + ["0x3"] * 7
# ... and the circuit it ran, which declares the register width the body leaves out.
RECORDED_SAMPLER_CIRCUIT = (
    '\nOPENQASM 3.0;\ninclude "stdgates.inc";\nbit[2] meas;\nrz(pi/2) $1;\nsx $1;\nrz(pi) $1;'
    "\nx $2;\ncz $2, $1;\nsx $1;\nrz(pi/2) $1;\nmeas[0] = measure $1;\nmeas[1] = measure $2;\n"
)


def test_recorded_estimator_results_decode() -> None:
    body = json.dumps({"results": RECORDED_ESTIMATOR_RESULTS})
    res = decode_results(body, program_id="estimator")
    assert isinstance(res, EstimatorResult)
    assert len(res) == 1
    assert res[0].evs == -0.9374102500618965
    assert res[0].stds == 0.030982815700848845
    assert res[0].ensemble_standard_error == 0.03686001673650654
    assert res[0].data.evs == res[0].data["evs"] == res[0].evs
    assert res[0].metadata["shots"] == 4096
    assert res[0].metadata["target_precision"] == 0.015625
    assert res.metadata == {}


def test_recorded_sampler_samples_without_num_bits() -> None:
    # The real body names the register after the circuit's (`meas`) and has no num_bits.
    body = {"results": [{"data": {"meas": {"samples": RECORDED_SAMPLER_SAMPLES}}, "metadata": {}}]}
    widths = [register_widths(RECORDED_SAMPLER_CIRCUIT)]
    res = decode_results(json.dumps(body), program_id="sampler", register_widths=widths)
    assert isinstance(res, SamplerResult)
    meas = res[0].data.meas
    assert meas.num_bits == 2
    # Tallies of the 20 printed samples (the recorded README gives the same): 0x3 x19, 0x2 x1.
    assert meas.get_int_counts() == {3: 19, 2: 1}
    assert meas.get_counts() == {"11": 19, "10": 1}
    assert meas.get_bitstrings()[12] == "10"
    assert meas.to_ints()[:3] == [3, 3, 3]
    assert meas.samples == RECORDED_SAMPLER_SAMPLES


def test_width_falls_back_to_the_widest_sample() -> None:
    res = decode_results({"results": [{"data": {"c": {"samples": ["0x1", "0x0", "0x1"]}}}]})
    bits = res[0].data.c
    assert bits.num_bits == 1  # nothing better is known: the widest value seen
    assert bits.get_counts() == {"1": 2, "0": 1}


def test_num_bits_in_the_body_wins_and_pads() -> None:
    body = {"results": [{"data": {"c": {"samples": ["0x1", "0x0"], "num_bits": 4}}}]}
    res = decode_results(body, register_widths=[{"c": 2}])
    assert res[0].data.c.get_bitstrings() == ["0001", "0000"]


def test_counts_match_the_notebook_baseline_on_many_shots() -> None:
    samples = ["0x1"] * 496 + ["0x0"] * 4 + ["0x01"]  # "0x01" and "0x1" are the same outcome
    res = decode_results({"results": [{"data": {"c": {"samples": samples, "num_bits": 2}}}]})
    bits = res[0].data.c
    assert bits.get_int_counts() == dict(Counter(int(x, 16) for x in samples))
    assert bits.get_counts() == {"01": 497, "00": 4}
    assert bits.num_shots == 501


def test_multiple_registers_and_join_data() -> None:
    body = {
        "results": [{"data": {"a": {"samples": ["0x1"], "num_bits": 1}, "b": {"samples": ["0x2"]}}}]
    }
    res = decode_results(body, register_widths=[{"a": 1, "b": 3}])
    assert res[0].data.b.get_counts() == {"010": 1}
    assert set(res[0].data) == {"a", "b"}
    with pytest.raises(Exception, match="exactly one register"):
        res[0].join_data()
    with pytest.raises(AttributeError, match="fields: a, b"):
        _ = res[0].data.c


def test_broadcast_sampler_pub_keeps_its_shape() -> None:
    samples = [[["0x0", "0x1"], ["0x1", "0x1"], ["0x3", "0x3"]], [["0x2"] * 2] * 3]
    res = decode_results(
        {"results": [{"data": {"m": {"samples": samples, "num_bits": 2}}}]}, program_id="sampler"
    )
    bits = res[0].data.m
    assert isinstance(bits, BitArray)
    assert bits.shape == (2, 3)
    assert bits.num_shots == 2
    assert bits.get_counts((0, 2)) == {"11": 2}
    assert bits.get_counts(1) == {"10": 6}
    assert bits.get_int_counts() == {0: 1, 1: 3, 3: 2, 2: 6}
    assert bits.to_ints() == [[[0, 1], [1, 1], [3, 3]], [[2, 2]] * 3]
    assert len(bits.get_bitstrings()) == 12
    with pytest.raises(IndexError):
        bits.get_counts((0, 0, 0))


def test_broadcast_estimator_pub_keeps_its_shape() -> None:
    body = {
        "results": [
            {
                "data": {
                    "evs": [[0.1, 0.2]],
                    "stds": [[0.01, 0.02]],
                    "ensamble_standard_error": [[0.1, 0.1]],
                },
                "metadata": {"shots": 10},
            }
        ],
        "metadata": {"version": 2},
    }
    res = decode_results(body)
    assert isinstance(res, EstimatorResult)
    assert res[0].evs == [[0.1, 0.2]]
    assert res[0].ensemble_standard_error == [[0.1, 0.1]]  # the schema's typo is accepted
    assert res.metadata == {"version": 2}


def test_other_programs_return_plain_json() -> None:
    body = {"schema_version": "v0.1", "data": [{"results": {}}]}
    assert decode_results(json.dumps(body)) == body


def test_qiskit_encoded_results_decode_to_the_same_objects() -> None:
    np = pytest.importorskip("numpy")
    primitives = pytest.importorskip("qiskit.primitives")
    runtime_json = pytest.importorskip("qiskit_ibm_runtime.json")
    bits = primitives.BitArray.from_samples(["01", "11", "01", "00"] * 3, num_bits=2)
    grid = primitives.BitArray(
        (np.arange(2 * 3 * 5, dtype=np.uint8).reshape(2, 3, 5, 1) % 4), num_bits=2
    )
    sampler = primitives.PrimitiveResult(
        [
            primitives.SamplerPubResult(primitives.DataBin(meas=bits), metadata={"shots": 12}),
            primitives.SamplerPubResult(primitives.DataBin(m=grid, shape=(2, 3))),
        ],
        metadata={"version": 2},
    )
    text = json.dumps(sampler, cls=runtime_json.RuntimeEncoder)
    res = decode_results(text, program_id="sampler")
    assert isinstance(res, SamplerResult)
    assert res[0].data.meas.get_counts() == bits.get_counts()
    assert res[0].metadata == {"shots": 12}
    assert res.metadata == {"version": 2}
    assert res[1].data.m.shape == (2, 3)
    assert res[1].data.m.get_counts((1, 2)) == grid.get_counts((1, 2))
    assert res[1].data.m.get_bitstrings() == grid.get_bitstrings()

    estimator = primitives.PrimitiveResult(
        [
            primitives.PubResult(
                primitives.DataBin(
                    evs=np.array([0.5, -0.25]), stds=np.array([0.1, 0.2]), shape=(2,)
                ),
                metadata={"target_precision": 0.01},
            )
        ]
    )
    est = decode_results(json.dumps(estimator, cls=runtime_json.RuntimeEncoder))
    assert isinstance(est, EstimatorResult)
    assert est[0].evs == [0.5, -0.25]
    assert est[0].metadata == {"target_precision": 0.01}


def test_qiskit_encoded_results_without_numpy_name_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_numpy(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "numpy":
            raise ImportError("no numpy here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_numpy)
    body = {
        "__type__": "PrimitiveResult",
        "__value__": {"pub_results": [{"__type__": "ndarray", "__value__": "eJw="}]},
    }
    with pytest.raises(Exception, match="pip install numpy"):
        decode_results(json.dumps(body))


def test_dense_registers_count_exactly() -> None:
    rng = random.Random(7)
    samples = [hex(rng.getrandbits(16)) for _ in range(5000)]  # mostly distinct: direct parsing
    bits = BitArray(samples, 16)
    assert bits.get_int_counts() == dict(Counter(int(x, 16) for x in samples))
    assert bits.get_bitstrings() == [format(int(x, 16), "016b") for x in samples]
    assert bits.to_ints() == [int(x, 16) for x in samples]


def test_an_outcome_first_seen_after_the_probe_is_still_counted() -> None:
    samples = ["0x1"] * 3000 + ["0x2"] + ["0x01"] * 5 + ["0x1"]
    bits = BitArray(samples, 2)
    assert bits.get_int_counts() == {1: 3006, 2: 1}
    assert bits.get_counts() == {"01": 3006, "10": 1}
    assert bits.get_bitstrings()[3000:3002] == ["10", "01"]


def test_counts_keep_first_seen_order() -> None:
    bits = BitArray(["0x2", "0x1", "0x2", "0x3"], 2)
    assert list(bits.get_int_counts()) == [2, 1, 3]
    assert list(bits.get_counts()) == ["10", "01", "11"]


def test_malformed_samples_are_not_silently_miscounted() -> None:
    with pytest.raises(ValueError):
        BitArray(["0x1"] * 10 + ["zz"], 2).get_int_counts()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({}, "needs a 'results' list"),
        ({"results": [{"data": {"c": {"samples": ["0x1", "0x2"], "num_bits": -2}}}]}, "num_bits"),
        ({"results": [{"data": {"c": {"samples": ["0x1", "zz"], "num_bits": 2}}}]}, "not a hex"),
        ({"results": [{"data": {"c": {"samples": [["0x1"], [7]], "num_bits": 2}}}]}, "not a hex"),
    ],
)
def test_a_malformed_sampler_body_is_refused_when_decoded_not_later(
    body: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        decode_results(json.dumps(body), program_id="sampler")


def test_a_body_of_another_program_is_returned_as_parsed_json() -> None:
    assert decode_results("{}", program_id="noise-learner") == {}


def test_a_qiskit_format_bit_array_packed_wider_than_its_bits_is_refused() -> None:
    pytest.importorskip("numpy")
    from qiskit_runtime_rest import QiskitRuntimeError
    from qiskit_runtime_rest._qiskit_decode import _bit_array

    assert _bit_array({"array": [[0b101]], "num_bits": 3}).get_counts() == {"101": 1}
    with pytest.raises(QiskitRuntimeError, match="3 bits packs each shot into 1 bytes, not 2"):
        _bit_array({"array": [[0x00, 0xFF]], "num_bits": 3})
