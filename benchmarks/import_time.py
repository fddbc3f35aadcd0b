#!/usr/bin/env python3
"""Cold import time of the project's packages, as ratios against `import httpx` in the same run.

    python benchmarks/import_time.py [--runs 9]

Each figure is the median over fresh interpreters (so nothing is cached in sys.modules), timed
inside the interpreter around the import statement alone. `httpx` is the baseline because every
client here needs it anyway: a ratio near 1 means the package adds almost nothing on top.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

TARGETS = {
    "httpx (baseline)": "import httpx",
    "qiskit_runtime_rest (facade)": "import qiskit_runtime_rest",
    "qiskit_runtime_api (generated package)": "import qiskit_runtime_api",
    "one raw operation (jobs.get_job)": "from qiskit_runtime_api.api.jobs import get_job",
    "every generated model": "from qiskit_runtime_api.models import *",
}

PROBE = "import time\nt = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t)"


def cold_import_seconds(statement: str, runs: int) -> float:
    samples = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", PROBE.format(statement=statement)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        samples.append(float(out.strip()))
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    results = {label: cold_import_seconds(code, args.runs) for label, code in TARGETS.items()}
    baseline = results["httpx (baseline)"]
    print(
        f"cold import, median of {args.runs} fresh interpreters (python {sys.version.split()[0]})"
    )
    for label, seconds in results.items():
        print(f"  {label:<42} {seconds * 1000:7.1f} ms   {seconds / baseline:5.2f}x httpx")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
