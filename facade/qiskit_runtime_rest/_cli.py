"""``qrt``: the command line.

    qrt demo [--local] [--backend NAME] [--shots 500]
    qrt emulator [--port 8000] [--api-key KEY] [--crn CRN] [--state FILE] ...

``qrt demo`` runs the classic REST notebook's whole flow (token, backends, the transpiler service,
session, a sampler job, an estimator job, results, close) against IBM Quantum when credentials
are found (``QISKIT_IBM_TOKEN`` + ``QISKIT_IBM_INSTANCE``, or a saved account), and otherwise
against the embedded emulator, offline.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from ._constants import ENV_INSTANCE, ENV_TOKEN
from ._exceptions import (
    ApiConnectionError,
    AuthenticationError,
    InvalidInputError,
    PermissionDeniedError,
    QiskitRuntimeError,
)
from ._models import Backend
from ._status import JobStatus
from ._sync._client import RuntimeClient
from ._sync._jobs import Job
from ._transpiled import TranspiledQasm

__all__ = ["main"]

# The notebook's own circuit (seed In[53]), before transpilation: X on qubit 0, measure both.
NOTEBOOK_CIRCUIT = """OPENQASM 3;
include "stdgates.inc";
qreg q[2];
creg c[2];
x q[0];
c[0] = measure q[0];
c[1] = measure q[1];
"""
# As IBM's transpiler service returned it for ibm_hanoi (seed In[57]).
NOTEBOOK_QASM = (
    'OPENQASM 3.0; include "stdgates.inc"; bit[2] c; x $0; c[0] = measure $0; c[1] = measure $1;'
)
NOTEBOOK_OBSERVABLE = {"II": 1, "ZZ": 2.3}
NOTEBOOK_PRECISION = 0.01
DEMO_TIMEOUT = 1800.0  # seconds; a real device's queue can be long, the emulator takes a second


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="qrt", description="Qiskit Runtime REST client tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the notebook flow (emulator unless credentials)")
    demo.add_argument("--local", action="store_true", help="use the embedded emulator regardless")
    demo.add_argument("--backend", help="backend name (default: the least busy one)")
    demo.add_argument("--shots", type=int, default=500, help="shots of the second sampler PUB")

    commands.add_parser(
        "emulator", help="serve the emulator (python -m qiskit_runtime_emulator)", add_help=False
    )
    args, rest = parser.parse_known_args(argv)
    if args.command == "emulator":
        try:
            from qiskit_runtime_emulator.__main__ import main as serve
        except ImportError as exc:
            print(
                f"qrt emulator needs the [local] extra ({exc.name} is missing): "
                "pip install 'qiskit-runtime-rest[local]'",
                file=sys.stderr,
            )
            return 2
        return serve(rest, prog="qrt emulator")
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return run_demo(local=args.local, backend=args.backend, shots=args.shots, out=sys.stdout)
    except QiskitRuntimeError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


def _connect(local: bool, out: TextIO) -> RuntimeClient:
    if not local and os.environ.get(ENV_TOKEN) and os.environ.get(ENV_INSTANCE):
        print(f"Target: IBM Quantum, credentials from ${ENV_TOKEN} and ${ENV_INSTANCE}", file=out)
        return RuntimeClient.from_env()
    if not local:
        try:
            client = RuntimeClient.from_saved_account()
        except QiskitRuntimeError:
            pass  # no saved account: fall through to the emulator
        else:
            print("Target: IBM Quantum, credentials from the saved account", file=out)
            return client
    client = RuntimeClient.local()
    reason = "--local" if local else f"no ${ENV_TOKEN}/${ENV_INSTANCE} and no saved account"
    print(f"Target: embedded emulator at {client.base_url} ({reason})", file=out)
    return client


def _least_busy(backends: Sequence[Backend]) -> Backend:
    usable = [b for b in backends if b.status in (None, "online") and not b.is_simulator]
    if not usable:
        raise QiskitRuntimeError("no online backend is available to this instance")
    return min(usable, key=lambda b: (b.queue_length is None, b.queue_length or 0, b.name))


class _StatusLine:
    """One line per job, rewritten in place as its status changes (plain lines when piped)."""

    def __init__(self, out: TextIO, label: str) -> None:
        self._out = out
        self._label = label
        self._trail: list[str] = []
        self._live = hasattr(out, "isatty") and out.isatty()

    def __call__(self, job: Job[object], status: JobStatus) -> None:
        self._trail.append(status.value)
        text = f"  {self._label} job {job.id}: {' -> '.join(self._trail)}"
        if self._live:
            print(f"\r{text}", end="", file=self._out, flush=True)
        else:
            print(text, file=self._out, flush=True)

    def done(self) -> None:
        if self._live:
            print(file=self._out)


def run_demo(*, local: bool, backend: str | None, shots: int, out: TextIO) -> int:
    with _connect(local, out) as rt:
        lifetime = rt.authenticate()
        rt.versions()  # the startup check: warns if the service lists a newer API version
        pinned = f"IBM-API-Version {rt.api_version}"
        if lifetime is not None:
            print(f"[1/6] IAM token obtained (valid for {lifetime:.0f} s); {pinned}", file=out)
        else:
            print(f"[1/6] using the caller's bearer token; {pinned}", file=out)

        devices = rt.backends.list()
        listing = ", ".join(
            f"{b.name} ({b.num_qubits} qubits, queue {b.queue_length})" for b in devices
        )
        chosen = backend or _least_busy(devices).name
        print(f"[2/6] backends: {listing}; using {chosen}", file=out)
        isa = transpile_notebook_circuit(rt, chosen, out)
        observable = isa.layout.apply(NOTEBOOK_OBSERVABLE, isa.num_qubits)

        with rt.session(chosen) as session:
            print(f"[3/6] session {session.id} opened on {chosen}", file=out)
            sampler = session.run_sampler([isa, (isa, None, shots)])
            estimator = session.run_estimator([(isa, observable, None, NOTEBOOK_PRECISION)])
            print("[4/6] waiting for the jobs", file=out)
            for label, job in (("sampler", sampler), ("estimator", estimator)):
                line = _StatusLine(out, label)
                try:
                    job.wait(DEMO_TIMEOUT, callback=line)
                finally:
                    line.done()

            counts = sampler.result()[1].data.c.get_counts()
            evs = estimator.result()[0].evs
            print(f"[5/6] sampler counts ({shots} shots): {counts}", file=out)
            print(f"      Expectation value: {evs}", file=out)
        print(f"[6/6] session {session.id} closed", file=out)
    return 0


def transpile_notebook_circuit(rt: RuntimeClient, backend: str, out: TextIO) -> TranspiledQasm:
    """The notebook's circuit made ISA for ``backend``, as the notebook does it: by IBM's
    transpiler service (the emulator's, offline); locally with qiskit if the service refuses
    (a paid-plan service) or cannot be reached and the [transpile] extra is installed."""
    service = rt.transpiler_service
    try:
        isa: TranspiledQasm = service.transpile(NOTEBOOK_CIRCUIT, backend, timeout=DEMO_TIMEOUT)
    except (AuthenticationError, PermissionDeniedError, ApiConnectionError) as exc:
        why = f"{type(exc).__name__} from {service.url}"
        try:
            local: TranspiledQasm = rt.transpile(NOTEBOOK_CIRCUIT, backend)
        except InvalidInputError as missing:
            raise QiskitRuntimeError(
                f"cannot transpile the notebook's circuit: the transpiler service failed ({why}) "
                f"and {missing}"
            ) from exc
        print(f"      transpiled locally with qiskit (the transpiler service: {why})", file=out)
        return local
    print(f"      transpiled by the transpiler service at {service.url}", file=out)
    return isa
