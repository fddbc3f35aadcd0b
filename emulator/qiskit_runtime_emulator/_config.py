"""The emulator's knobs: identities, job timing, limits and fault injection."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ._backends import BACKEND_STATES
from ._constants import (
    API_VERSION_STATUSES,
    API_VERSIONS,
    DEFAULT_API_KEY,
    DEFAULT_CRN,
    DEFAULT_MAX_QUBITS,
    DEFAULT_QUEUED_SECONDS,
    DEFAULT_RUNNING_SECONDS,
    DEFAULT_TOKEN_TTL_SECONDS,
    SESSION_MAX_TTL_SECONDS,
    ApiVersionEntry,
)

__all__ = ["EmulatorConfig", "Faults", "JobDelays", "JobFailure"]


@dataclass(frozen=True)
class JobDelays:
    """How long a job stays Queued, and at least how long it stays Running (seconds)."""

    queued: float = DEFAULT_QUEUED_SECONDS
    running: float = DEFAULT_RUNNING_SECONDS

    def __post_init__(self) -> None:
        if self.queued < 0 or self.running < 0:
            raise ValueError("job delays must be >= 0")


@dataclass(frozen=True)
class Faults:
    """Failures injected into the REST API (not into IAM), each drawn per request.

    ``error_rate`` answers with ``error_status`` (5xx); ``rate_limit_rate`` answers 429 with a
    ``Retry-After`` of ``retry_after`` seconds; ``drop_rate`` closes the connection mid-response;
    ``latency`` delays every response; ``revoke_tokens_after`` makes access tokens invalid that
    many seconds after issue, long before their ``exp``. ``lost_response_rate`` lets a
    non-GET request take effect (a job *is* created) and then answers ``error_status`` anyway:
    the ambiguous failure a client must not resolve by blindly retrying a job submission.
    """

    error_rate: float = 0.0
    error_status: int = 503
    rate_limit_rate: float = 0.0
    retry_after: int = 1
    latency: float = 0.0
    drop_rate: float = 0.0
    lost_response_rate: float = 0.0
    revoke_tokens_after: float | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("error_rate", "rate_limit_rate", "drop_rate", "lost_response_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if not 500 <= self.error_status <= 599:
            raise ValueError("error_status must be a 5xx status")
        if self.latency < 0 or self.retry_after < 0:
            raise ValueError("latency and retry_after must be >= 0")


@dataclass(frozen=True)
class JobFailure:
    """A scenario: matching jobs run, then end Failed with ``reason_code`` (and ``reason``).

    A job matches when it has every criterion given (``backend``, ``program_id``, ``tag``).
    ``count`` jobs fail, then the rule is spent; ``None`` fails every matching job. Reason code
    1305 ends the job as IBM does when it ran too long: ``Cancelled - Ran too long``.
    """

    reason_code: int = 1010
    reason: str | None = None
    solution: str | None = None
    count: int | None = 1
    backend: str | None = None
    program_id: str | None = None
    tag: str | None = None

    def __post_init__(self) -> None:
        if not 1000 <= self.reason_code <= 9999:
            raise ValueError("reason_code must be between 1000 and 9999")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be >= 1 (or None for every matching job)")


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything that makes one emulator instance differ from another."""

    # API keys are secrets even here: a repr ends up in logs and tracebacks.
    api_keys: tuple[str, ...] = field(default=(DEFAULT_API_KEY,), repr=False)
    crn: str = DEFAULT_CRN
    token_ttl: int = DEFAULT_TOKEN_TTL_SECONDS
    job_delays: JobDelays = field(default_factory=JobDelays)
    rate_limit: bool = False
    faults: Faults = field(default_factory=Faults)
    readout_noise: bool = False
    # Like the real service: jobs whose circuits are not ISA circuits fail (reason code 1517).
    strict_isa: bool = True
    seed: int | None = None
    max_qubits: int = DEFAULT_MAX_QUBITS
    state_file: str | None = None
    # What /v1/versions lists, oldest first: (version, sunset date or None, "live"|"deprecated").
    # A test can announce a version newer than a client's pin, or deprecate the pin.
    api_versions: tuple[ApiVersionEntry, ...] = API_VERSIONS
    # Scenarios (docs/emulator-notes.md): jobs that fail, the plan's session TTL cap, devices
    # that are paused or in maintenance, usage already consumed this period, a pending-jobs cap.
    job_failures: tuple[JobFailure, ...] = ()
    session_max_ttl: int = SESSION_MAX_TTL_SECONDS
    backend_states: dict[str, str] = field(default_factory=dict)
    usage_consumed_seconds: float = 0.0
    max_pending_jobs: int | None = None

    def __post_init__(self) -> None:
        if not self.api_keys or any(not key for key in self.api_keys):
            raise ValueError("at least one non-empty API key is required")
        if self.crn.count(":") < 9 or not self.crn.startswith("crn:"):
            raise ValueError("crn must look like crn:v1:bluemix:public:quantum-computing:...")
        if self.token_ttl < 1:
            raise ValueError("token_ttl must be >= 1 second")
        _check_api_versions(self.api_versions)
        if self.session_max_ttl < 1:
            raise ValueError("session_max_ttl must be >= 1 second")
        if self.usage_consumed_seconds < 0:
            raise ValueError("usage_consumed_seconds must be >= 0")
        if self.max_pending_jobs is not None and self.max_pending_jobs < 0:
            raise ValueError("max_pending_jobs must be >= 0")
        for name, state in self.backend_states.items():
            if state not in BACKEND_STATES:
                raise ValueError(
                    f"backend state {state!r} for {name} is not one of {', '.join(BACKEND_STATES)}"
                )

    @property
    def account_id(self) -> str:
        """The account id of the CRN, without its ``a/`` prefix."""
        scope = self.crn.split(":")[6]
        return scope[2:] if scope.startswith("a/") else scope

    @property
    def region(self) -> str:
        return self.crn.split(":")[5]


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _check_api_versions(entries: tuple[ApiVersionEntry, ...]) -> None:
    if not entries:
        raise ValueError("api_versions must list at least one version")
    for version, sunset, status in entries:
        if not _DATE.match(version) or (sunset is not None and not _DATE.match(sunset)):
            raise ValueError(f"api_versions: {version!r} / {sunset!r} are not YYYY-MM-DD dates")
        if status not in API_VERSION_STATUSES:
            raise ValueError(f"api_versions: status {status!r} is not live or deprecated")
    dates = [version for version, _, _ in entries]
    if dates != sorted(set(dates)):
        raise ValueError("api_versions must be distinct and oldest first")
