"""What the API answers, as Python values: the result types and their lenient parsers.

I/O-free and shared by both flavours. Small frozen dataclasses for the shapes users read field by
field; plain dicts for large free-form documents (backend configuration and properties, account
plans, analytics). Every parser is lenient: the API adds fields, and shapes differ by
``IBM-API-Version``; unknown fields stay in ``body``, the JSON object as the server sent it.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

__all__ = [
    "ApiVersion",
    "ApiVersionWarning",
    "Backend",
    "BackendStatus",
    "InstanceConfiguration",
    "InstanceInfo",
    "InstanceUsage",
    "SessionDetails",
    "Workload",
]

logger = logging.getLogger("qiskit_runtime_rest")

Json = dict[str, Any]
TimeArg = datetime | date | str | None


def warn_raw_renamed(owner: object) -> None:
    warnings.warn(
        f"{type(owner).__name__}.raw is renamed .body (rt.raw is the generated client); "
        ".raw will be removed in a future release",
        DeprecationWarning,
        stacklevel=3,
    )


class _Body:
    """``raw``, the old name of ``body``, kept working with a DeprecationWarning."""

    body: Json

    @property
    def raw(self) -> Json:
        warn_raw_renamed(self)
        return self.body


def parse_time(value: Any) -> datetime | None:
    """Lenient ISO 8601 parsing; None for anything unparsable (``body`` keeps the value as sent)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def as_number(value: Any) -> float | None:
    # The API sends some second counts as strings (inventory §13.10).
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def as_int(value: Any) -> int | None:
    number = as_number(value)
    return int(number) if number is not None and number.is_integer() else None


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_dict(value: Any) -> Json | None:
    return value if isinstance(value, dict) else None


# --------------------------------------------------------------------------- versions


class ApiVersionWarning(UserWarning):
    """The pinned ``IBM-API-Version`` is deprecated or past its sunset date, or the service lists
    a newer version than the pin."""


@dataclass(frozen=True)
class ApiVersion:
    """One entry of ``GET /v1/versions``."""

    version: str
    status: str | None = None  # "live" or "deprecated"; None when the server does not say
    sunset_date: date | None = None

    @property
    def is_deprecated(self) -> bool:
        return self.status == "deprecated"


def parse_versions(data: Any) -> list[ApiVersion]:
    entries = data.get("versions") if isinstance(data, dict) else data
    versions: list[ApiVersion] = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, str):  # spec 0.25.0: a bare list of dates
            versions.append(ApiVersion(version=entry))
        elif isinstance(entry, dict) and isinstance(entry.get("version"), str):
            sunset = entry.get("sunset_date")
            try:
                sunset_date = date.fromisoformat(sunset) if isinstance(sunset, str) else None
            except ValueError:
                sunset_date = None
            versions.append(
                ApiVersion(
                    version=entry["version"],
                    status=as_str(entry.get("status")),
                    sunset_date=sunset_date,
                )
            )
    return versions


_VERSION_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Each distinct piece of advice is given once per process: a long-lived service that calls
# rt.versions() on every start of a worker should not fill its log with the same line.
_ADVISED: set[str] = set()


def version_advice(
    versions: Sequence[ApiVersion], pinned: str, today: date | None = None
) -> str | None:
    """What a maintainer should know about ``pinned`` given the service's list (``today`` is
    UTC's date unless given): it passed its sunset date, it is deprecated (with the sunset date),
    or a newer version exists. None when the pin is the newest the service lists."""
    entry = next((v for v in versions if v.version == pinned), None)
    newer = sorted(
        v.version
        for v in versions
        if _VERSION_DATE.match(v.version) and v.version > pinned and not v.is_deprecated
    )
    newest = f" The newest version the service lists is {newer[-1]}." if newer else ""
    today = today or datetime.now(UTC).date()
    if entry is not None and entry.sunset_date is not None and entry.sunset_date <= today:
        return (
            f"IBM-API-Version {pinned} passed its sunset date {entry.sunset_date}; the server may "
            f"reject it at any time.{newest} Pass api_version= with a live version from "
            "rt.versions()."
        )
    if entry is not None and entry.is_deprecated:
        sunset = f" (sunset {entry.sunset_date})" if entry.sunset_date else ""
        return (
            f"IBM-API-Version {pinned} is deprecated{sunset}.{newest} Pass api_version= with a "
            "live version from rt.versions()."
        )
    if newer:
        sunset = (
            f" (sunset {entry.sunset_date})"
            if entry is not None and entry.sunset_date is not None
            else ""
        )
        return (
            f"The service lists IBM-API-Version {newer[-1]}, newer than the pinned "
            f"{pinned}{sunset}. Response shapes may differ: read IBM's changelog "
            "(https://quantum.cloud.ibm.com/docs/api/qiskit-runtime-rest/changelog), then pass "
            "api_version= to try it, or upgrade qiskit-runtime-rest."
        )
    return None


def check_pinned_version(
    versions: Sequence[ApiVersion], pinned: str, today: date | None = None
) -> str | None:
    """Warn (log and ``warnings``) once per process with the ``version_advice`` for ``pinned``,
    and return that advice (also when it was given before)."""
    message = version_advice(versions, pinned, today)
    if message is None or message in _ADVISED:
        return message
    _ADVISED.add(message)
    logger.warning(message)
    warnings.warn(message, ApiVersionWarning, stacklevel=3)
    return message


@dataclass(frozen=True)
class Backend(_Body):
    """One device from ``GET /v1/backends``."""

    name: str
    status: str | None = None  # online, paused, offline
    status_reason: str | None = None
    is_simulator: bool | None = None
    num_qubits: int | None = None
    queue_length: int | None = None
    processor_type: Json | None = None
    clops: Json | None = None
    performance_metrics: Json | None = None
    wait_time_seconds: Json | None = None  # only with include_wait_time=True
    body: Json = field(default_factory=dict, repr=False, compare=False)


def parse_backends(data: Any) -> list[Backend]:
    devices = data.get("devices") if isinstance(data, dict) else data
    backends: list[Backend] = []
    for device in devices if isinstance(devices, list) else []:
        if isinstance(device, str):  # the pre-2025 shape: a list of names
            backends.append(Backend(name=device, body={"name": device}))
            continue
        if not isinstance(device, dict) or not isinstance(device.get("name"), str):
            continue
        status = device.get("status")
        if isinstance(status, dict):
            status_name, reason = as_str(status.get("name")), as_str(status.get("reason"))
        else:
            status_name, reason = as_str(status), None
        simulator = device.get("is_simulator")
        backends.append(
            Backend(
                name=device["name"],
                status=status_name,
                status_reason=reason,
                is_simulator=simulator if isinstance(simulator, bool) else None,
                num_qubits=as_int(device.get("qubits", device.get("n_qubits"))),
                queue_length=as_int(device.get("queue_length")),
                processor_type=as_dict(device.get("processor_type")),
                clops=as_dict(device.get("clops")),
                performance_metrics=as_dict(device.get("performance_metrics")),
                wait_time_seconds=as_dict(device.get("wait_time_seconds")),
                body=device,
            )
        )
    return backends


@dataclass(frozen=True)
class BackendStatus(_Body):
    """``GET /v1/backends/{name}/status``."""

    name: str
    state: bool | None = None  # True when the backend accepts jobs
    status: str | None = None
    message: str | None = None
    length_queue: int | None = None
    backend_version: str | None = None
    body: Json = field(default_factory=dict, repr=False, compare=False)


def parse_backend_status(name: str, data: Json) -> BackendStatus:
    state = data.get("state")
    return BackendStatus(
        name=as_str(data.get("backend_name")) or name,
        state=state if isinstance(state, bool) else None,
        status=as_str(data.get("status")),
        message=as_str(data.get("message")),
        length_queue=as_int(data.get("length_queue")),
        backend_version=as_str(data.get("backend_version")),
        body=data,
    )


# --------------------------------------------------------------------------- instance


@dataclass(frozen=True)
class InstanceInfo(_Body):
    """``GET /v1/instance``: the instance the CRN selects."""

    backends: tuple[str, ...] = ()
    plan_id: str | None = None
    instance_limit_seconds: float | None = None
    usage_allocation_seconds: float | None = None
    body: Json = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class InstanceConfiguration(_Body):
    """``GET /v1/instances/configuration``."""

    instance_limit: float | None = None  # seconds; None means no limit
    body: Json = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class InstanceUsage(_Body):
    """``GET /v1/instances/usage``: consumption in the current usage period."""

    usage_consumed_seconds: float | None = None
    usage_limit_seconds: float | None = None
    usage_allocation_seconds: float | None = None
    usage_limit_reached: bool | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    instance_id: str | None = None
    plan_id: str | None = None
    body: Json = field(default_factory=dict, repr=False, compare=False)


def parse_instance(data: Json) -> InstanceInfo:
    backends = data.get("backends")
    limit = data.get("instance_limit_seconds", data.get("instance_limit"))
    return InstanceInfo(
        backends=tuple(b for b in backends if isinstance(b, str))
        if isinstance(backends, list)
        else (),
        plan_id=as_str(data.get("plan_id")),
        instance_limit_seconds=as_number(limit),
        usage_allocation_seconds=as_number(data.get("usage_allocation_seconds")),
        body=data,
    )


def parse_usage(data: Json) -> InstanceUsage:
    period = as_dict(data.get("usage_period")) or {}
    reached = data.get("usage_limit_reached")
    return InstanceUsage(
        usage_consumed_seconds=as_number(data.get("usage_consumed_seconds")),
        usage_limit_seconds=as_number(data.get("usage_limit_seconds")),
        usage_allocation_seconds=as_number(data.get("usage_allocation_seconds")),
        usage_limit_reached=reached if isinstance(reached, bool) else None,
        period_start=parse_time(period.get("start_time")),
        period_end=parse_time(period.get("end_time")),
        instance_id=as_str(data.get("instance_id")),
        plan_id=as_str(data.get("plan_id")),
        body=data,
    )


# --------------------------------------------------------------------------- workloads


@dataclass(frozen=True)
class Workload(_Body):
    """One job or session from ``GET /v1/workloads``. Status uses the workloads vocabulary:
    pending, in_progress, completed, canceled, failed."""

    id: str
    mode: str | None = None
    status: str | None = None
    status_reason: str | None = None
    backend: str | None = None
    created: datetime | None = None
    ended: datetime | None = None
    tags: tuple[str, ...] = ()
    usage_seconds: float | None = None
    user_id: str | None = None
    instance: str | None = None
    accepting_jobs: bool | None = None
    body: Json = field(default_factory=dict, repr=False, compare=False)


def parse_workload(data: Json) -> Workload:
    tags = data.get("tags")
    accepting = data.get("accepting_jobs")
    usage = data.get("usage_seconds")
    if isinstance(usage, dict):  # 0.45.3 nests it as UsageResponse
        usage = usage.get("qpu_charge_time_seconds")
    return Workload(
        id=str(data.get("id", "")),
        mode=as_str(data.get("mode")),
        status=as_str(data.get("status")),
        status_reason=as_str(data.get("status_reason")),
        backend=as_str(data.get("backend")),
        created=parse_time(data.get("created")),
        ended=parse_time(data.get("ended")),
        tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
        usage_seconds=as_number(usage),
        user_id=as_str(data.get("user_id")),
        instance=as_str(data.get("instance")),
        accepting_jobs=accepting if isinstance(accepting, bool) else None,
        body=data,
    )


def parse_tag_list(data: Any) -> list[str]:
    tags = data.get("tags") if isinstance(data, dict) else None
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


@dataclass(frozen=True)
class SessionDetails(_Body):
    """``GET /v1/sessions/{id}``. ``state`` is ``open``, ``active``, ``inactive`` or ``closed``;
    TTLs are in seconds; timestamps are timezone-aware datetimes (``None`` when not reached)."""

    id: str
    mode: str | None
    state: str | None
    state_reason: str | None
    accepting_jobs: bool | None
    backend_name: str | None
    max_ttl: int | None
    active_ttl: int | None
    interactive_ttl: int | None
    started_at: datetime | None
    activated_at: datetime | None
    closed_at: datetime | None
    last_job_started: datetime | None
    last_job_completed: datetime | None
    elapsed_time: float | None
    timestamps: list[tuple[str, datetime | None]] = field(default_factory=list)
    body: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> SessionDetails:
        accepting = body.get("accepting_jobs")
        return cls(
            id=str(body.get("id")),
            mode=body.get("mode"),
            state=body.get("state"),
            state_reason=body.get("state_reason") or None,
            accepting_jobs=accepting if isinstance(accepting, bool) else None,
            backend_name=body.get("backend_name"),
            max_ttl=as_int(body.get("max_ttl")),
            active_ttl=as_int(body.get("active_ttl")),
            interactive_ttl=as_int(body.get("interactive_ttl")),
            started_at=parse_time(body.get("started_at")),
            activated_at=parse_time(body.get("activated_at")),
            closed_at=parse_time(body.get("closed_at")),
            last_job_started=parse_time(body.get("last_job_started")),
            last_job_completed=parse_time(body.get("last_job_completed")),
            elapsed_time=as_number(body.get("elapsed_time")),
            timestamps=[
                (str(item.get("status")), parse_time(item.get("timestamp")))
                for item in body.get("timestamps") or []
                if isinstance(item, Mapping)
            ],
            body=dict(body),
        )


def parse_instance_configuration(data: Json) -> InstanceConfiguration:
    return InstanceConfiguration(instance_limit=as_number(data.get("instance_limit")), body=data)
