"""What both clients share, I/O-free: settings and their validation, the read-only views, the
alternative constructors, ``with_options`` and the embedded emulator of ``local()``.

Each flavour's client (``_async/_client.py`` and its generated sync twin) builds one pooled
``httpx`` client and installs three things on it: the auth flow, the retrying transport and the
base URL. Everything that goes through that httpx client, including ``rt.raw``, is therefore
authenticated, stamped, retried and error-mapped the same way.
"""

from __future__ import annotations

import copy
import logging
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, Self

import httpx

from ._constants import (
    DEFAULT_API_VERSION,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ENV_TRANSPILER_URL,
    MAX_RATE_LIMIT_RETRIES,
    TRANSPILER_URL,
)
from ._exceptions import InvalidInputError, QiskitRuntimeError
from ._retry import RetryPolicy
from ._secret import Secret

if TYPE_CHECKING:
    from pathlib import Path

    from qiskit_runtime_api import AuthenticatedClient

    from ._crn import Crn

# _crn and _credentials load when a client is built, not on `import qiskit_runtime_rest`.

# The generated client insists on a token and would show it in its attrs repr; the real token is
# added per request by our auth flow, so it only ever holds this marker.
_RAW_TOKEN_MARKER = "managed-by-qiskit-runtime-rest"

logger = logging.getLogger("qiskit_runtime_rest")

_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}$")

TimeoutArg = float | httpx.Timeout | None

_RESOURCES = (
    "backends",
    "instance",
    "accounts",
    "workloads",
    "analytics",
    "tags",
    "jobs",
    "sessions",
    "transpiler_service",
)


class Settings(NamedTuple):
    crn: Crn
    base_url: str
    iam_url: str
    api_version: str
    timeout: httpx.Timeout
    policy: RetryPolicy
    credential: Secret  # its repr shows no secret
    refreshable: bool  # api_key (IAM exchange) vs a caller-managed bearer token

    def __repr__(self) -> str:
        # base_url may carry a password (http://user:PASS@host/api): never show it.
        return f"Settings(crn={str(self.crn)!r}, base_url={redact_url(self.base_url)!r})"


def resolve_settings(
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
) -> Settings:
    try:
        credential, refreshable = _credential(api_key, bearer_token)
        if crn is None:
            raise InvalidInputError(
                "crn= is required: the Service-CRN of your Qiskit Runtime instance"
            )
        from ._crn import Crn, api_base_url, iam_base_url, normalize_base_url

        parsed = Crn.parse(crn)
        version = api_version or DEFAULT_API_VERSION
        if not _API_VERSION.match(version):
            raise InvalidInputError(f"api_version must look like YYYY-MM-DD, got {version!r}")
        if max_retries is not None and (isinstance(max_retries, bool) or max_retries < 0):
            raise InvalidInputError(f"max_retries must be >= 0, got {max_retries!r}")
        return Settings(
            crn=parsed,
            base_url=normalize_base_url(base_url)
            if base_url
            else api_base_url(parsed, private_endpoint=private_endpoint),
            iam_url=iam_url or iam_base_url(parsed, private_endpoint=private_endpoint),
            api_version=version,
            timeout=as_timeout(timeout) or DEFAULT_TIMEOUT,
            policy=RetryPolicy(
                max_retries=DEFAULT_MAX_RETRIES if max_retries is None else max_retries,
                # max_retries=0 means "no retries", rate limits included
                max_rate_limit_retries=MAX_RATE_LIMIT_RETRIES if max_retries != 0 else 0,
            ),
            credential=credential,
            refreshable=refreshable,
        )
    finally:
        # A traceback of a failed construction shows this frame's locals: no credential in them
        # (and a base_url may carry a password).
        api_key = bearer_token = base_url = None


def _credential(api_key: str | None, bearer_token: str | None) -> tuple[Secret, bool]:
    try:
        if api_key is not None and bearer_token is None:
            return Secret(api_key), True
        if bearer_token is not None and api_key is None:
            return Secret(bearer_token), False
        raise InvalidInputError(
            "pass exactly one of api_key= (an IBM Cloud API key) or bearer_token= (an IAM token)"
        )
    finally:
        api_key = bearer_token = None


def redact_url(url: str) -> str:
    """``url`` without the password it may carry."""
    parsed = httpx.URL(url)
    return str(parsed.copy_with(password="***")) if parsed.password else url


def as_timeout(value: TimeoutArg) -> httpx.Timeout | None:
    if value is None or isinstance(value, httpx.Timeout):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InvalidInputError(f"timeout must be a positive number of seconds, got {value!r}")
    return httpx.Timeout(float(value))


def adopt_transports(http: Any, wrap: Callable[[Any], Any], wrapper: type[Any]) -> None:
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


def raw_client(base_url: str) -> AuthenticatedClient:

    # Imported here, on first use: `import qiskit_runtime_rest` must not pay for the generated
    # package (hundreds of model modules load as operation modules are imported).
    from qiskit_runtime_api import AuthenticatedClient

    return AuthenticatedClient(base_url=base_url, token=_RAW_TOKEN_MARKER)


class _LazyFunction:
    """A module function exposed as a class attribute, its module imported on first access."""

    def __init__(self, module: str, name: str) -> None:
        self._module = module
        self._name = name

    def __get__(self, instance: object, owner: type | None = None) -> Callable[..., Path]:
        from importlib import import_module

        function: Callable[..., Path] = getattr(
            import_module(self._module, __package__), self._name
        )
        return function


class ClientBase:
    """What both clients share: settings, repr, the read-only views, the other constructors."""

    _settings: Settings

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
            f"{type(self).__name__}(base_url={redact_url(self.base_url)!r}, crn={self.crn!r}, "
            f"api_version={self.api_version!r}, auth={kind!r})"
        )

    # `_credentials.save_account` itself, loaded on first use: RuntimeClient.save_account(...)
    save_account = _LazyFunction("._credentials", "save_account")

    # Things to stop when the client closes (the embedded emulator of `local()`).
    _on_close: list[Callable[[], None]]
    # The timeout every call of this client (or of a `with_options` view) uses unless told.
    _call_timeout: httpx.Timeout | None = None
    _owns_http: bool
    _raw: AuthenticatedClient | None

    def _is_open(self) -> bool:
        http = self.__dict__.get("_http")
        return http is not None and not http.is_closed

    def with_options(self, *, timeout: TimeoutArg) -> Self:
        """A view of this client whose calls use ``timeout`` (seconds or an ``httpx.Timeout``):
        ``rt.with_options(timeout=5).backends.list()``. It shares connections, tokens and
        retries with ``self``; closing it closes nothing."""
        view = copy.copy(self)
        view._call_timeout = as_timeout(timeout)
        view._owns_http = False
        view._on_close = []
        view._raw = None
        for name in _RESOURCES:  # cached on first use, bound to the client they came from
            view.__dict__.pop(name, None)
        return view

    @classmethod
    def from_env(cls, **overrides: Any) -> Self:
        """From the environment: ``QISKIT_IBM_TOKEN``, ``QISKIT_IBM_INSTANCE``, ``QISKIT_IBM_URL``,
        ``IAM_URL`` (as qiskit-ibm-runtime reads them); ``overrides`` are constructor arguments."""
        from ._credentials import account_from_env

        kwargs = account_from_env().client_kwargs()
        kwargs.update({k: v for k, v in overrides.items() if v is not None})
        client = cls(**kwargs)
        if "api_key" not in overrides and "bearer_token" not in overrides:
            client._credential_source = ("env",)
        return client

    @classmethod
    def from_saved_account(
        cls, name: str | None = None, filename: str | None = None, **overrides: Any
    ) -> Self:
        """From qiskit-ibm-runtime's ``~/.qiskit/qiskit-ibm.json`` (named, or the default entry)."""
        from ._credentials import load_saved_account

        kwargs = load_saved_account(name, filename).client_kwargs()
        kwargs.update({k: v for k, v in overrides.items() if v is not None})
        client = cls(**kwargs)
        if "api_key" not in overrides and "bearer_token" not in overrides:
            path = None if filename is None else os.fspath(filename)
            client._credential_source = ("saved", name, path)
        return client

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
        client._credential_source = ("local",)  # the emulator's key is not a secret
        client._transpiler_url = emulator.transpiler_url
        return client

    # The transpiler service's URL when something chose it (the embedded emulator); otherwise
    # $QISKIT_IBM_TRANSPILER_URL, else IBM's.
    _transpiler_url: str | None = None

    def _transpiler_service_url(self) -> str:
        return self._transpiler_url or os.environ.get(ENV_TRANSPILER_URL) or TRANSPILER_URL

    def _run_closers(self) -> None:
        while self._on_close:
            self._on_close.pop()()

    def _after_fork(self, parent_pid: int) -> None:
        self._on_close = []  # the parent's embedded emulator, if any, stays the parent's
        logger.debug(
            "client used in process %s, forked from %s: new connections", os.getpid(), parent_pid
        )

    # Where the API key comes from, so that a pickle can name its source instead of carrying it:
    # ("env",), ("saved", name, filename), ("local",) or ("explicit",).
    _credential_source: tuple[str | None, ...] = ("explicit",)

    def __copy__(self) -> Self:
        # A shallow copy shares connections and tokens (what `with_options` wants); pickling,
        # below, never does.
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        return twin

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the settings and where the key comes from, never a token or a connection: the
        unpickled client opens its own connections and fetches its own token. A client built
        from ``from_env()`` reads the key from the worker's environment, one built from
        ``from_saved_account()`` from the worker's account file, one from ``local()`` keeps the
        emulator's key (not a secret). A key or token passed in as an argument is never
        written into a pickle."""
        source = self._credential_source
        if source[0] == "explicit":
            kind = "an api_key" if self._settings.refreshable else "a bearer_token"
            raise NotPicklableError(
                f"a {type(self).__name__} built with {kind} argument cannot be pickled: that "
                "would write the credential into the pickle. Build it with "
                f"{type(self).__name__}.from_env() or .from_saved_account(name) (the worker "
                "then reads the key from its own environment or account file), or create the "
                "client inside the worker."
            )
        settings = self._settings
        state: dict[str, Any] = {
            "crn": str(settings.crn),
            "base_url": settings.base_url,
            "iam_url": settings.iam_url,
            "api_version": settings.api_version,
            "timeout": settings.timeout,
            "max_retries": settings.policy.max_retries,
            "verify": getattr(self, "_verify", True),
        }
        if source[0] == "local":
            state["api_key"] = settings.credential.get_secret_value()
        return (_unpickle_client, (type(self), source, state, self._call_timeout))


def no_logout_route(base_url: str) -> bool:
    """What ``logout()`` says when the service answers 404: older deployments lack the route."""
    logger.warning(
        "%s has no POST /v1/logout (404): the cached token was dropped here, but the service "
        "did not clear its authorization cache; the token stays valid until it expires",
        base_url,
    )
    return False


class NotPicklableError(QiskitRuntimeError, TypeError):
    """This object cannot be pickled without writing a secret into the pickle."""


# Clients unpickled in this process, by what they were pickled from: a worker that receives the
# same client with every task (pool.map, Dask) reuses one set of connections and one token.
_UNPICKLED: dict[Any, ClientBase] = {}
_UNPICKLED_PID = [os.getpid()]


def _unpickle_client(
    cls: type[ClientBase], source: tuple[str | None, ...], state: dict[str, Any], call: Any
) -> ClientBase:
    if _UNPICKLED_PID[0] != os.getpid():
        _UNPICKLED.clear()  # a forked child must not reuse its parent's clients
        _UNPICKLED_PID[0] = os.getpid()
    key = (cls, source, tuple(sorted((k, repr(v)) for k, v in state.items())), repr(call))
    cached = _UNPICKLED.get(key)
    # Only sync clients are shared: an async one belongs to the event loop that opens it.
    if cached is not None and cached._is_open():
        return cached
    from ._credentials import account_from_env, load_saved_account

    if source[0] == "env":
        state["api_key"] = account_from_env().api_key.get_secret_value()
    elif source[0] == "saved":
        state["api_key"] = load_saved_account(source[1], source[2]).api_key.get_secret_value()
    client = cls(**state)
    client._credential_source = source
    client._call_timeout = call
    if not cls.__name__.startswith("Async"):
        _UNPICKLED[key] = client
    return client


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
