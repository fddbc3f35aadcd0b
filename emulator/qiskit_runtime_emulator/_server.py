"""``Emulator``: the app served by uvicorn on 127.0.0.1 in a background thread.

    with Emulator(port=0) as emu:
        client = RuntimeClient(api_key=emu.api_key, crn=emu.crn,
                               base_url=emu.base_url, iam_url=emu.iam_url)

The socket is bound before the server thread starts, so port 0 resolves immediately and a busy
port fails in the caller, not silently in the thread.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from ._app import create_app
from ._config import EmulatorConfig, Faults, JobDelays, JobFailure
from ._constants import DEFAULT_HOST
from ._journal import Journal
from ._service import EmulatorService

__all__ = ["Emulator"]

_START_TIMEOUT_SECONDS = 15.0


class Emulator:
    """A running emulator; use as a context manager or call ``start()`` / ``stop()``."""

    def __init__(
        self,
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        api_keys: Sequence[str] | None = None,
        crn: str | None = None,
        job_delays: JobDelays | float | None = None,
        token_ttl: int | None = None,
        rate_limit: bool = False,
        faults: Faults | None = None,
        readout_noise: bool = False,
        strict_isa: bool | None = None,
        seed: int | None = None,
        max_qubits: int | None = None,
        state_file: str | None = None,
        api_versions: Sequence[tuple[str, str | None, str]] | None = None,
        job_failures: Sequence[JobFailure] | None = None,
        session_max_ttl: int | None = None,
        backend_states: dict[str, str] | None = None,
        usage_consumed_seconds: float | None = None,
        max_pending_jobs: int | None = None,
        config: EmulatorConfig | None = None,
        log_level: str = "warning",
    ) -> None:
        base = config or EmulatorConfig()
        overrides: dict[str, Any] = {
            "rate_limit": rate_limit or base.rate_limit,
            "readout_noise": readout_noise or base.readout_noise,
        }
        if strict_isa is not None:
            overrides["strict_isa"] = strict_isa
        if api_keys is not None:
            overrides["api_keys"] = tuple(api_keys)
        if crn is not None:
            overrides["crn"] = crn
        if job_delays is not None:
            overrides["job_delays"] = _as_delays(job_delays)
        if token_ttl is not None:
            overrides["token_ttl"] = token_ttl
        if faults is not None:
            overrides["faults"] = faults
        if seed is not None:
            overrides["seed"] = seed
        if max_qubits is not None:
            overrides["max_qubits"] = max_qubits
        if state_file is not None:
            overrides["state_file"] = state_file
        if api_versions is not None:
            overrides["api_versions"] = tuple(api_versions)
        if job_failures is not None:
            overrides["job_failures"] = tuple(job_failures)
        if session_max_ttl is not None:
            overrides["session_max_ttl"] = session_max_ttl
        if backend_states is not None:
            overrides["backend_states"] = dict(backend_states)
        if usage_consumed_seconds is not None:
            overrides["usage_consumed_seconds"] = usage_consumed_seconds
        if max_pending_jobs is not None:
            overrides["max_pending_jobs"] = max_pending_jobs
        self._config = dataclasses.replace(base, **overrides)
        self.host = host
        self._requested_port = port
        self._log_level = log_level
        self._socket: socket.socket | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._service: EmulatorService | None = None

    # ------------------------------------------------------------------------- lifecycle

    def start(self) -> Emulator:
        if self._thread is not None:
            return self
        import uvicorn

        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on sockets that say TCP,
        # and without it every response waits out a 40 ms delayed ACK.
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self._requested_port))
        except OSError:
            sock.close()
            raise
        try:
            self._service = EmulatorService(self.config)
        except BaseException:
            sock.close()
            raise
        self._socket = sock
        app = create_app(service=self._service)
        server_config = uvicorn.Config(
            app,
            log_level=self._log_level,
            # A library must not reconfigure the process's logging.
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(server_config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [sock]},
            name="qiskit-runtime-emulator",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the emulator's HTTP server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        if self._service is not None:
            self._service.close()
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._service = self._socket = None

    @property
    def config(self) -> EmulatorConfig:
        """The configuration in force (runtime changes such as ``set_faults`` included)."""
        return self._service.config if self._service is not None else self._config

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the server stops (or ``timeout`` passes)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("the emulator is not running")
        port: int = self._socket.getsockname()[1]
        return port

    @property
    def url(self) -> str:
        """The server root, e.g. ``http://127.0.0.1:8000``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The API base URL, ending in ``/api`` like ``https://quantum.cloud.ibm.com/api``."""
        return f"{self.url}/api"

    @property
    def iam_url(self) -> str:
        """The IAM base URL; tokens come from ``{iam_url}/identity/token``."""
        return self.url

    @property
    def transpiler_url(self) -> str:
        """The emulated transpiler service (IBM's is ``https://cloud-transpiler.quantum.ibm.com``):
        ``POST {transpiler_url}/transpile``, ``GET {transpiler_url}/transpile/{task_id}``."""
        return f"{self.url}/transpiler"

    @property
    def experimental_url(self) -> str:
        """The URL to give qiskit-ibm-runtime (it keeps URLs containing "experimental" as is)."""
        return f"{self.url}/experimental"

    @property
    def api_key(self) -> str:
        return self.config.api_keys[0]

    @property
    def crn(self) -> str:
        return self.config.crn

    @property
    def service(self) -> EmulatorService:
        if self._service is None:
            raise RuntimeError("the emulator is not running")
        return self._service

    # ----------------------------------------------------------------------- test knobs

    def set_faults(self, faults: Faults | None) -> None:
        """Replace the injected faults (None turns them off) while running."""
        self.service.set_faults(faults)

    def set_job_delays(self, job_delays: JobDelays | float) -> None:
        self.service.set_job_delays(_as_delays(job_delays))

    def revoke_tokens(self) -> None:
        """Invalidate every access token issued so far, as an early IAM revocation would."""
        self.service.issuer.revoke_all()

    @property
    def journal(self) -> Journal:
        """Every request served (IAM and API), oldest first; see ``Journal.entries``."""
        return self.service.journal

    def reset(self, config: EmulatorConfig | None = None) -> None:
        """Forget jobs, sessions, settings and the journal; apply ``config`` if given.

        ``config`` may change anything but ``state_file`` (the server keeps its socket and its
        store). Tokens already issued stay valid when the API keys stay the same.
        """
        if config is not None:
            if config.state_file != self.config.state_file:
                raise ValueError("reset() cannot change state_file; start another Emulator")
            self._config = config
        self.service.reset(config)

    # ------------------------------------------------------------------------- scenarios

    def fail_jobs(
        self,
        reason_code: int = 1010,
        reason: str | None = None,
        *,
        count: int | None = 1,
        backend: str | None = None,
        program_id: str | None = None,
        tag: str | None = None,
        solution: str | None = None,
    ) -> None:
        """The next ``count`` matching jobs (every one if None) end Failed with ``reason_code``.

        1305 ends them as ``Cancelled - Ran too long``, as IBM does.
        """
        failure = JobFailure(
            reason_code=reason_code,
            reason=reason,
            solution=solution,
            count=count,
            backend=backend,
            program_id=program_id,
            tag=tag,
        )
        self.service.add_job_failure(failure)

    def set_backend_state(self, name: str, state: str, reason: str | None = None) -> None:
        """``online``, ``paused``, ``maintenance`` or ``offline``; queued jobs wait while the
        device is not online and run when it is back."""
        self.service.set_backend_state(name, state, reason)

    def expire_sessions(self, session_id: str | None = None) -> list[str]:
        """End sessions now as if their max_ttl had passed; their queued jobs are cancelled."""
        return self.service.expire_sessions(session_id)

    def set_usage_consumed(self, seconds: float) -> None:
        """This period's usage so far, in seconds (``GET /v1/instances/usage`` reports it)."""
        self.service.set_usage_consumed(seconds)

    def reach_usage_limit(self) -> None:
        """Consume the instance's whole usage limit: job creation answers 409 (code 1296)."""
        self.service.reach_usage_limit()

    def set_max_pending_jobs(self, limit: int | None) -> None:
        """Cap pending (Queued or Running) jobs: job creation beyond it answers 429 (code 1299)."""
        self.service.update_config(max_pending_jobs=limit)

    def __repr__(self) -> str:
        where = self.url if self._socket is not None else "stopped"
        return f"Emulator({where}, crn={self.crn!r})"


def _as_delays(value: JobDelays | float) -> JobDelays:
    if isinstance(value, JobDelays):
        return value
    return JobDelays(queued=float(value), running=float(value))
