"""The benchmark harness's bookkeeping (no timing is asserted anywhere: benchmarks measure)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("pyperf")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from _harness import Row, alternate, markdown_table, rows_against


def test_alternate_rotates_the_order_each_round() -> None:
    order: list[str] = []

    def subject(name: str) -> float:
        order.append(name)
        return float(len(order))

    values = alternate({name: (lambda name=name: subject(name)) for name in "abc"}, rounds=3)
    assert order == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert values == {"a": [1.0, 6.0, 8.0], "b": [2.0, 4.0, 9.0], "c": [3.0, 5.0, 7.0]}


def test_a_row_is_the_median_of_per_round_ratios_with_their_spread() -> None:
    row = Row("s", "ours", "base", "s", [1.0, 3.0, 2.0], [2.0, 2.0, 8.0])
    assert row.ratios == [0.5, 1.5, 0.25]
    assert row.ratio == 0.5
    table = markdown_table([row])
    assert "**0.50x** (0.25-1.50)" in table


def test_rows_against_pair_every_subject_with_the_baseline() -> None:
    rows = rows_against("x", "floor", {"floor": [2.0], "one": [1.0], "two": [4.0]})
    assert [(row.name, row.baseline, row.ratio) for row in rows] == [
        ("one", "floor", 0.5),
        ("two", "floor", 2.0),
    ]
