"""The simple resources: backends, instance, accounts, workloads, analytics, tags.

Each method builds its request with ``_protocol``, sends it through the client's ``_request``,
and parses the answer with ``_models``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, Unpack

from .._constants import TARGET_MAX_AGE
from .._models import (
    Backend,
    BackendStatus,
    InstanceConfiguration,
    InstanceInfo,
    InstanceUsage,
    Json,
    TimeArg,
    Workload,
    parse_backend_status,
    parse_backends,
    parse_instance,
    parse_instance_configuration,
    parse_tag_list,
    parse_usage,
)
from .._protocol import (
    AnalyticsFilters,
    Params,
    WorkloadPages,
    account_path,
    analytics_params,
    backend_params,
    backend_path,
    backends_list_params,
    limit_body,
    strings,
    tag_search_params,
    workload_params,
)
from .._wire import read_json, read_object
from ._requester import AsyncRequester

if TYPE_CHECKING:
    from qiskit.transpiler import Target

__all__ = [
    "AsyncAccounts",
    "AsyncAnalytics",
    "AsyncBackends",
    "AsyncInstance",
    "AsyncTags",
    "AsyncWorkloads",
]

Names = str | Sequence[str] | None


class AsyncBackends:
    """``rt.backends``: list devices and read their status, configuration and calibration data."""

    def __init__(self, client: AsyncRequester) -> None:
        self._client = client
        self._targets: Any = None  # a TargetCache, created with the first Target

    async def list(self, *, fields: Names = None, include_wait_time: bool = False) -> list[Backend]:
        """Every device the instance can use (``GET /v1/backends``); ``fields`` asks for optional
        fields (``"wait_time_seconds"``, also ``include_wait_time=True``)."""
        params = backends_list_params(include_wait_time, fields)
        response = await self._client._request("GET", "/v1/backends", params=params)
        return parse_backends(read_json(response, "backends"))

    async def status(self, name: str) -> BackendStatus:
        """Whether the device accepts jobs, and its queue (``GET /v1/backends/{name}/status``)."""
        response = await self._client._request("GET", backend_path(name, "/status"))
        return parse_backend_status(name, read_object(response, f"status of {name}"))

    async def configuration(self, name: str, *, calibration_id: str | None = None) -> Json:
        """The device's configuration document, as a dict."""
        path = backend_path(name, "/configuration")
        response = await self._client._request("GET", path, params=backend_params(calibration_id))
        return read_object(response, f"configuration of {name}")

    async def properties(
        self, name: str, *, calibration_id: str | None = None, updated_before: TimeArg = None
    ) -> Json:
        """The device's calibration data (qubits, gates, errors), as a dict."""
        params = backend_params(calibration_id, updated_before)
        response = await self._client._request(
            "GET", backend_path(name, "/properties"), params=params
        )
        return read_object(response, f"properties of {name}")

    async def defaults(self, name: str) -> Json:
        """The device's pulse defaults, as a dict."""
        response = await self._client._request("GET", backend_path(name, "/defaults"))
        return read_object(response, f"defaults of {name}")

    async def target(
        self,
        name: str,
        *,
        calibration_id: str | None = None,
        use_fractional_gates: bool = False,
        refresh: bool = False,
    ) -> Target:
        """The device as a qiskit ``Target`` (basis gates, coupling map, gate errors and
        durations, ``dt``, readout errors), built from its configuration and properties
        documents as qiskit-ibm-runtime builds it. Needs the ``[transpile]`` extra.

        Cached per backend and calibration: a Target for a ``calibration_id`` is built once; one
        for the current calibration is re-checked after a few minutes (two document requests)
        and rebuilt only when the calibration changed. ``refresh=True`` re-checks now."""
        from .._transpile import TargetCache, require_qiskit, target_from_documents

        require_qiskit("rt.backends.target")
        if self._targets is None:
            self._targets = TargetCache(self._client._clock, TARGET_MAX_AGE)
        key = (name, calibration_id, use_fractional_gates)
        cached = None if refresh else self._targets.fresh(key)
        if cached is not None:
            return cached
        configuration = await self.configuration(name, calibration_id=calibration_id)
        properties = await self.properties(name, calibration_id=calibration_id)
        return self._targets.store(
            key,
            configuration,
            properties,
            lambda: target_from_documents(
                configuration, properties, use_fractional_gates=use_fractional_gates
            ),
        )


class AsyncInstance:
    """``rt.instance``: the instance selected by the client's CRN."""

    def __init__(self, client: AsyncRequester) -> None:
        self._client = client

    async def get(self) -> InstanceInfo:
        """The instance's plan, backends and limits (``GET /v1/instance``)."""
        response = await self._client._request("GET", "/v1/instance")
        return parse_instance(read_object(response, "instance"))

    async def configuration(self) -> InstanceConfiguration:
        """The instance's configuration (``GET /v1/instances/configuration``)."""
        response = await self._client._request("GET", "/v1/instances/configuration")
        return parse_instance_configuration(read_object(response, "instance configuration"))

    async def set_limit(self, seconds: float | None) -> None:
        """Cap the instance's usage at ``seconds`` (whole, >= 1), or remove the cap with None."""
        await self._client._request("PUT", "/v1/instances/configuration", json=limit_body(seconds))

    async def usage(self) -> InstanceUsage:
        """Consumption in the current usage period (``GET /v1/instances/usage``)."""
        response = await self._client._request("GET", "/v1/instances/usage")
        return parse_usage(read_object(response, "instance usage"))


class AsyncAccounts:
    """``rt.accounts``: account configuration (plans, TTL limits, allocations)."""

    def __init__(self, client: AsyncRequester, default_account_id: str) -> None:
        self._client = client
        self._default = default_account_id

    async def get(self, account_id: str | None = None, *, plan_id: str | None = None) -> Json:
        """The account's configuration; defaults to the account in the client's CRN."""
        path = account_path(account_id or self._default)
        response = await self._client._request("GET", path, params={"plan_id": plan_id})
        return read_object(response, "account")


class AsyncWorkloads:
    """``rt.workloads``: jobs and sessions of the instance, newest last by default."""

    def __init__(self, client: AsyncRequester) -> None:
        self._client = client

    def list(
        self,
        *,
        user: str | None = None,
        sort: str | None = None,
        backend: str | None = None,
        search: str | None = None,
        status: Names = None,
        mode: str | None = None,
        created_after: TimeArg = None,
        created_before: TimeArg = None,
        tags: Names = None,
        limit: int | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[Workload]:
        """Iterate every matching workload across cursor pages; ``limit`` caps the total."""
        params = workload_params(
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
        pages = WorkloadPages(params, limit)
        while pages.params is not None:
            response = await self._client._request("GET", "/v1/workloads", params=pages.params)
            for workload in pages.take(read_object(response, "workloads")):
                yield workload


class AsyncAnalytics:
    """``rt.analytics``: account-wide usage analytics (plain dicts, as the API returns them).

    Every filter takes one value or a list of them."""

    def __init__(self, client: AsyncRequester) -> None:
        self._client = client

    async def _get(self, path: str, params: Params) -> Any:
        response = await self._client._request("GET", path, params=params)
        return read_json(response, path)

    async def usage(self, **filters: Unpack[AnalyticsFilters]) -> Any:
        """Usage totals (``GET /v1/analytics/usage``), filtered as ``AnalyticsFilters`` says."""
        return await self._get("/v1/analytics/usage", analytics_params(None, filters))

    async def usage_grouped(self, group_by: str, **filters: Unpack[AnalyticsFilters]) -> Any:
        """Usage grouped by instance, backend, user_id, plan or subscription_id."""
        params = analytics_params(group_by, filters)
        return await self._get("/v1/analytics/usage_grouped", params)

    async def usage_grouped_by_date(
        self, group_by: str = "instance", **filters: Unpack[AnalyticsFilters]
    ) -> Any:
        """Usage per day, grouped as in ``usage_grouped``."""
        params = analytics_params(group_by, filters)
        return await self._get("/v1/analytics/usage_grouped_by_date", params)

    async def filters(self, *, instance: Names = None) -> Any:
        """The values each analytics filter can take (``GET /v1/analytics/filters``)."""
        return await self._get("/v1/analytics/filters", {"instance": strings(instance)})


class AsyncTags:
    """``rt.tags``: search the job tags used in the instance."""

    def __init__(self, client: AsyncRequester) -> None:
        self._client = client

    async def search(self, text: str) -> list[str]:
        """Job tags containing ``text`` (3 to 100 characters)."""
        response = await self._client._request("GET", "/v1/tags", params=tag_search_params(text))
        return parse_tag_list(read_json(response, "tags"))
