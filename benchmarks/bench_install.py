"""Cold import time and installed size, each package alone in a virtual environment holding only
its runtime dependencies.

Four environments under ``benchmarks/.venvs`` (built on first use, then reused; this project is
reinstalled into its own every run, so its figures are always those of the working tree):

- ``interpreter``: nothing installed; ``python -c pass`` is the interpreter's own start-up,
  subtracted from every import time ("net of the interpreter");
- ``httpx``: the floor, the one library any client of this API needs;
- ``qiskit-runtime-rest``: this project, without extras;
- ``qiskit-ibm-runtime``: IBM's SDK, pinned to the release compared against.

Interpreters run with ``-I`` (isolated: no PYTHONPATH, no user site), fresh for every value.
Building the environments needs a package index; without one (and no environments built
before), the section is skipped with a message.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

from _harness import Row, alternate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENVS = HERE / ".venvs"
QISKIT_IBM_RUNTIME = "qiskit-ibm-runtime==0.51.0"

ENVIRONMENTS = {  # name: what is installed
    "interpreter": [],
    "httpx": ["httpx"],
    "qiskit-runtime-rest": [str(ROOT)],
    "qiskit-ibm-runtime": [QISKIT_IBM_RUNTIME],
}
IMPORTS = {  # what is timed: (environment, statement)
    "interpreter": ("interpreter", "pass"),
    "httpx": ("httpx", "import httpx"),
    "qiskit_runtime_rest": ("qiskit-runtime-rest", "import qiskit_runtime_rest"),
    "one raw operation": ("qiskit-runtime-rest", "from qiskit_runtime_api.api.jobs import get_job"),
    "every generated model": ("qiskit-runtime-rest", "from qiskit_runtime_api.models import *"),
    "qiskit_ibm_runtime": ("qiskit-ibm-runtime", "import qiskit_ibm_runtime"),
}


def _python(name: str) -> Path:
    return VENVS / name / "bin" / "python"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def _pip(name: str, *args: str) -> None:
    done = subprocess.run(
        [str(_python(name)), "-m", "pip", "--disable-pip-version-check", "-q", *args],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=900,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"pip {' '.join(args)} failed in {name}:\n{done.stderr[-2000:]}")


def index_reachable() -> bool:
    """Whether pip can reach a package index (asked for one small package, nothing installed)."""
    probe = VENVS / ".probe"
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "-q",
                "-d",
                str(probe),
                "sniffio",
            ],
            capture_output=True,
            env=_env(),
            timeout=60,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    return done.returncode == 0


def build(log: list[str]) -> bool:
    """Every environment present and this project freshly installed, or False (and why)."""
    missing = [name for name in ENVIRONMENTS if not (VENVS / name / ".complete").exists()]
    if not index_reachable():
        if missing:
            log.append(f"skipped: no package index reachable to build {', '.join(missing)}")
            return False
        log.append("no package index reachable: this project's environment was not refreshed")
        return True
    for name in missing:
        started = time.perf_counter()
        shutil.rmtree(VENVS / name, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENVS / name)], check=True)
        requirements = ENVIRONMENTS[name]
        if requirements:
            _pip(name, "install", *requirements)
        (VENVS / name / ".complete").write_text("")
        log.append(f"built environment {name} in {time.perf_counter() - started:.0f} s")
    if "qiskit-runtime-rest" not in missing:
        _pip("qiskit-runtime-rest", "install", "--no-deps", "--force-reinstall", str(ROOT))
    return True


def _site_packages(name: str) -> Path:
    return next((VENVS / name / "lib").glob("python*/site-packages"))


def _size_and_distributions(name: str) -> tuple[int, int]:
    site = _site_packages(name)
    size = sum(path.stat().st_size for path in site.rglob("*") if path.is_file())
    return size, len(list(site.glob("*.dist-info")))


def _cold(subject: str) -> float:
    environment, statement = IMPORTS[subject]
    start = time.perf_counter()
    subprocess.run([str(_python(environment)), "-I", "-c", statement], check=True, env=_env())
    return time.perf_counter() - start


def install(*, rounds: int, log: list[str]) -> list[Row]:
    if not build(log):
        return []
    for subject in IMPORTS:
        _cold(subject)  # a first start fills the OS's file cache: every value is then "warm disk"
    values = alternate({subject: partial(_cold, subject) for subject in IMPORTS}, rounds)
    bare = values.pop("interpreter")
    net = {
        name: [v - b for v, b in zip(series, bare, strict=True)] for name, series in values.items()
    }
    rows = [
        Row(
            "cold import",
            f"{statement}, net of the interpreter",
            f"import {baseline}, net",
            "s",
            net[subject],
            net[baseline],
        )
        for subject, statement, baseline in (
            ("qiskit_runtime_rest", "import qiskit_runtime_rest", "qiskit_ibm_runtime"),
            ("qiskit_runtime_rest", "import qiskit_runtime_rest", "httpx"),
            ("one raw operation", "one raw operation (qiskit_runtime_api.api.jobs)", "httpx"),
            ("every generated model", "every generated model (qiskit_runtime_api.models)", "httpx"),
        )
    ]
    empty_size, empty_count = _size_and_distributions("interpreter")  # pip, in every venv
    sizes = {}
    for name in ("httpx", "qiskit-runtime-rest", "qiskit-ibm-runtime"):
        size, count = _size_and_distributions(name)
        sizes[name] = (float(size - empty_size), float(count - empty_count))
    for other in ("qiskit-ibm-runtime", "httpx"):
        rows.append(
            Row(
                "install",
                "qiskit-runtime-rest installed size",
                f"{other} installed size",
                "B",
                [sizes["qiskit-runtime-rest"][0]],
                [sizes[other][0]],
            )
        )
        rows.append(
            Row(
                "install",
                "qiskit-runtime-rest distributions",
                f"{other} distributions",
                "n",
                [sizes["qiskit-runtime-rest"][1]],
                [sizes[other][1]],
            )
        )
    return rows
