"""``python -m qiskit_runtime_emulator``: serve the emulator to any client, in any language.

It prints the base URL, IAM URL, API key and CRN it accepts, then serves until interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import TextIO

from ._backends import BACKEND_STATES
from ._config import EmulatorConfig, Faults, JobDelays, JobFailure
from ._constants import (
    DEFAULT_API_KEY,
    DEFAULT_CRN,
    DEFAULT_HOST,
    DEFAULT_MAX_QUBITS,
    DEFAULT_PORT,
    DEFAULT_QUEUED_SECONDS,
    DEFAULT_RUNNING_SECONDS,
    DEFAULT_TOKEN_TTL_SECONDS,
    SESSION_MAX_TTL_SECONDS,
)
from ._server import Emulator

__all__ = ["build_parser", "config_from_args", "main"]


def build_parser(prog: str = "python -m qiskit_runtime_emulator") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="A local server speaking the Qiskit Runtime REST API (and IBM Cloud IAM).",
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help="address to bind (default %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="port; 0 picks a free one (default %(default)s)",
    )
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="an API key IAM accepts (repeatable; default: a fixed emulator key)",
    )
    parser.add_argument("--crn", default=DEFAULT_CRN, help="the instance CRN (Service-CRN) served")
    parser.add_argument("--state", metavar="FILE", help="SQLite file keeping jobs and sessions")
    parser.add_argument(
        "--token-ttl",
        type=int,
        default=DEFAULT_TOKEN_TTL_SECONDS,
        metavar="SECONDS",
        help="access token lifetime (default %(default)s)",
    )
    parser.add_argument(
        "--queued-delay", type=float, default=DEFAULT_QUEUED_SECONDS, metavar="SECONDS"
    )
    parser.add_argument(
        "--running-delay", type=float, default=DEFAULT_RUNNING_SECONDS, metavar="SECONDS"
    )
    parser.add_argument(
        "--rate-limit", action="store_true", help="limit job creation to 5 a minute per user"
    )
    parser.add_argument(
        "--readout-noise",
        action="store_true",
        help="flip measured bits per the device's properties",
    )
    parser.add_argument(
        "--strict-isa",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="fail jobs whose circuits are not ISA circuits, as IBM does (the default); "
        "--no-strict-isa runs them as sent",
    )
    parser.add_argument("--seed", type=int, help="seed for sampling and estimator noise")
    parser.add_argument("--max-qubits", type=int, default=DEFAULT_MAX_QUBITS)
    no_faults = Faults()
    faults = parser.add_argument_group("fault injection (REST API only)")
    faults.add_argument("--fault-5xx-rate", type=float, default=0.0, metavar="P")
    faults.add_argument(
        "--fault-5xx-status", type=int, default=no_faults.error_status, metavar="STATUS"
    )
    faults.add_argument("--fault-429-rate", type=float, default=0.0, metavar="P")
    faults.add_argument("--retry-after", type=int, default=no_faults.retry_after, metavar="SECONDS")
    faults.add_argument("--latency", type=float, default=0.0, metavar="SECONDS")
    faults.add_argument("--drop-rate", type=float, default=0.0, metavar="P")
    faults.add_argument(
        "--lost-response-rate",
        type=float,
        default=0.0,
        metavar="P",
        help="non-GET requests take effect, then answer 5xx anyway",
    )
    faults.add_argument("--revoke-tokens-after", type=float, metavar="SECONDS")
    faults.add_argument("--fault-seed", type=int)
    scenarios = parser.add_argument_group(
        "scenarios (also at runtime under /emulator, see docs/emulator-notes.md)"
    )
    scenarios.add_argument(
        "--fail-jobs",
        action="append",
        type=_job_failure,
        default=[],
        metavar="CODE[:COUNT][@BACKEND]",
        help="jobs end Failed with this reason code (COUNT jobs, or * for all; default 1); "
        "1305 ends them 'Cancelled - Ran too long' (repeatable)",
    )
    scenarios.add_argument(
        "--session-max-ttl",
        type=int,
        default=SESSION_MAX_TTL_SECONDS,
        metavar="SECONDS",
        help="the plan's session TTL cap: sessions close (and drop queued jobs) after it",
    )
    scenarios.add_argument(
        "--backend-state",
        action="append",
        type=_backend_state,
        default=[],
        metavar="NAME=STATE",
        help=f"start a device {'/'.join(BACKEND_STATES)}; its jobs wait while not online",
    )
    scenarios.add_argument(
        "--usage-consumed",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="usage already consumed this period",
    )
    scenarios.add_argument(
        "--usage-limit-reached",
        action="store_true",
        help="start with the usage limit consumed: job creation answers 409",
    )
    scenarios.add_argument(
        "--max-pending-jobs",
        type=int,
        metavar="N",
        help="job creation answers 429 while N jobs are Queued or Running",
    )
    return parser


def _job_failure(text: str) -> JobFailure:
    spec, _, backend = text.partition("@")
    code, _, count = spec.partition(":")
    try:
        return JobFailure(
            reason_code=int(code),
            count=None if count == "*" else int(count or 1),
            backend=backend or None,
        )
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def _backend_state(text: str) -> tuple[str, str]:
    name, _, state = text.partition("=")
    if not name or state not in BACKEND_STATES:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected NAME=STATE with STATE one of {', '.join(BACKEND_STATES)}"
        )
    return name, state


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(
        api_keys=tuple(args.api_keys or (DEFAULT_API_KEY,)),
        crn=args.crn,
        token_ttl=args.token_ttl,
        job_delays=JobDelays(queued=args.queued_delay, running=args.running_delay),
        rate_limit=args.rate_limit,
        faults=Faults(
            error_rate=args.fault_5xx_rate,
            error_status=args.fault_5xx_status,
            rate_limit_rate=args.fault_429_rate,
            retry_after=args.retry_after,
            latency=args.latency,
            drop_rate=args.drop_rate,
            lost_response_rate=args.lost_response_rate,
            revoke_tokens_after=args.revoke_tokens_after,
            seed=args.fault_seed,
        ),
        readout_noise=args.readout_noise,
        strict_isa=args.strict_isa,
        seed=args.seed,
        max_qubits=args.max_qubits,
        state_file=args.state,
        job_failures=tuple(args.fail_jobs),
        session_max_ttl=args.session_max_ttl,
        backend_states=dict(args.backend_state),
        usage_consumed_seconds=args.usage_consumed,
        max_pending_jobs=args.max_pending_jobs,
    )


def print_banner(emulator: Emulator, out: TextIO) -> None:
    print("Qiskit Runtime emulator running (Ctrl+C to stop)", file=out)
    print(f"  base URL : {emulator.base_url}", file=out)
    print(f"  IAM URL  : {emulator.iam_url}", file=out)
    # The emulator's own local key: printing it is the point (clients need it to connect).
    print(f"  API key  : {emulator.api_key}", file=out)
    print(f"  CRN      : {emulator.crn}", file=out)
    print(f"  backends : {', '.join(emulator.service.devices)}", file=out)
    print(f"  controls : {emulator.url}/emulator (journal, scenarios, faults, reset)", file=out)
    print(
        "  qiskit-ibm-runtime: IAM_URL="
        f"{emulator.iam_url} QISKIT_FUNCTIONS_EXPERIMENTAL=1, "
        f'QiskitRuntimeService(channel="ibm_cloud", url="{emulator.experimental_url}", ...)',
        file=out,
    )
    out.flush()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    parser = build_parser(prog) if prog else build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    emulator = Emulator(host=args.host, port=args.port, config=config, log_level="info")
    try:
        emulator.start()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:  # e.g. --backend-state for a device the emulator does not have
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.usage_limit_reached:
        emulator.reach_usage_limit()
    print_banner(emulator, sys.stdout)
    # SIGTERM (docker stop, kill) shuts down as cleanly as Ctrl+C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while emulator.running:
            emulator.wait(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
