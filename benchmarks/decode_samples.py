#!/usr/bin/env python3
"""Decoding 1,000,000 sampler shots, as ratios against the seed notebook's own counting.

    python benchmarks/decode_samples.py [--shots 1000000] [--runs 5]

The baseline is what the classic notebook does with a results body:
``Counter(int(x, 16) for x in samples)``. It is timed in the same run, on the same samples, as
the facade's ``BitArray.get_int_counts()`` and ``get_counts()`` (a fresh BitArray each run, so no
cached counts are reused). A ratio above 1 means the facade is faster than the baseline.

Two registers: a 2-bit one (the notebook's circuit: a handful of distinct outcomes, the common
case) and a 16-bit one with uniformly random outcomes (about 65,000 distinct values: the case
where counting distinct strings first saves the least). The end-to-end rows include
``json.loads`` of the whole results body on both sides.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from qiskit_runtime_rest._results import BitArray, decode_results


def median_seconds(func: Callable[[Any], Any], make_input: Callable[[], Any], runs: int) -> float:
    """Median time of ``func(make_input())``; the input is made fresh, untimed, for every run, so
    no run profits from string hashes cached by the one before (as a real body never would)."""
    samples = []
    for _ in range(runs):
        data = make_input()
        start = time.perf_counter()
        func(data)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def make_samples(shots: int, num_bits: int, rng: random.Random) -> list[str]:
    if num_bits == 2:
        # The notebook's circuit on a noisy device: mostly 0b01, a little of everything else.
        population, weights = ["0x1", "0x0", "0x3", "0x2"], [0.96, 0.02, 0.015, 0.005]
        return rng.choices(population, weights, k=shots)
    return [hex(rng.getrandbits(num_bits)) for _ in range(shots)]


def bench(shots: int, num_bits: int, runs: int) -> list[tuple[str, float, float]]:
    samples = make_samples(shots, num_bits, random.Random(1234))
    text_samples = json.dumps(samples)
    body = json.dumps({"results": [{"data": {"c": {"samples": samples}}, "metadata": {}}]})

    def fresh_samples() -> list[str]:
        return json.loads(text_samples)  # type: ignore[no-any-return]

    def same_body() -> str:
        return body

    def baseline(samples: list[str]) -> Counter[int]:
        return Counter(int(x, 16) for x in samples)

    def baseline_end_to_end(text: str) -> Counter[int]:
        parsed = json.loads(text)
        return Counter(int(x, 16) for x in parsed["results"][0]["data"]["c"]["samples"])

    def facade_int_counts(samples: list[str]) -> dict[int, int]:
        return BitArray(samples, num_bits).get_int_counts()

    def facade_counts(samples: list[str]) -> dict[str, int]:
        return BitArray(samples, num_bits).get_counts()

    def facade_end_to_end(text: str) -> dict[int, int]:
        result = decode_results(text, program_id="sampler", register_widths=[{"c": num_bits}])
        return result[0].data.c.get_int_counts()  # type: ignore[no-any-return]

    check = fresh_samples()
    assert facade_int_counts(check) == dict(baseline(check)), "must count as the notebook does"
    base = median_seconds(baseline, fresh_samples, runs)
    base_e2e = median_seconds(baseline_end_to_end, same_body, runs)
    int_counts = median_seconds(facade_int_counts, fresh_samples, runs)
    counts = median_seconds(facade_counts, fresh_samples, runs)
    end_to_end = median_seconds(facade_end_to_end, same_body, runs)
    return [
        ("baseline Counter(int(x, 16) for x in samples)", base, 1.0),
        ("get_int_counts()", int_counts, base / int_counts),
        ("get_counts() (zero-padded bitstrings)", counts, base / counts),
        ("baseline end to end: json.loads + Counter", base_e2e, 1.0),
        ("end to end: json.loads + decode + get_int_counts()", end_to_end, base_e2e / end_to_end),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--shots", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print(
        f"decoding {args.shots:,} shots, median of {args.runs} runs "
        f"(python {sys.version.split()[0]}); ratio = baseline time / this time"
    )
    for num_bits, label in (
        (2, "2-bit register (notebook circuit)"),
        (16, "16-bit register, random"),
    ):
        print(f"\n{label}")
        for name, seconds, ratio in bench(args.shots, num_bits, args.runs):
            print(f"  {name:<52} {seconds * 1000:8.1f} ms   {ratio:5.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
