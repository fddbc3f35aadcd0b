"""The simple resources: backends, instance, accounts, workloads, analytics, tags, versions.

Each has a sync class and an async twin over the client's ``_request``; both share the request
building and the parsing below. Results are small attrs classes for the shapes users read field
by field, and plain dicts for large free-form documents (backend configuration and properties,
account plans, analytics). Every parser is lenient: the API adds fields, and shapes differ by
``IBM-API-Version``; unknown fields stay available in ``raw``.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol
from urllib.parse import parse_qs, quote, urlsplit

import attrs
import httpx

from ._exceptions import InvalidInputError

__all__ = [
    "Accounts",
    "Analytics",
    "ApiVersion",
    "ApiVersionWarning",
    "AsyncAccounts",
    "AsyncAnalytics",
    "AsyncBackends",
    "AsyncInstance",
    "AsyncTags",
    "AsyncWorkloads",
    "Backend",
    "BackendStatus",
    "Backends",
    "Instance",
    "InstanceConfiguration",
    "InstanceInfo",
    "InstanceUsage",
    "Tags",
    "Workload",
    "Workloads",
]

logger = logging.getLogger("qiskit_runtime_rest")

Json = dict[str, Any]
Params = dict[str, Any]
TimeArg = datetime | date | str | None


class _SyncRequester(Protocol):
    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = ...,
        json: Any = ...,
        headers: Mapping[str, str] | None = ...,
        timeout: float | httpx.Timeout | None = ...,
    ) -> httpx.Response: ...


class _AsyncRequester(Protocol):
    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = ...,
        json: Any = ...,
        headers: Mapping[str, str] | None = ...,
        timeout: float | httpx.Timeout | None = ...,
    ) -> httpx.Response: ...


# --------------------------------------------------------------------------- shared helpers


def format_time(value: TimeArg) -> str | None:
    """A query-string timestamp. Naive datetimes are taken as UTC; strings pass through."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def parse_time(value: Any) -> datetime | None:
    """Lenient ISO 8601 parsing; None for anything unparsable (the raw value stays in ``raw``)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    # The API sends some second counts as strings (inventory §13.10).
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number.is_integer() else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _dict(value: Any) -> Json | None:
    return value if isinstance(value, dict) else None


def _object(response: httpx.Response) -> Json:
    data = response.json()
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object from {response.request.url.path}")
    return data


def _segment(value: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{what} must be a non-empty string")
    return quote(value.strip(), safe="")


def _strings(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


# --------------------------------------------------------------------------- versions


class ApiVersionWarning(UserWarning):
    """The pinned ``IBM-API-Version`` is deprecated or past its sunset date, or the service lists
    a newer version than the pin."""


@attrs.frozen
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
                    status=_str(entry.get("status")),
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


# --------------------------------------------------------------------------- backends


@attrs.frozen
class Backend:
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
    raw: Json = attrs.field(factory=dict, repr=False, eq=False)


def parse_backends(data: Any) -> list[Backend]:
    devices = data.get("devices") if isinstance(data, dict) else data
    backends: list[Backend] = []
    for device in devices if isinstance(devices, list) else []:
        if isinstance(device, str):  # the pre-2025 shape: a list of names
            backends.append(Backend(name=device, raw={"name": device}))
            continue
        if not isinstance(device, dict) or not isinstance(device.get("name"), str):
            continue
        status = device.get("status")
        if isinstance(status, dict):
            status_name, reason = _str(status.get("name")), _str(status.get("reason"))
        else:
            status_name, reason = _str(status), None
        simulator = device.get("is_simulator")
        backends.append(
            Backend(
                name=device["name"],
                status=status_name,
                status_reason=reason,
                is_simulator=simulator if isinstance(simulator, bool) else None,
                num_qubits=_int(device.get("qubits", device.get("n_qubits"))),
                queue_length=_int(device.get("queue_length")),
                processor_type=_dict(device.get("processor_type")),
                clops=_dict(device.get("clops")),
                performance_metrics=_dict(device.get("performance_metrics")),
                wait_time_seconds=_dict(device.get("wait_time_seconds")),
                raw=device,
            )
        )
    return backends


@attrs.frozen
class BackendStatus:
    """``GET /v1/backends/{name}/status``."""

    name: str
    state: bool | None = None  # True when the backend accepts jobs
    status: str | None = None
    message: str | None = None
    length_queue: int | None = None
    backend_version: str | None = None
    raw: Json = attrs.field(factory=dict, repr=False, eq=False)


def parse_backend_status(name: str, data: Json) -> BackendStatus:
    state = data.get("state")
    return BackendStatus(
        name=_str(data.get("backend_name")) or name,
        state=state if isinstance(state, bool) else None,
        status=_str(data.get("status")),
        message=_str(data.get("message")),
        length_queue=_int(data.get("length_queue")),
        backend_version=_str(data.get("backend_version")),
        raw=data,
    )


def _backend_params(calibration_id: str | None = None, updated_before: TimeArg = None) -> Params:
    return {"calibration_id": calibration_id, "updated_before": updated_before}


class Backends:
    """``rt.backends``: list devices and read their status, configuration and calibration data."""

    def __init__(self, client: _SyncRequester) -> None:
        self._client = client

    def list(self, *, include_wait_time: bool = False) -> list[Backend]:
        params = {"fields": "wait_time_seconds"} if include_wait_time else None
        return parse_backends(self._client._request("GET", "/v1/backends", params=params).json())

    def status(self, name: str) -> BackendStatus:
        path = f"/v1/backends/{_segment(name, 'backend name')}/status"
        return parse_backend_status(name, _object(self._client._request("GET", path)))

    def configuration(self, name: str, *, calibration_id: str | None = None) -> Json:
        path = f"/v1/backends/{_segment(name, 'backend name')}/configuration"
        return _object(self._client._request("GET", path, params=_backend_params(calibration_id)))

    def properties(
        self, name: str, *, calibration_id: str | None = None, updated_before: TimeArg = None
    ) -> Json:
        path = f"/v1/backends/{_segment(name, 'backend name')}/properties"
        params = _backend_params(calibration_id, updated_before)
        return _object(self._client._request("GET", path, params=params))

    def defaults(self, name: str) -> Json:
        path = f"/v1/backends/{_segment(name, 'backend name')}/defaults"
        return _object(self._client._request("GET", path))


class AsyncBackends:
    """Async twin of ``Backends``."""

    def __init__(self, client: _AsyncRequester) -> None:
        self._client = client

    async def list(self, *, include_wait_time: bool = False) -> list[Backend]:
        params = {"fields": "wait_time_seconds"} if include_wait_time else None
        response = await self._client._request("GET", "/v1/backends", params=params)
        return parse_backends(response.json())

    async def status(self, name: str) -> BackendStatus:
        path = f"/v1/backends/{_segment(name, 'backend name')}/status"
        return parse_backend_status(name, _object(await self._client._request("GET", path)))

    async def configuration(self, name: str, *, calibration_id: str | None = None) -> Json:
        path = f"/v1/backends/{_segment(name, 'backend name')}/configuration"
        params = _backend_params(calibration_id)
        return _object(await self._client._request("GET", path, params=params))

    async def properties(
        self, name: str, *, calibration_id: str | None = None, updated_before: TimeArg = None
    ) -> Json:
        path = f"/v1/backends/{_segment(name, 'backend name')}/properties"
        params = _backend_params(calibration_id, updated_before)
        return _object(await self._client._request("GET", path, params=params))

    async def defaults(self, name: str) -> Json:
        path = f"/v1/backends/{_segment(name, 'backend name')}/defaults"
        return _object(await self._client._request("GET", path))


# --------------------------------------------------------------------------- instance


@attrs.frozen
class InstanceInfo:
    """``GET /v1/instance``: the instance the CRN selects."""

    backends: tuple[str, ...] = ()
    plan_id: str | None = None
    instance_limit_seconds: float | None = None
    usage_allocation_seconds: float | None = None
    raw: Json = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class InstanceConfiguration:
    """``GET /v1/instances/configuration``."""

    instance_limit: float | None = None  # seconds; None means no limit
    raw: Json = attrs.field(factory=dict, repr=False, eq=False)


@attrs.frozen
class InstanceUsage:
    """``GET /v1/instances/usage``: consumption in the current usage period."""

    usage_consumed_seconds: float | None = None
    usage_limit_seconds: float | None = None
    usage_allocation_seconds: float | None = None
    usage_limit_reached: bool | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    instance_id: str | None = None
    plan_id: str | None = None
    raw: Json = attrs.field(factory=dict, repr=False, eq=False)


def parse_instance(data: Json) -> InstanceInfo:
    backends = data.get("backends")
    limit = data.get("instance_limit_seconds", data.get("instance_limit"))
    return InstanceInfo(
        backends=tuple(b for b in backends if isinstance(b, str))
        if isinstance(backends, list)
        else (),
        plan_id=_str(data.get("plan_id")),
        instance_limit_seconds=_number(limit),
        usage_allocation_seconds=_number(data.get("usage_allocation_seconds")),
        raw=data,
    )


def parse_usage(data: Json) -> InstanceUsage:
    period = _dict(data.get("usage_period")) or {}
    reached = data.get("usage_limit_reached")
    return InstanceUsage(
        usage_consumed_seconds=_number(data.get("usage_consumed_seconds")),
        usage_limit_seconds=_number(data.get("usage_limit_seconds")),
        usage_allocation_seconds=_number(data.get("usage_allocation_seconds")),
        usage_limit_reached=reached if isinstance(reached, bool) else None,
        period_start=parse_time(period.get("start_time")),
        period_end=parse_time(period.get("end_time")),
        instance_id=_str(data.get("instance_id")),
        plan_id=_str(data.get("plan_id")),
        raw=data,
    )


def _limit_body(seconds: float | None) -> Json:
    if seconds is None:
        return {"instance_limit": None}
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise InvalidInputError("instance limit must be a whole number of seconds, or None")
    if seconds != int(seconds) or seconds < 1:
        raise InvalidInputError(
            f"instance limit must be a whole number of seconds >= 1, got {seconds}"
        )
    return {"instance_limit": int(seconds)}


class Instance:
    """``rt.instance``: the instance selected by the client's CRN."""

    def __init__(self, client: _SyncRequester) -> None:
        self._client = client

    def get(self) -> InstanceInfo:
        return parse_instance(_object(self._client._request("GET", "/v1/instance")))

    def configuration(self) -> InstanceConfiguration:
        data = _object(self._client._request("GET", "/v1/instances/configuration"))
        return InstanceConfiguration(instance_limit=_number(data.get("instance_limit")), raw=data)

    def set_limit(self, seconds: float | None) -> None:
        """Cap the instance's usage at ``seconds`` (whole, >= 1), or remove the cap with None."""
        self._client._request("PUT", "/v1/instances/configuration", json=_limit_body(seconds))

    def usage(self) -> InstanceUsage:
        return parse_usage(_object(self._client._request("GET", "/v1/instances/usage")))


class AsyncInstance:
    """Async twin of ``Instance``."""

    def __init__(self, client: _AsyncRequester) -> None:
        self._client = client

    async def get(self) -> InstanceInfo:
        return parse_instance(_object(await self._client._request("GET", "/v1/instance")))

    async def configuration(self) -> InstanceConfiguration:
        data = _object(await self._client._request("GET", "/v1/instances/configuration"))
        return InstanceConfiguration(instance_limit=_number(data.get("instance_limit")), raw=data)

    async def set_limit(self, seconds: float | None) -> None:
        """Cap the instance's usage at ``seconds`` (whole, >= 1), or remove the cap with None."""
        await self._client._request("PUT", "/v1/instances/configuration", json=_limit_body(seconds))

    async def usage(self) -> InstanceUsage:
        return parse_usage(_object(await self._client._request("GET", "/v1/instances/usage")))


# --------------------------------------------------------------------------- accounts

_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _account_path(account_id: str) -> str:
    # The route wants the bare id; the CRN's scope segment carries an "a/" prefix (pitfall 9).
    bare = account_id.strip().removeprefix("a/") if isinstance(account_id, str) else ""
    if not _ACCOUNT_ID.match(bare):
        raise InvalidInputError(
            f"account id {account_id!r} is not 1-64 characters of [A-Za-z0-9_-]"
        )
    return f"/v1/accounts/{bare}"


class Accounts:
    """``rt.accounts``: account configuration (plans, TTL limits, allocations)."""

    def __init__(self, client: _SyncRequester, default_account_id: str) -> None:
        self._client = client
        self._default = default_account_id

    def get(self, account_id: str | None = None, *, plan_id: str | None = None) -> Json:
        """The account's configuration; defaults to the account in the client's CRN."""
        path = _account_path(account_id or self._default)
        return _object(self._client._request("GET", path, params={"plan_id": plan_id}))


class AsyncAccounts:
    """Async twin of ``Accounts``."""

    def __init__(self, client: _AsyncRequester, default_account_id: str) -> None:
        self._client = client
        self._default = default_account_id

    async def get(self, account_id: str | None = None, *, plan_id: str | None = None) -> Json:
        path = _account_path(account_id or self._default)
        return _object(await self._client._request("GET", path, params={"plan_id": plan_id}))


# --------------------------------------------------------------------------- workloads


@attrs.frozen
class Workload:
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
    raw: Json = attrs.field(factory=dict, repr=False, eq=False)


def parse_workload(data: Json) -> Workload:
    tags = data.get("tags")
    accepting = data.get("accepting_jobs")
    usage = data.get("usage_seconds")
    if isinstance(usage, dict):  # 0.45.3 nests it as UsageResponse
        usage = usage.get("qpu_charge_time_seconds")
    return Workload(
        id=str(data.get("id", "")),
        mode=_str(data.get("mode")),
        status=_str(data.get("status")),
        status_reason=_str(data.get("status_reason")),
        backend=_str(data.get("backend")),
        created=parse_time(data.get("created")),
        ended=parse_time(data.get("ended")),
        tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
        usage_seconds=_number(usage),
        user_id=_str(data.get("user_id")),
        instance=_str(data.get("instance")),
        accepting_jobs=accepting if isinstance(accepting, bool) else None,
        raw=data,
    )


def _next_cursor(page: Json) -> str | None:
    link = page.get("next")
    href = link.get("href") if isinstance(link, dict) else link
    if not isinstance(href, str) or not href:
        return None
    query = parse_qs(urlsplit(href).query)
    if "next" in query:
        return query["next"][0]
    # Not a URL with ?next=...: the value is the cursor itself.
    return None if ("/" in href or "?" in href) else href


def _workload_params(
    *,
    user: str | None,
    sort: str | None,
    page_size: int | None,
    backend: str | None,
    search: str | None,
    status: str | Sequence[str] | None,
    mode: str | None,
    created_after: TimeArg,
    created_before: TimeArg,
    tags: str | Sequence[str] | None,
) -> Params:
    if page_size is not None and not 1 <= page_size <= 50:
        raise InvalidInputError(f"page_size must be between 1 and 50, got {page_size}")
    return {
        "user": user,
        "sort": sort,
        "limit": page_size,
        "backend": backend,
        "search": search,
        "status": _strings(status),
        "mode": mode,
        "created_after": created_after,
        "created_before": created_before,
        "tags": _strings(tags),
    }


class _WorkloadPages:
    """The cursor walk both ``Workloads`` and ``AsyncWorkloads`` take: ``params`` is the next
    page's query (None: stop), ``take`` turns a page into its workloads and moves on."""

    def __init__(self, params: Params, limit: int | None) -> None:
        self._filters = params
        self.params: Params | None = params if limit is None or limit > 0 else None
        self._left = limit
        self._seen: set[str] = set()

    def take(self, page: Json) -> list[Workload]:
        items = page.get("workloads")
        found = items if isinstance(items, list) else []
        workloads = [parse_workload(item) for item in found if isinstance(item, dict)]
        if self._left is not None:
            workloads = workloads[: self._left]
            self._left -= len(workloads)
        cursor = _next_cursor(page)
        # A repeated cursor or an empty page would loop forever; a reached limit needs no more.
        if cursor is None or cursor in self._seen or not found or self._left == 0:
            self.params = None
        else:
            self._seen.add(cursor)
            self.params = {**self._filters, "next": cursor}
        return workloads


class Workloads:
    """``rt.workloads``: jobs and sessions of the instance, newest last by default."""

    def __init__(self, client: _SyncRequester) -> None:
        self._client = client

    def list(
        self,
        *,
        user: str | None = None,
        sort: str | None = None,
        backend: str | None = None,
        search: str | None = None,
        status: str | Sequence[str] | None = None,
        mode: str | None = None,
        created_after: TimeArg = None,
        created_before: TimeArg = None,
        tags: str | Sequence[str] | None = None,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> Iterator[Workload]:
        """Iterate every matching workload across cursor pages; ``limit`` caps the total."""
        params = _workload_params(
            user=user,
            sort=sort,
            page_size=page_size,
            backend=backend,
            search=search,
            status=status,
            mode=mode,
            created_after=created_after,
            created_before=created_before,
            tags=tags,
        )
        return self._iterate(params, limit)

    def _iterate(self, params: Params, limit: int | None) -> Iterator[Workload]:
        pages = _WorkloadPages(params, limit)
        while pages.params is not None:
            response = self._client._request("GET", "/v1/workloads", params=pages.params)
            yield from pages.take(_object(response))


class AsyncWorkloads:
    """Async twin of ``Workloads``: ``async for w in rt.workloads.list(...)``."""

    def __init__(self, client: _AsyncRequester) -> None:
        self._client = client

    def list(
        self,
        *,
        user: str | None = None,
        sort: str | None = None,
        backend: str | None = None,
        search: str | None = None,
        status: str | Sequence[str] | None = None,
        mode: str | None = None,
        created_after: TimeArg = None,
        created_before: TimeArg = None,
        tags: str | Sequence[str] | None = None,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[Workload]:
        params = _workload_params(
            user=user,
            sort=sort,
            page_size=page_size,
            backend=backend,
            search=search,
            status=status,
            mode=mode,
            created_after=created_after,
            created_before=created_before,
            tags=tags,
        )
        return self._iterate(params, limit)

    async def _iterate(self, params: Params, limit: int | None) -> AsyncIterator[Workload]:
        pages = _WorkloadPages(params, limit)
        while pages.params is not None:
            response = await self._client._request("GET", "/v1/workloads", params=pages.params)
            for workload in pages.take(_object(response)):
                yield workload


# --------------------------------------------------------------------------- analytics

_GROUP_BY = frozenset({"instance", "backend", "user_id", "plan", "subscription_id"})


def _analytics_params(
    *,
    instance: str | Sequence[str] | None,
    backend: str | Sequence[str] | None,
    user_id: str | Sequence[str] | None,
    plan: str | Sequence[str] | None,
    subscription_id: str | Sequence[str] | None,
    interval_start: TimeArg,
    interval_end: TimeArg,
    simulators: bool | None,
    group_by: str | None = None,
) -> Params:
    if group_by is not None and group_by not in _GROUP_BY:
        raise InvalidInputError(f"group_by must be one of {sorted(_GROUP_BY)}, got {group_by!r}")
    return {
        "group_by": group_by,
        "instance": _strings(instance),
        "backend": _strings(backend),
        "user_id": _strings(user_id),
        "plan": _strings(plan),
        "subscription_id": _strings(subscription_id),
        "interval_start": interval_start,
        "interval_end": interval_end,
        "simulators": simulators,
    }


class Analytics:
    """``rt.analytics``: account-wide usage analytics (plain dicts, as the API returns them)."""

    def __init__(self, client: _SyncRequester) -> None:
        self._client = client

    def _get(self, path: str, params: Params) -> Any:
        return self._client._request("GET", path, params=params).json()

    def usage(
        self,
        *,
        instance: str | Sequence[str] | None = None,
        backend: str | Sequence[str] | None = None,
        user_id: str | Sequence[str] | None = None,
        plan: str | Sequence[str] | None = None,
        subscription_id: str | Sequence[str] | None = None,
        interval_start: TimeArg = None,
        interval_end: TimeArg = None,
        simulators: bool | None = None,
    ) -> Any:
        return self._get(
            "/v1/analytics/usage",
            _analytics_params(
                instance=instance,
                backend=backend,
                user_id=user_id,
                plan=plan,
                subscription_id=subscription_id,
                interval_start=interval_start,
                interval_end=interval_end,
                simulators=simulators,
            ),
        )

    def usage_grouped(
        self,
        group_by: str,
        *,
        instance: str | Sequence[str] | None = None,
        backend: str | Sequence[str] | None = None,
        user_id: str | Sequence[str] | None = None,
        plan: str | Sequence[str] | None = None,
        subscription_id: str | Sequence[str] | None = None,
        interval_start: TimeArg = None,
        interval_end: TimeArg = None,
        simulators: bool | None = None,
    ) -> Any:
        return self._get(
            "/v1/analytics/usage_grouped",
            _analytics_params(
                group_by=group_by,
                instance=instance,
                backend=backend,
                user_id=user_id,
                plan=plan,
                subscription_id=subscription_id,
                interval_start=interval_start,
                interval_end=interval_end,
                simulators=simulators,
            ),
        )

    def usage_grouped_by_date(
        self,
        group_by: str = "instance",
        *,
        instance: str | Sequence[str] | None = None,
        backend: str | Sequence[str] | None = None,
        user_id: str | Sequence[str] | None = None,
        plan: str | Sequence[str] | None = None,
        subscription_id: str | Sequence[str] | None = None,
        interval_start: TimeArg = None,
        interval_end: TimeArg = None,
        simulators: bool | None = None,
    ) -> Any:
        return self._get(
            "/v1/analytics/usage_grouped_by_date",
            _analytics_params(
                group_by=group_by,
                instance=instance,
                backend=backend,
                user_id=user_id,
                plan=plan,
                subscription_id=subscription_id,
                interval_start=interval_start,
                interval_end=interval_end,
                simulators=simulators,
            ),
        )

    def filters(self, *, instance: str | Sequence[str] | None = None) -> Any:
        return self._get("/v1/analytics/filters", {"instance": _strings(instance)})


class AsyncAnalytics:
    """Async twin of ``Analytics``."""

    def __init__(self, client: _AsyncRequester) -> None:
        self._client = client

    async def _get(self, path: str, params: Params) -> Any:
        return (await self._client._request("GET", path, params=params)).json()

    async def usage(
        self,
        *,
        instance: str | Sequence[str] | None = None,
        backend: str | Sequence[str] | None = None,
        user_id: str | Sequence[str] | None = None,
        plan: str | Sequence[str] | None = None,
        subscription_id: str | Sequence[str] | None = None,
        interval_start: TimeArg = None,
        interval_end: TimeArg = None,
        simulators: bool | None = None,
    ) -> Any:
        return await self._get(
            "/v1/analytics/usage",
            _analytics_params(
                instance=instance,
                backend=backend,
                user_id=user_id,
                plan=plan,
                subscription_id=subscription_id,
                interval_start=interval_start,
                interval_end=interval_end,
                simulators=simulators,
            ),
        )

    async def usage_grouped(
        self,
        group_by: str,
        *,
        instance: str | Sequence[str] | None = None,
        backend: str | Sequence[str] | None = None,
        user_id: str | Sequence[str] | None = None,
        plan: str | Sequence[str] | None = None,
        subscription_id: str | Sequence[str] | None = None,
        interval_start: TimeArg = None,
        interval_end: TimeArg = None,
        simulators: bool | None = None,
    ) -> Any:
        return await self._get(
            "/v1/analytics/usage_grouped",
            _analytics_params(
                group_by=group_by,
                instance=instance,
                backend=backend,
                user_id=user_id,
                plan=plan,
                subscription_id=subscription_id,
                interval_start=interval_start,
                interval_end=interval_end,
                simulators=simulators,
            ),
        )

    async def usage_grouped_by_date(
        self,
        group_by: str = "instance",
        *,
        instance: str | Sequence[str] | None = None,
        backend: str | Sequence[str] | None = None,
        user_id: str | Sequence[str] | None = None,
        plan: str | Sequence[str] | None = None,
        subscription_id: str | Sequence[str] | None = None,
        interval_start: TimeArg = None,
        interval_end: TimeArg = None,
        simulators: bool | None = None,
    ) -> Any:
        return await self._get(
            "/v1/analytics/usage_grouped_by_date",
            _analytics_params(
                group_by=group_by,
                instance=instance,
                backend=backend,
                user_id=user_id,
                plan=plan,
                subscription_id=subscription_id,
                interval_start=interval_start,
                interval_end=interval_end,
                simulators=simulators,
            ),
        )

    async def filters(self, *, instance: str | Sequence[str] | None = None) -> Any:
        return await self._get("/v1/analytics/filters", {"instance": _strings(instance)})


# --------------------------------------------------------------------------- tags


def _tag_params(text: str) -> Params:
    if not isinstance(text, str) or not 3 <= len(text) <= 100:
        raise InvalidInputError("tag search text must be 3 to 100 characters")
    return {"type": "job", "search": text}


def _tag_list(data: Any) -> list[str]:
    tags = data.get("tags") if isinstance(data, dict) else None
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


class Tags:
    """``rt.tags``: search the job tags used in the instance."""

    def __init__(self, client: _SyncRequester) -> None:
        self._client = client

    def search(self, text: str) -> list[str]:
        response = self._client._request("GET", "/v1/tags", params=_tag_params(text))
        return _tag_list(response.json())


class AsyncTags:
    """Async twin of ``Tags``."""

    def __init__(self, client: _AsyncRequester) -> None:
        self._client = client

    async def search(self, text: str) -> list[str]:
        response = await self._client._request("GET", "/v1/tags", params=_tag_params(text))
        return _tag_list(response.json())
