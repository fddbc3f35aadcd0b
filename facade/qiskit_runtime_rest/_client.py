"""``RuntimeClient`` and ``AsyncRuntimeClient``: configuration, connections, and ``_request``.

The client builds (or adopts) one pooled ``httpx`` client and installs three things on it: the
auth flow (``_auth``), the retrying transport (``_transport``) and the base URL. Everything that
goes through that httpx client, including ``rt.raw``, is therefore authenticated, stamped,
retried and error-mapped the same way.
"""

from __future__ import annotations

import asyncio
import copy
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import attrs
import httpx

from ._auth import (
    AsyncIAMTokenManager,
    AsyncRuntimeAuth,
    AsyncStaticToken,
    IAMTokenManager,
    RuntimeAuth,
    StaticToken,
)
from ._constants import (
    DEFAULT_API_VERSION,
    DEFAULT_CONNECTION_LIMITS,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
)
from ._credentials import Secret, account_from_env, load_saved_account, save_account
from ._crn import Crn, api_base_url, iam_base_url, normalize_base_url
from ._exceptions import InvalidInputError, QiskitRuntimeError
from ._jobs import AsyncJobs, Jobs
from ._resources import (
    Accounts,
    Analytics,
    ApiVersion,
    AsyncAccounts,
    AsyncAnalytics,
    AsyncBackends,
    AsyncInstance,
    AsyncTags,
    AsyncWorkloads,
    Backends,
    Instance,
    Tags,
    Workloads,
    check_pinned_version,
    format_time,
    parse_versions,
)
from ._sessions import AsyncSessionOpener, AsyncSessions, Session, Sessions
from ._transport import AsyncRetryTransport, RetryPolicy, RetryTransport

if TYPE_CHECKING:
    from qiskit_runtime_api import AuthenticatedClient

__all__ = ["AsyncRuntimeClient", "RuntimeClient"]

# The generated client insists on a token and would show it in its attrs repr; the real token is
# added per request by our auth flow, so it only ever holds this marker.
_RAW_TOKEN_MARKER = "managed-by-qiskit-runtime-rest"

_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")

TimeoutArg = float | httpx.Timeout | None


@attrs.frozen
class _Settings:
    crn: Crn
    base_url: str
    iam_url: str
    api_version: str
    timeout: httpx.Timeout
    policy: RetryPolicy
    credential: Secret = attrs.field(repr=False)
    refreshable: bool  # api_key (IAM exchange) vs a caller-managed bearer token


def _resolve(
    *,
    api_key: str | None,
    bearer_token: str | None,
    crn: str | None,
    base_url: str | None,
    iam_url: str | None,
    api_version: str | None,
    timeout: TimeoutArg,
    max_retries: int | None,
    private_endpoint: bool,
) -> _Settings:
    if api_key is not None and bearer_token is None:
        credential, refreshable = Secret(api_key), True
    elif bearer_token is not None and api_key is None:
        credential, refreshable = Secret(bearer_token), False
    else:
        raise InvalidInputError(
            "pass exactly one of api_key= (an IBM Cloud API key) or bearer_token= (an IAM token)"
        )
    if crn is None:
        raise InvalidInputError("crn= is required: the Service-CRN of your Qiskit Runtime instance")
    parsed = Crn.parse(crn)
    version = api_version or DEFAULT_API_VERSION
    if not _API_VERSION.match(version):
        raise InvalidInputError(f"api_version must look like YYYY-MM-DD, got {version!r}")
    if max_retries is not None and (isinstance(max_retries, bool) or max_retries < 0):
        raise InvalidInputError(f"max_retries must be >= 0, got {max_retries!r}")
    return _Settings(
        crn=parsed,
        base_url=normalize_base_url(base_url)
        if base_url
        else api_base_url(parsed, private_endpoint=private_endpoint),
        iam_url=iam_url or iam_base_url(parsed, private_endpoint=private_endpoint),
        api_version=version,
        timeout=_timeout(timeout) or DEFAULT_TIMEOUT,
        policy=RetryPolicy(max_retries=DEFAULT_MAX_RETRIES if max_retries is None else max_retries),
        credential=credential,
        refreshable=refreshable,
    )


def _timeout(value: TimeoutArg) -> httpx.Timeout | None:
    if value is None or isinstance(value, httpx.Timeout):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InvalidInputError(f"timeout must be a positive number of seconds, got {value!r}")
    return httpx.Timeout(float(value))


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Drop None values, format dates and datetimes (``format_time``: naive ones are UTC); lists
    stay lists (httpx sends them as repeated keys)."""
    if not params:
        return None
    cleaned: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, datetime | date):
            value = format_time(value)
        elif isinstance(value, list | tuple | set | frozenset):
            value = [v for v in value if v is not None]
        cleaned[key] = value
    return cleaned or None


def _adopt_transports(http: Any, wrap: Callable[[Any], Any], wrapper: type[Any]) -> None:
    # httpx has no public hook to wrap the transport of an existing client, and retries must sit
    # below the auth flow (so a retried request is not re-authenticated) yet cover every request
    # the client sends, raw ones included. Mounted transports (proxies) are wrapped too. An
    # httpx client handed to a second RuntimeClient is re-wrapped, not wrapped twice.
    def adopt(transport: Any) -> Any:
        return wrap(transport.inner if isinstance(transport, wrapper) else transport)

    http._transport = adopt(http._transport)
    http._mounts = {
        pattern: None if transport is None else adopt(transport)
        for pattern, transport in http._mounts.items()
    }


def _raw_client(base_url: str) -> AuthenticatedClient:
    # Imported here, on first use: `import qiskit_runtime_rest` must not pay for the generated
    # package (hundreds of model modules load as operation modules are imported).
    from qiskit_runtime_api import AuthenticatedClient

    return AuthenticatedClient(base_url=base_url, token=_RAW_TOKEN_MARKER)


class _ClientBase:
    """What the sync and async clients share: settings, repr, and the public read-only views."""

    _settings: _Settings

    @property
    def crn(self) -> str:
        return str(self._settings.crn)

    @property
    def region(self) -> str:
        return self._settings.crn.region

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    @property
    def api_version(self) -> str:
        return self._settings.api_version

    def __repr__(self) -> str:
        kind = "api_key" if self._settings.refreshable else "bearer_token"
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, crn={self.crn!r}, "
            f"api_version={self.api_version!r}, auth={kind!r})"
        )

    save_account = staticmethod(save_account)

    # Things to stop when the client closes (the embedded emulator of `local()`).
    _on_close: list[Callable[[], None]]
    # The timeout every call of this client (or of a `with_options` view) uses unless told.
    _call_timeout: httpx.Timeout | None = None
    _owns_http: bool
    _raw: AuthenticatedClient | None

    def _bind_resources(self) -> None:
        raise NotImplementedError

    def with_options(self, *, timeout: TimeoutArg) -> Self:
        """A view of this client whose calls use ``timeout`` (seconds or an ``httpx.Timeout``):
        ``rt.with_options(timeout=5).backends.list()``. It shares connections, tokens and
        retries with ``self``; closing it closes nothing."""
        view = copy.copy(self)
        view._call_timeout = _timeout(timeout)
        view._owns_http = False
        view._on_close = []
        view._raw = None
        view._bind_resources()
        return view

    @classmethod
    def from_env(cls, **overrides: Any) -> Self:
        """From the environment: ``QISKIT_IBM_TOKEN``, ``QISKIT_IBM_INSTANCE``, ``QISKIT_IBM_URL``,
        ``IAM_URL`` (as qiskit-ibm-runtime reads them); ``overrides`` are constructor arguments."""
        kwargs = account_from_env().client_kwargs()
        kwargs.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**kwargs)

    @classmethod
    def from_saved_account(
        cls, name: str | None = None, filename: str | None = None, **overrides: Any
    ) -> Self:
        """From qiskit-ibm-runtime's ``~/.qiskit/qiskit-ibm.json`` (named, or the default entry)."""
        kwargs = load_saved_account(name, filename).client_kwargs()
        kwargs.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**kwargs)

    @classmethod
    def local(cls, **emulator_options: Any) -> Self:
        """Start the embedded emulator on 127.0.0.1 and return a client bound to it.

        Closing the client stops the emulator. ``emulator_options`` go to
        ``qiskit_runtime_emulator.Emulator`` (``job_delays=``, ``seed=``, ``faults=``, ...).
        Needs the ``[local]`` extra: ``pip install 'qiskit-runtime-rest[local]'``.
        """
        emulator = _start_emulator(emulator_options)
        settings: dict[str, Any] = {
            "api_key": emulator.api_key,
            "crn": emulator.crn,
            "base_url": emulator.base_url,
            "iam_url": emulator.iam_url,
        }
        try:
            client = cls(**settings)
        except BaseException:
            emulator.stop()
            raise
        client._on_close.append(emulator.stop)
        return client

    def _run_closers(self) -> None:
        while self._on_close:
            self._on_close.pop()()


def _start_emulator(options: dict[str, Any]) -> Any:
    # uvicorn and qiskit are imported by start(), starlette by the import: all three are the
    # [local] extra, so any of them missing gets the same answer.
    try:
        from qiskit_runtime_emulator import Emulator

        return Emulator(**options).start()
    except ImportError as exc:
        raise QiskitRuntimeError(
            "RuntimeClient.local() needs the emulator's dependencies "
            f"({exc.name or 'starlette, uvicorn, qiskit'} is missing): "
            "pip install 'qiskit-runtime-rest[local]'"
        ) from exc


class RuntimeClient(_ClientBase):
    """Synchronous client for the Qiskit Runtime REST API.

    Pass exactly one of ``api_key`` (exchanged for IAM tokens, refreshed automatically) or
    ``bearer_token`` (used as given). ``crn`` is the instance's Service-CRN; the base URL derives
    from its region unless ``base_url`` is given. ``http_client`` lets you bring your own
    ``httpx.Client``: it is reconfigured for this API and is not closed by ``close()``.
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
        http_client: httpx.Client | None = None,
        private_endpoint: bool = False,
        verify: bool = True,
        _clock: Callable[[], float] | None = None,
        _sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._settings = settings = _resolve(
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
        self._clock: Callable[[], float] = _clock or time.monotonic
        self._sleep: Callable[[float], None] = _sleep or time.sleep
        self._owns_http = http_client is None
        self._on_close = []
        http = http_client or httpx.Client(verify=verify, limits=DEFAULT_CONNECTION_LIMITS)
        http.base_url = httpx.URL(settings.base_url)
        http.timeout = settings.timeout
        _adopt_transports(
            http, lambda t: RetryTransport(t, settings.policy, self._sleep), RetryTransport
        )
        self._tokens: IAMTokenManager | StaticToken
        if settings.refreshable:
            self._tokens = IAMTokenManager(
                settings.credential,
                settings.iam_url,
                lambda request: http.send(request, auth=None),
                self._clock,
            )
        else:
            self._tokens = StaticToken(settings.credential)
        http.auth = RuntimeAuth(self._tokens, str(settings.crn), settings.api_version)
        self._http = http
        self._raw: AuthenticatedClient | None = None

        self._bind_resources()

    def _bind_resources(self) -> None:
        self.backends = Backends(self)
        self.instance = Instance(self)
        self.accounts = Accounts(self, self._settings.crn.account_id)
        self.workloads = Workloads(self)
        self.analytics = Analytics(self)
        self.tags = Tags(self)
        self.jobs = Jobs(self)
        self.sessions = Sessions(self)

    def session(self, backend: str, *, max_ttl: int | None = None) -> Session:
        """Open a dedicated session (``POST /v1/sessions``, mode ``dedicated``). Use it as a
        context manager: leaving the block closes it gracefully, whatever happened inside."""
        return self.sessions.open(backend, mode="dedicated", max_ttl=max_ttl)

    def batch(self, backend: str, *, max_ttl: int | None = None) -> Session:
        """Open a batch (``POST /v1/sessions``, mode ``batch``); same surface as ``session``."""
        return self.sessions.open(backend, mode="batch", max_ttl=max_ttl)

    @property
    def raw(self) -> AuthenticatedClient:
        """The generated ``qiskit_runtime_api`` client on this client's connections.

        ``qiskit_runtime_api.api.<tag>.<operation>.sync(client=rt.raw, ...)`` is authenticated,
        CRN- and version-stamped, retried and error-mapped exactly like the facade's own calls.
        """
        if self._raw is None:
            self._raw = _raw_client(self.base_url).set_httpx_client(self._http)
        return self._raw

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutArg = None,
    ) -> httpx.Response:
        """Send one API request; return the 2xx response (body read) or raise the typed error."""
        per_call = _timeout(timeout) or self._call_timeout
        return self._http.request(
            method,
            path,
            params=_clean_params(params),
            json=json,
            headers=headers,
            timeout=per_call if per_call is not None else httpx.USE_CLIENT_DEFAULT,
        )

    def authenticate(self) -> float | None:
        """Get (or reuse) the IAM token now, to fail fast on bad credentials; returns the seconds
        it stays valid (None for a caller-managed ``bearer_token``)."""
        self._tokens.get_token()
        return self._tokens.seconds_left()

    def versions(self) -> list[ApiVersion]:
        """``GET /v1/versions``; warns if the pinned ``IBM-API-Version`` is deprecated or sunset."""
        versions = parse_versions(self._request("GET", "/v1/versions").json())
        check_pinned_version(versions, self.api_version)
        return versions

    def close(self) -> None:
        """Close the connections (only those of an httpx client this object created)."""
        try:
            if self._owns_http:
                self._http.close()
        finally:
            self._run_closers()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncRuntimeClient(_ClientBase):
    """The asyncio twin of ``RuntimeClient``; use ``async with`` or ``await rt.aclose()``."""

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
        self._settings = settings = _resolve(
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
        self._clock: Callable[[], float] = _clock or time.monotonic
        self._sleep: Callable[[float], Awaitable[None]] = _sleep or asyncio.sleep
        self._owns_http = http_client is None
        self._on_close = []
        http = http_client or httpx.AsyncClient(verify=verify, limits=DEFAULT_CONNECTION_LIMITS)
        http.base_url = httpx.URL(settings.base_url)
        http.timeout = settings.timeout
        _adopt_transports(
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
        http.auth = AsyncRuntimeAuth(self._tokens, str(settings.crn), settings.api_version)
        self._http = http
        self._raw: AuthenticatedClient | None = None

        self._bind_resources()

    def _bind_resources(self) -> None:
        self.backends = AsyncBackends(self)
        self.instance = AsyncInstance(self)
        self.accounts = AsyncAccounts(self, self._settings.crn.account_id)
        self.workloads = AsyncWorkloads(self)
        self.analytics = AsyncAnalytics(self)
        self.tags = AsyncTags(self)
        self.jobs = AsyncJobs(self)
        self.sessions = AsyncSessions(self)

    # Plain methods, not coroutines: the opener supports both `async with art.session(...)`
    # and `s = await art.session(...)`.
    def session(self, backend: str, *, max_ttl: int | None = None) -> AsyncSessionOpener:
        """Open a dedicated session; ``async with`` it to close it gracefully on exit."""
        return self.sessions.open(backend, mode="dedicated", max_ttl=max_ttl)

    def batch(self, backend: str, *, max_ttl: int | None = None) -> AsyncSessionOpener:
        """Open a batch; same surface as ``session``."""
        return self.sessions.open(backend, mode="batch", max_ttl=max_ttl)

    @property
    def raw(self) -> AuthenticatedClient:
        """The generated ``qiskit_runtime_api`` client on this client's connections; use the
        operations' ``asyncio`` / ``asyncio_detailed`` functions with ``client=rt.raw``."""
        if self._raw is None:
            self._raw = _raw_client(self.base_url).set_async_httpx_client(self._http)
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
    ) -> httpx.Response:
        """Send one API request; return the 2xx response (body read) or raise the typed error."""
        per_call = _timeout(timeout) or self._call_timeout
        return await self._http.request(
            method,
            path,
            params=_clean_params(params),
            json=json,
            headers=headers,
            timeout=per_call if per_call is not None else httpx.USE_CLIENT_DEFAULT,
        )

    async def authenticate(self) -> float | None:
        """Get (or reuse) the IAM token now, to fail fast on bad credentials; returns the seconds
        it stays valid (None for a caller-managed ``bearer_token``)."""
        await self._tokens.get_token()
        return self._tokens.seconds_left()

    async def versions(self) -> list[ApiVersion]:
        """``GET /v1/versions``; warns if the pinned ``IBM-API-Version`` is deprecated or sunset."""
        versions = parse_versions((await self._request("GET", "/v1/versions")).json())
        check_pinned_version(versions, self.api_version)
        return versions

    async def aclose(self) -> None:
        """Close the connections (only those of an httpx client this object created)."""
        try:
            if self._owns_http:
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
