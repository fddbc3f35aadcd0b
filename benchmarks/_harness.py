"""Alternating measurements, their ratios, the table and the JSON.

Every row compares a subject with a baseline measured in the same run. Subjects are measured in
rounds, one value each per round, in an order that rotates from round to round (so neither side
always runs first, right after the other, or on a warm cache): a load spike from the rest of the
machine hits both sides of a row rather than one. A row's ratio is the median over rounds of the
per-round ratio subject / baseline; the spread is the lowest and highest per-round ratio.

Values are stored as pyperf benchmarks (one per subject, its rounds as values, with pyperf's
system metadata), so two runs compare with ``python -m pyperf compare_to old.json new.json``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyperf

Measure = Callable[[], float]


@dataclass
class Row:
    section: str
    name: str
    baseline: str
    unit: str  # "s" or "B"
    subject_values: list[float]
    baseline_values: list[float]
    note: str = ""
    ratios: list[float] = field(init=False)

    def __post_init__(self) -> None:
        self.ratios = [
            s / b for s, b in zip(self.subject_values, self.baseline_values, strict=True)
        ]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def subject(self) -> float:
        return statistics.median(self.subject_values)

    @property
    def base(self) -> float:
        return statistics.median(self.baseline_values)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(ratio=self.ratio, subject_median=self.subject, baseline_median=self.base)
        return out


def alternate(subjects: Mapping[str, Measure], rounds: int) -> dict[str, list[float]]:
    """One value per subject per round, the order rotating each round."""
    names = list(subjects)
    values: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            values[name].append(subjects[name]())
    return values


def rows_against(
    section: str,
    baseline: str,
    values: Mapping[str, list[float]],
    *,
    unit: str = "s",
    names: Mapping[str, str] | None = None,
    note: str = "",
) -> list[Row]:
    """One row per subject other than ``baseline``, each against it."""
    return [
        Row(
            section,
            (names or {}).get(key, key),
            (names or {}).get(baseline, baseline),
            unit,
            list(series),
            list(values[baseline]),
            note,
        )
        for key, series in values.items()
        if key != baseline
    ]


def human(value: float, unit: str) -> str:
    if unit == "B":
        return f"{value / 2**20:.1f} MiB"
    if unit == "n":
        return f"{value:.0f}"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.0f} µs"


def markdown_table(rows: Sequence[Row]) -> str:
    lines = [
        "| section | measured | baseline | this | baseline's | ratio (spread) |",
        "|---|---|---|---:|---:|---|",
    ]
    for row in rows:
        spread = f"{min(row.ratios):.2f}-{max(row.ratios):.2f}"
        lines.append(
            f"| {row.section} | {row.name} | {row.baseline} | {human(row.subject, row.unit)} "
            f"| {human(row.base, row.unit)} | **{row.ratio:.2f}x** ({spread}) |"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def write_json(path: Path, rows: Sequence[Row], meta: Mapping[str, Any]) -> None:
    """The summary (rows, ratios, spreads) at ``path``, and every subject's values as a pyperf
    suite next to it (``*.pyperf.json``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"meta": dict(meta), "rows": [row.as_dict() for row in rows]}, indent=1) + "\n"
    )
    benchmarks = []
    seen: set[str] = set()
    for row in rows:
        for name, series in ((row.name, row.subject_values), (row.baseline, row.baseline_values)):
            key = f"{row.section}: {name}"
            if key in seen or not series or min(series) <= 0:
                continue
            seen.add(key)
            unit = {"s": "second", "B": "byte"}.get(row.unit, "integer")
            run = pyperf.Run(
                list(series), metadata={"name": key, "unit": unit}, collect_metadata=False
            )
            benchmarks.append(pyperf.Benchmark([run]))
    if benchmarks:
        suite = pyperf.BenchmarkSuite(benchmarks)
        suite.dump(str(path.with_suffix(".pyperf.json")), replace=True)
