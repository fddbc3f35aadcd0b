#!/usr/bin/env python3
"""Re-record the scenario cassettes against the emulator (default) or IBM Quantum.

    python scripts/record_cassettes.py            # emulator -> cassettes/recorded-emulator/
    QISKIT_IBM_TOKEN=... QISKIT_IBM_INSTANCE=crn:... \\
        python scripts/record_cassettes.py --live # IBM -> cassettes/recorded-live/
    python scripts/record_cassettes.py --scenario quickstart --out /tmp/tapes

Each scenario is the code of a README example, run through vcrpy in record mode with the same
scrubbing configuration the tests replay with (``qiskit_runtime_rest.testing.vcr_config``):
credentials are replaced before anything reaches disk, and every written file is scanned again
with ``find_secrets``; a file that still holds one is deleted and the run fails.

The committed cassettes under ``cassettes/core`` and ``cassettes/jobs`` were built from IBM's
documented real outputs and the README shows their numbers; recording into ``--out cassettes``
replaces them, after which the README's printed outputs must be updated to match.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_QASM = (
    'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'
)


def quickstart(backend: str | None) -> None:
    from qiskit_runtime_api.api.backends import list_backends
    from qiskit_runtime_rest import RuntimeClient

    with RuntimeClient.from_env() as rt:
        names = [b.name for b in rt.backends.list()]
        list_backends.sync(client=rt.raw)
    print(f"  backends: {', '.join(names)}")


def notebook_flow(backend: str | None) -> None:
    from qiskit_runtime_rest import RuntimeClient
    from qiskit_runtime_rest._cli import _least_busy

    with RuntimeClient.from_env() as rt:
        chosen = backend or _least_busy(rt.backends.list()).name
        with rt.session(chosen) as s:
            sampler = s.run_sampler([NOTEBOOK_QASM, (NOTEBOOK_QASM, None, 500)])
            estimator = s.run_estimator([(NOTEBOOK_QASM, {"II": 1, "ZZ": 2.3}, None, 0.01)])
            counts = sampler.result()[1].data.c.get_int_counts()
            evs = estimator.result()[0].evs
    print(f"  {chosen}: counts {counts}, expectation value {evs}")


SCENARIOS: dict[str, tuple[str, Callable[[str | None], None]]] = {
    "quickstart": ("core/readme_quickstart.yaml", quickstart),
    "notebook_flow": ("jobs/notebook_flow.yaml", notebook_flow),
}


@contextlib.contextmanager
def emulator_environment() -> Iterator[None]:
    from qiskit_runtime_emulator import Emulator

    with Emulator(job_delays=0.2, seed=1) as emu:
        saved = {
            k: os.environ.get(k)
            for k in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_URL", "IAM_URL")
        }
        os.environ.update(
            QISKIT_IBM_TOKEN=emu.api_key,
            QISKIT_IBM_INSTANCE=emu.crn,
            QISKIT_IBM_URL=emu.base_url,
            IAM_URL=emu.iam_url,
        )
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def record(names: list[str], out: Path, backend: str | None) -> list[Path]:
    import vcr
    from qiskit_runtime_rest.testing import find_secrets, vcr_config

    config: dict[str, Any] = vcr_config()
    config.pop("allowed_hosts", None)
    config["record_mode"] = "all"
    recorder = vcr.VCR(cassette_library_dir=str(out), **config)
    written = []
    for name in names:
        relative, scenario = SCENARIOS[name]
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        print(f"recording {name} -> {target}")
        with recorder.use_cassette(relative):
            scenario(backend)
        leaks = find_secrets(target.read_text(encoding="utf-8"))
        if leaks:
            target.unlink()
            raise SystemExit(f"error: {target} still held secrets ({'; '.join(leaks)}); deleted")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--live", action="store_true", help="record against IBM Quantum")
    parser.add_argument("--out", type=Path, help="cassette folder (default cassettes/recorded-*)")
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS))
    parser.add_argument("--backend", help="backend for job scenarios (default: least busy)")
    args = parser.parse_args(argv)
    names = args.scenario or sorted(SCENARIOS)
    out = args.out or ROOT / "cassettes" / ("recorded-live" if args.live else "recorded-emulator")
    if args.live:
        missing = [k for k in ("QISKIT_IBM_TOKEN", "QISKIT_IBM_INSTANCE") if not os.environ.get(k)]
        if missing:
            print(
                f"error: --live needs {' and '.join(missing)} in the environment", file=sys.stderr
            )
            return 2
        environment: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    else:
        environment = emulator_environment()
    with environment:
        written = record(names, out, args.backend)
    print(f"wrote {len(written)} cassette(s), secrets scrubbed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
