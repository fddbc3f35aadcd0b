"""The client: one pooled ``httpx`` client with the auth flow, the retrying transport and the
base URL installed, the resources bound to it, and ``_request``, through which every call goes.
Settings, validation and the alternative constructors are shared, in ``_client_base.py``."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Mapping
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import httpx

from .._client_base import (
    ClientBase,
    TimeoutArg,
    adopt_transports,
    as_timeout,
    raw_client,
    resolve_settings,
)
from .._constants import DEFAULT_CONNECTION_LIMITS, IDEMPOTENT_EXTENSION
from .._wire import clean_params, read_json
from ._auth import AsyncIAMTokenManager, AsyncRuntimeAuth, AsyncStaticToken
from ._flavour import Opener, sleep
from ._transport import AsyncRetryTransport

if TYPE_CHECKING:
    from qiskit_runtime_api import AuthenticatedClient

    from .._models import ApiVersion
    from ._jobs import AsyncJobs
    from ._resources import (
        AsyncAccounts,
        AsyncAnalytics,
        AsyncBackends,
        AsyncInstance,
        AsyncTags,
        AsyncWorkloads,
    )
    from ._sessions import AsyncSession, AsyncSessions
    from ._transpile import AsyncTranspilerService

__all__ = ["AsyncRuntimeClient"]


class AsyncRuntimeClient(ClientBase):
    """A client for the Qiskit Runtime REST API.

    Pass exactly one of ``api_key`` (exchanged for IAM tokens, refreshed automatically) or
    ``bearer_token`` (used as given). ``crn`` is the instance's Service-CRN; the base URL derives
    from its region unless ``base_url`` is given. ``http_client`` lets you bring your own httpx
    client: it is reconfigured for this API and is not closed with this one.
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        bearer_token: str | None = None,
        crn: str | None = None,
        base_url: str | None = None,
        iam_url: str | None = None,
        api_version: str | None = None,
        timeout: TimeoutArg = None,
        max_retries: int | None = None,
        http_client: httpx.AsyncClient | None = None,
        private_endpoint: bool = False,
        verify: bool = True,
        _clock: Callable[[], float] | None = None,
        _sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        try:
            self._settings = resolve_settings(
                api_key=api_key,
                bearer_token=bearer_token,
                crn=crn,
                base_url=base_url,
                iam_url=iam_url,
                api_version=api_version,
                timeout=timeout,
                max_retries=max_retries,
                private_endpoint=private_endpoint,
            )
        finally:
            api_key = bearer_token = base_url = None  # not in the locals of a traceback
        self._clock: Callable[[], float] = _clock or time.monotonic
        self._sleep: Callable[[float], Awaitable[None]] = _sleep or sleep
        self._on_close = []
        self._open(http_client, verify)

    def _open(self, http_client: httpx.AsyncClient | None, verify: bool) -> None:
        """Connections, token cache and auth flow: everything a process must not share."""
        settings = self._settings
        self._pid = os.getpid()
        self._verify = verify
        self._owns_http = http_client is None
        http = http_client or httpx.AsyncClient(verify=verify, limits=DEFAULT_CONNECTION_LIMITS)
        http.base_url = httpx.URL(settings.base_url)
        http.timeout = settings.timeout
        adopt_transports(
            http,
            lambda t: AsyncRetryTransport(t, settings.policy, self._sleep),
            AsyncRetryTransport,
        )
        self._tokens: AsyncIAMTokenManager | AsyncStaticToken
        if settings.refreshable:
            self._tokens = AsyncIAMTokenManager(
                settings.credential,
                settings.iam_url,
                lambda request: http.send(request, auth=None),
                self._clock,
            )
        else:
            self._tokens = AsyncStaticToken(settings.credential)
        http.auth = AsyncRuntimeAuth(
            self._tokens,
            str(settings.crn),
            settings.api_version,
            connections=None if http_client else DEFAULT_CONNECTION_LIMITS.max_connections,
        )
        self._http = http
        self._raw: AuthenticatedClient | None = None

    def _check_process(self) -> None:
        # After os.fork() the child shares the parent's sockets and may find a lock held by a
        # parent thread: it must open its own connections and token cache, never touch those.
        if self._pid != os.getpid():
            forked_from = self._pid
            self._open(None, self._verify)
            self._after_fork(forked_from)

    # The resources load on first use: `import qiskit_runtime_rest` stays cheap.
    @cached_property
    def backends(self) -> AsyncBackends:
        """Devices: list, status, configuration, properties, defaults."""
        from ._resources import AsyncBackends

        return AsyncBackends(self)

    @cached_property
    def instance(self) -> AsyncInstance:
        """The instance the CRN selects: details, configuration, usage limit, usage."""
        from ._resources import AsyncInstance

        return AsyncInstance(self)

    @cached_property
    def accounts(self) -> AsyncAccounts:
        """Account configuration (plans, limits)."""
        from ._resources import AsyncAccounts

        return AsyncAccounts(self, self._settings.crn.account_id)

    @cached_property
    def workloads(self) -> AsyncWorkloads:
        """Jobs and sessions of the instance, page by page."""
        from ._resources import AsyncWorkloads

        return AsyncWorkloads(self)

    @cached_property
    def analytics(self) -> AsyncAnalytics:
        """Account-wide usage analytics."""
        from ._resources import AsyncAnalytics

        return AsyncAnalytics(self)

    @cached_property
    def tags(self) -> AsyncTags:
        """Search the job tags used in the instance."""
        from ._resources import AsyncTags

        return AsyncTags(self)

    @cached_property
    def jobs(self) -> AsyncJobs:
        """Submit, find and wait on jobs."""
        from ._jobs import AsyncJobs

        return AsyncJobs(self)

    @cached_property
    def sessions(self) -> AsyncSessions:
        """Open a session or batch, or re-attach to one."""
        from ._sessions import AsyncSessions

        return AsyncSessions(self)

    @cached_property
    def transpiler_service(self) -> AsyncTranspilerService:
        """IBM's transpiler service (a paid-plan service on another host:
        ``cloud-transpiler.quantum.ibm.com``, ``$QISKIT_IBM_TRANSPILER_URL``, or the emulator's)."""
        from ._transpile import AsyncTranspilerService

        return AsyncTranspilerService(self, self._transpiler_service_url())

    async def transpile(self, circuits: Any, backend: str, optimization_level: int = 1) -> Any:
        """Transpile locally for ``backend`` (its Target: ``rt.backends.target``) with qiskit's
        preset pass manager; needs the ``[transpile]`` extra. A QuantumCircuit comes back as a
        QuantumCircuit (with its ``.layout``), an OpenQASM string as a ``TranspiledQasm`` (a
        ``str`` with a ``.layout``); a list in, a list out."""
        from ._transpile import transpile_for_backend

        return await transpile_for_backend(self, circuits, backend, optimization_level)

    def session(self, backend: str, *, max_ttl: int | None = None) -> Opener[AsyncSession]:
        """Open a dedicated session (``POST /v1/sessions``, mode ``dedicated``). Use it as a
        context manager: leaving the block closes it gracefully, whatever happened inside."""
        return self.sessions.open(backend, mode="dedicated", max_ttl=max_ttl)

    def batch(self, backend: str, *, max_ttl: int | None = None) -> Opener[AsyncSession]:
        """Open a batch (``POST /v1/sessions``, mode ``batch``); same surface as ``session``."""
        return self.sessions.open(backend, mode="batch", max_ttl=max_ttl)

    @property
    def raw(self) -> AuthenticatedClient:
        """The generated ``qiskit_runtime_api`` client on this client's connections.

        ``qiskit_runtime_api.api.<tag>.<operation>`` functions called with ``client=rt.raw``
        (``sync``/``sync_detailed`` on a sync client, ``asyncio``/``asyncio_detailed`` on an
        async one) are authenticated, CRN- and version-stamped, retried and error-mapped exactly
        like the facade's own calls.
        """
        self._check_process()
        if self._raw is None:
            self._raw = raw_client(self.base_url).set_async_httpx_client(self._http)
        return self._raw

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutArg = None,
        idempotent: bool = False,
    ) -> httpx.Response:
        """Send one API request; return the 2xx response (body read) or raise the typed error.
        ``idempotent`` marks a POST or PATCH as safe to repeat, so the transport retries it as
        it retries a GET."""
        self._check_process()
        per_call = as_timeout(timeout) or self._call_timeout
        return await self._http.request(
            method,
            path,
            params=clean_params(params),
            json=json,
            headers=headers,
            timeout=per_call if per_call is not None else httpx.USE_CLIENT_DEFAULT,
            extensions={IDEMPOTENT_EXTENSION: True} if idempotent else None,
        )

    async def authenticate(self) -> float | None:
        """Get (or reuse) the IAM token now, to fail fast on bad credentials; returns the seconds
        it stays valid (None for a caller-managed ``bearer_token``)."""
        self._check_process()
        await self._tokens.get_token()
        return self._tokens.seconds_left()

    async def versions(self) -> list[ApiVersion]:
        """``GET /v1/versions``; warns if the pinned ``IBM-API-Version`` is deprecated or sunset."""
        from .._models import check_pinned_version, parse_versions

        response = await self._request("GET", "/v1/versions")
        versions = parse_versions(read_json(response, "versions"))
        check_pinned_version(versions, self.api_version)
        return versions

    async def logout(self) -> bool:
        """``POST /v1/logout`` (the service clears its authorization cache for this token), then
        drop the cached IAM token, so the next call fetches a new one with the API key, which
        stays valid. Returns False, after dropping the token all the same, when the service
        has no logout route (404). A caller-managed ``bearer_token`` is not replaced: calls
        after a logout may be refused with it."""
        from .._client_base import no_logout_route
        from .._exceptions import NotFoundError

        self._check_process()
        try:
            await self._request("POST", "/v1/logout")
            return True
        except NotFoundError:
            return no_logout_route(self.base_url)
        finally:
            self._tokens.forget()

    async def aclose(self) -> None:
        """Close the connections (only those of an httpx client this object created)."""
        try:
            if self._owns_http and self._pid == os.getpid():
                await self._http.aclose()
        finally:
            self._run_closers()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
