#!/usr/bin/env python3
"""Cold import time of the project's packages, as ratios against `import httpx` in the same run.

    python benchmarks/import_time.py [--runs 15] [--here]

Each figure is the median over fresh interpreters (nothing cached in sys.modules), timed inside
the interpreter around the import statement alone, so it is net of the bare interpreter's own
start-up. Targets alternate round by round, so a slow moment of the machine hits them all alike.

By default it runs in a venv holding only the runtime dependencies (httpx, attrs,
python-dateutil), built once under benchmarks/.venvs/ with the project's source folders on its
path: a development environment has extras (rich and click make `import httpx` itself load its
command line) that no user of the library pays for. `--here` measures the current interpreter
instead; with no package index reachable the venv cannot be built and it says so and falls back.
`httpx` is the baseline because every client here needs it: a ratio near 1 means the package
adds almost nothing on top.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "benchmarks" / ".venvs" / "runtime-only"
RUNTIME_DEPENDENCIES = ["httpx>=0.27,<1", "attrs>=23.1", "python-dateutil>=2.8"]
SOURCE_FOLDERS = ["facade", "generated"]

TARGETS = {
    "httpx (baseline)": "import httpx",
    "qiskit_runtime_rest (facade)": "import qiskit_runtime_rest",
    "AsyncRuntimeClient (facade + asyncio)": "from qiskit_runtime_rest import AsyncRuntimeClient",
    "qiskit_runtime_api (generated package)": "import qiskit_runtime_api",
    "one raw operation (jobs.get_job)": "from qiskit_runtime_api.api.jobs import get_job",
    "every generated model": "from qiskit_runtime_api.models import *",
}

PROBE = "import time\nt = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t)"


def runtime_only_python() -> Path | None:
    """The venv's interpreter, building the venv on first use; None when it cannot be built."""
    python = VENV / "bin" / "python"
    if python.exists():
        return python
    print(f"building {VENV.relative_to(ROOT)} (runtime dependencies only) ...", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *RUNTIME_DEPENDENCIES],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(f"no package index reachable, measuring here instead: {done.stderr[-300:]}")
        return None
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    paths = "\n".join(str(ROOT / folder) for folder in SOURCE_FOLDERS)
    Path(site, "qiskit_runtime_rest_sources.pth").write_text(paths + "\n")
    return python


def cold_import_seconds(python: str, statement: str) -> float:
    out = subprocess.run(
        [python, "-c", PROBE.format(statement=statement)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--here", action="store_true", help="use this interpreter, not a venv")
    args = parser.parse_args(argv)
    found = None if args.here else runtime_only_python()
    python = str(found or sys.executable)
    samples: dict[str, list[float]] = {label: [] for label in TARGETS}
    for _ in range(args.runs):
        for label, statement in TARGETS.items():
            samples[label].append(cold_import_seconds(python, statement))
    baseline = statistics.median(samples["httpx (baseline)"])
    where = "a venv with only the runtime dependencies" if found else "this interpreter"
    print(f"cold import, median of {args.runs} fresh interpreters in {where}")
    for label, values in samples.items():
        median = statistics.median(values)
        spread = (max(values) - min(values)) * 1000
        print(
            f"  {label:<40} {median * 1000:7.1f} ms (spread {spread:5.1f})"
            f"   {median / baseline:5.2f}x httpx"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
