"""``qrt``: the command line.

argparse, from the standard library: ``qrt --help`` builds the parser and nothing else (no client,
no generated package, no qiskit), so it answers at once; each command imports what it needs when
it runs (``_cli_commands.py``). click or typer would add a dependency and import time for no
feature this needs.

``qrt demo`` runs the classic REST notebook's whole flow (token, backends, the transpiler service,
session, a sampler job, an estimator job, results, close) against IBM Quantum when credentials
are found, and otherwise against the embedded emulator, offline.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ._models import Backend
    from ._status import JobStatus
    from ._sync._client import RuntimeClient
    from ._sync._jobs import Job
    from ._transpiled import TranspiledQasm

__all__ = ["main"]

# Exit codes, documented in `qrt --help`.
EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_JOB_FAILED = 3
EXIT_TIMEOUT = 4

EPILOG = """\
credentials, as the Python client reads them: --account NAME (a saved account), else
QISKIT_IBM_TOKEN + QISKIT_IBM_INSTANCE, else the default saved account (qrt login);
--local runs the command against a fresh embedded emulator instead.

exit codes:
  0  ok
  1  API error (the message names the HTTP status, the error code and the trace id)
  2  usage error: bad arguments, bad input, no credentials
  3  a job failed or was cancelled
  4  timeout: a wait ran out (the job itself is untouched)
errors are one line on stderr; --debug adds the traceback.
"""

# The notebook's own circuit (seed In[53]), before transpilation: X on qubit 0, measure both.
NOTEBOOK_CIRCUIT = """OPENQASM 3;
include "stdgates.inc";
qreg q[2];
creg c[2];
x q[0];
c[0] = measure q[0];
c[1] = measure q[1];
"""
NOTEBOOK_OBSERVABLE = {"II": 1, "ZZ": 2.3}
NOTEBOOK_PRECISION = 0.01
DEMO_TIMEOUT = 1800.0  # seconds; a real device's queue can be long, the emulator takes a second


def _common() -> argparse.ArgumentParser:
    """Options every command takes, before or after its name (SUPPRESS: a subcommand that is
    not given one does not overwrite what was given before it)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--account", metavar="NAME", default=argparse.SUPPRESS, help="use this saved account"
    )
    common.add_argument(
        "--local",
        action="store_true",
        default=argparse.SUPPRESS,
        help="run against a fresh embedded emulator",
    )
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show tracebacks and HTTP logging",
    )
    return common


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable JSON output")


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="qrt",
        description="Qiskit Runtime REST from the terminal: jobs, sessions, backends, usage.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(parent: Any, name: str, help: str, **kwargs: Any) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = parent.add_parser(
            name, help=help, description=help, parents=[common], **kwargs
        )
        return sub

    login = command(commands, "login", "save an account (asks for the API key, checks it at IAM)")
    login.add_argument("--name", help="account name (default: default-ibm-quantum-platform)")
    login.add_argument("--instance", metavar="CRN", help="instance CRN (asked if not given)")
    login.add_argument("--url", help="API base URL, if not the one the CRN's region gives")
    login.add_argument("--default", action="store_true", help="make it the default account")
    command(commands, "logout", "POST /v1/logout, then forget the saved account")

    backends = command(commands, "backends", "list backends (or: backends show NAME)")
    _json_flag(backends)
    backend_commands = backends.add_subparsers(dest="action", metavar="ACTION")
    show = command(backend_commands, "show", "one backend's status and configuration")
    show.add_argument("name")
    _json_flag(show)

    jobs = command(commands, "jobs", "list, show, wait for, read, cancel or delete jobs")
    job_commands = jobs.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = command(job_commands, "list", "recent jobs, newest first")
    listing.add_argument("--backend")
    listing.add_argument("--session", metavar="ID")
    listing.add_argument("--pending", action="store_true", help="only queued or running jobs")
    listing.add_argument("--tag", action="append", help="jobs with this tag (repeatable)")
    listing.add_argument("--limit", type=int, default=20, help="at most this many (default 20)")
    _json_flag(listing)
    for name, text in (
        ("show", "one job's details"),
        ("cancel", "cancel a queued or running job"),
        ("logs", "print a job's logs"),
        ("delete", "delete a final job and its data"),
    ):
        sub = command(job_commands, name, text)
        sub.add_argument("id")
        if name == "show":
            _json_flag(sub)
    wait = command(job_commands, "wait", "wait until the jobs are final (live status line)")
    wait.add_argument("ids", nargs="+", metavar="ID")
    wait.add_argument("--timeout", type=float, help="seconds (default: no limit)")
    result = command(job_commands, "result", "print a job's result (waits for it)")
    result.add_argument("id")
    shape = result.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="machine-readable JSON output")
    shape.add_argument("--histogram", action="store_true", help="draw the counts as bars")
    result.add_argument("--top", type=int, default=16, help="outcomes shown (the rest summed)")
    result.add_argument("--timeout", type=float, help="seconds to wait for the job")

    sessions = command(commands, "sessions", "show, close or cancel a session or batch")
    session_commands = sessions.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, text in (
        ("show", "a session's details"),
        ("close", "stop accepting jobs (queued jobs still run)"),
        ("cancel", "close now and drop queued jobs"),
    ):
        sub = command(session_commands, name, text)
        sub.add_argument("id")
        if name == "show":
            _json_flag(sub)

    _json_flag(command(commands, "usage", "the instance's usage in this period and its limit"))
    _json_flag(command(commands, "versions", "the API versions the service offers"))

    migrate = command(
        commands, "migrate", "what replaces a classic-API endpoint (e.g. GET /jobs/{id}/logs)"
    )
    migrate.add_argument("method", nargs="?", help="GET, POST, PUT, PATCH or DELETE")
    migrate.add_argument("path", nargs="?", help="the classic path or URL")
    migrate.add_argument(
        "--markdown", action="store_true", help="print the whole table (the README's)"
    )

    command(
        commands,
        "emulator",
        "serve the emulator (options: qrt emulator --help)",
        add_help=False,
    )
    demo = command(commands, "demo", "run the notebook flow (emulator unless credentials)")
    demo.add_argument("--backend", help="backend name (default: the least busy one)")
    demo.add_argument("--shots", type=int, default=500, help="shots of the second sampler PUB")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["emulator"]:  # its own flags, passed through to the emulator's parser
        return _serve_emulator(args_list[1:])
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exit_:  # --help (0) or a usage error (2)
        return int(exit_.code or 0)
    debug = bool(getattr(args, "debug", False))
    if debug:
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    handler = _handler(args)
    try:
        return handler(args, sys.stdout)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if debug:
            import traceback

            traceback.print_exc()
        code, text = _describe_error(exc)
        print(f"error: {text}", file=sys.stderr)
        return code


def _handler(args: argparse.Namespace) -> Callable[[argparse.Namespace, TextIO], int]:
    if args.command == "demo":
        return _demo_command
    if args.command == "emulator":  # after global options (`qrt --debug emulator`)
        return lambda _args, _out: _serve_emulator([])
    if args.command == "migrate":
        from ._cli_commands import migrate

        return migrate
    from . import _cli_commands

    name = args.command if not getattr(args, "action", None) else f"{args.command}_{args.action}"
    handler: Callable[[argparse.Namespace, TextIO], int] = getattr(_cli_commands, name)
    return handler


def _describe_error(exc: Exception) -> tuple[int, str]:
    """The exit code and the one line printed for ``exc``."""
    from ._exceptions import (
        InvalidInputError,
        JobCancelledError,
        JobFailedError,
        JobTimeoutError,
        QiskitRuntimeError,
    )

    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, JobTimeoutError):
        return EXIT_TIMEOUT, text
    if isinstance(exc, JobFailedError | JobCancelledError):
        return EXIT_JOB_FAILED, text
    if isinstance(exc, InvalidInputError):
        return EXIT_USAGE, text
    if isinstance(exc, QiskitRuntimeError):
        return EXIT_API_ERROR, text
    # Not an answer from the API but a fault here: still one line, the details under --debug.
    return EXIT_API_ERROR, f"unexpected {type(exc).__name__}: {text} (run with --debug for details)"


def _serve_emulator(rest: list[str]) -> int:
    try:
        from qiskit_runtime_emulator.__main__ import main as serve
    except ImportError as exc:
        print(
            f"qrt emulator needs the [local] extra ({exc.name} is missing): "
            "pip install 'qiskit-runtime-rest[local]'",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        return serve(rest, prog="qrt emulator")
    except SystemExit as exit_:  # its --help, or its own usage error
        return int(exit_.code or 0)


# --------------------------------------------------------------------------- qrt demo


def _demo_command(args: argparse.Namespace, out: TextIO) -> int:
    return run_demo(
        local=bool(getattr(args, "local", False)),
        backend=args.backend,
        shots=args.shots,
        out=out,
        account=getattr(args, "account", None),
    )


def _connect(local: bool, out: TextIO, account: str | None = None) -> RuntimeClient:
    import os

    from ._constants import ENV_INSTANCE, ENV_TOKEN
    from ._exceptions import QiskitRuntimeError
    from ._sync._client import RuntimeClient

    if account and not local:
        print(f"Target: IBM Quantum, credentials from the saved account {account!r}", file=out)
        return RuntimeClient.from_saved_account(account)
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
    from ._exceptions import QiskitRuntimeError

    usable = [b for b in backends if b.status in (None, "online") and not b.is_simulator]
    if not usable:
        raise QiskitRuntimeError("no online backend is available to this instance")
    return min(usable, key=lambda b: (b.queue_length is None, b.queue_length or 0, b.name))


class StatusLine:
    """One line per job, rewritten in place as its status changes (plain lines when piped)."""

    def __init__(self, out: TextIO, label: str) -> None:
        self._out = out
        self._label = label
        self._trail: list[str] = []
        self._live = hasattr(out, "isatty") and out.isatty()

    def __call__(self, job: Job[object], status: JobStatus) -> None:
        if self._trail and self._trail[-1] == status.value:
            return  # told twice (the status before waiting, then the waiter's first report)
        self._trail.append(status.value)
        text = f"  {self._label} job {job.id}: {' -> '.join(self._trail)}"
        if self._live:
            print(f"\r{text}", end="", file=self._out, flush=True)
        else:
            print(text, file=self._out, flush=True)

    def done(self) -> None:
        if self._live:
            print(file=self._out)


def run_demo(
    *, local: bool, backend: str | None, shots: int, out: TextIO, account: str | None = None
) -> int:
    with _connect(local, out, account) as rt:
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
                line = StatusLine(out, label)
                try:
                    job.wait(DEMO_TIMEOUT, callback=line)
                finally:
                    line.done()

            counts = sampler.result()[1].data.c.get_counts()
            evs = estimator.result()[0].evs
            print(f"[5/6] sampler counts ({shots} shots): {counts}", file=out)
            print(f"      Expectation value: {evs}", file=out)
        print(f"[6/6] session {session.id} closed", file=out)
    return EXIT_OK


def transpile_notebook_circuit(rt: RuntimeClient, backend: str, out: TextIO) -> TranspiledQasm:
    """The notebook's circuit made ISA for ``backend``, as the notebook does it: by IBM's
    transpiler service (the emulator's, offline); locally with qiskit if the service refuses
    (a paid-plan service) or cannot be reached and the [transpile] extra is installed."""
    from ._exceptions import (
        ApiConnectionError,
        AuthenticationError,
        InvalidInputError,
        PermissionDeniedError,
        QiskitRuntimeError,
    )

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


if __name__ == "__main__":  # python -m qiskit_runtime_rest._cli, as the console script
    raise SystemExit(main())
