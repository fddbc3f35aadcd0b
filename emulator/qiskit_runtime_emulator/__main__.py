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

from ._config import EmulatorConfig, Faults, JobDelays
from ._constants import (
    DEFAULT_API_KEY,
    DEFAULT_CRN,
    DEFAULT_HOST,
    DEFAULT_MAX_QUBITS,
    DEFAULT_PORT,
    DEFAULT_QUEUED_SECONDS,
    DEFAULT_RUNNING_SECONDS,
    DEFAULT_TOKEN_TTL_SECONDS,
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
        "--strict-isa", action="store_true", help="fail jobs whose circuits are not ISA circuits"
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
    return parser


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
    )


def print_banner(emulator: Emulator, out: TextIO) -> None:
    print("Qiskit Runtime emulator running (Ctrl+C to stop)", file=out)
    print(f"  base URL : {emulator.base_url}", file=out)
    print(f"  IAM URL  : {emulator.iam_url}", file=out)
    # The emulator's own local key: printing it is the point (clients need it to connect).
    print(f"  API key  : {emulator.api_key}", file=out)
    print(f"  CRN      : {emulator.crn}", file=out)
    print(f"  backends : {', '.join(emulator.service.devices)}", file=out)
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
