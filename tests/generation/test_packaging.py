"""One distribution, three import packages: the wheel carries them all and they import."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import regenerate


def test_wheel_holds_the_three_packages_and_imports_from_them(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(regenerate.ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("qiskit_runtime_rest-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "qrt = qiskit_runtime_rest._cli:main" in archive.read(entry_points).decode()
        archive.extractall(tmp_path / "site")
    for required in (
        "qiskit_runtime_api/py.typed",
        "qiskit_runtime_api/openapi.json",
        "qiskit_runtime_api/api/jobs/create_job.py",
        "qiskit_runtime_rest/py.typed",
        "qiskit_runtime_rest/__init__.py",
        "qiskit_runtime_emulator/__init__.py",
    ):
        assert required in names, required
    code = (
        "import qiskit_runtime_api, qiskit_runtime_rest, qiskit_runtime_emulator\n"
        "for m in (qiskit_runtime_api, qiskit_runtime_rest, qiskit_runtime_emulator):\n"
        "    print(m.__file__)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.split()
    assert len(out) == 3 and all(path.startswith(str(tmp_path / "site")) for path in out)
