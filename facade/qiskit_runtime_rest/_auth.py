"""Authentication: IAM token managers and the ``httpx.Auth`` that stamps every API request.

The auth flow owns three things, so that the facade and ``rt.raw`` behave identically:

* the identity headers (``Authorization``, ``Service-CRN``, ``IBM-API-Version``, ``User-Agent``);
* the single refresh-and-retry on a 401;
* turning every non-2xx answer into the typed ``ApiError`` before any caller parses the body.

Token lifetime is measured on an injectable monotonic clock from ``expires_in``, never from IAM's
absolute ``expiration``: a replayed cassette then never looks expired.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Any

import httpx

from ._constants import (
    DEFAULT_TOKEN_LIFETIME,
    IAM_GRANT_TYPE,
    IAM_TIMEOUT,
    IAM_TOKEN_PATH,
    TOKEN_EXPIRY_MARGIN,
    TOKEN_EXPIRY_MARGIN_MAX_FRACTION,
    TOKEN_REFRESH_FRACTION,
    TOKEN_REFRESH_RETRY_INTERVAL,
    UNAUTHENTICATED_PATH_SUFFIXES,
    USER_AGENT,
)
from ._credentials import Secret
from ._exceptions import (
    ApiConnectionError,
    AuthenticationError,
    body_snippet,
    error_from_response,
)

__all__ = [
    "AsyncIAMTokenManager",
    "AsyncRuntimeAuth",
    "AsyncStaticToken",
    "IAMTokenManager",
    "RuntimeAuth",
    "StaticToken",
]

logger = logging.getLogger("qiskit_runtime_rest")

Clock = Callable[[], float]


class _Token:
    __slots__ = ("expires_at", "refresh_at", "value")

    def __init__(self, value: str, obtained_at: float, lifetime: float) -> None:
        self.value = value
        margin = min(TOKEN_EXPIRY_MARGIN, lifetime * TOKEN_EXPIRY_MARGIN_MAX_FRACTION)
        self.expires_at = obtained_at + lifetime - margin
        self.refresh_at = obtained_at + lifetime * TOKEN_REFRESH_FRACTION

    def __repr__(self) -> str:
        return f"_Token(refresh_at={self.refresh_at}, expires_at={self.expires_at})"


def token_url(iam_url: str) -> str:
    """``{iam_url}/identity/token``, tolerating an IAM URL that already names the endpoint."""
    base = iam_url.rstrip("/")
    return base if base.endswith(IAM_TOKEN_PATH) else base + IAM_TOKEN_PATH


def build_token_request(iam_url: str, api_key: Secret) -> httpx.Request:
    return httpx.Request(
        "POST",
        token_url(iam_url),
        data={"grant_type": IAM_GRANT_TYPE, "apikey": api_key.get_secret_value()},
        headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        extensions={"timeout": IAM_TIMEOUT.as_dict()},
    )


def _scrub(text: str, api_key: Secret) -> str:
    # IAM has no reason to echo the key, but an error message is the last place it may appear.
    key = api_key.get_secret_value()
    return text.replace(key, "***") if key else text


def _iam_failure(response: httpx.Response, api_key: Secret) -> AuthenticationError:
    """IAM's own words: ``errorMessage``/``errorCode`` (or OAuth's ``error_description``)."""
    text = response.text
    message = code = trace = details = None
    try:
        data: Any = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        message = data.get("errorMessage") or data.get("error_description") or data.get("message")
        code = data.get("errorCode") or data.get("error") or data.get("code")
        details = data.get("errorDetails")
        context = data.get("context")
        if isinstance(context, dict):
            trace = context.get("requestId") or context.get("transactionId")
    message = message or body_snippet(text) or response.reason_phrase or "no details"
    message = f"IBM Cloud IAM refused the API key: {message}"
    if details and details not in message:
        message += f" ({details})"
    return AuthenticationError(
        _scrub(str(message), api_key),
        status_code=response.status_code,
        code=str(code) if code is not None else None,
        trace=str(trace) if trace is not None else None,
        body=_scrub(text, api_key),
        method="POST",
        url=str(response.request.url),
    )


def _parse_token(response: httpx.Response, api_key: Secret, now: float) -> _Token:
    if not response.is_success:
        raise _iam_failure(response, api_key)
    try:
        data: Any = json.loads(response.text)
    except ValueError:
        data = None
    token = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        # Never quote this body: a half-valid answer may still hold a token.
        raise AuthenticationError(
            "IBM Cloud IAM answered without an access_token",
            status_code=response.status_code,
            method="POST",
            url=str(response.request.url),
        )
    lifetime = data.get("expires_in")
    if not isinstance(lifetime, int | float) or isinstance(lifetime, bool) or lifetime <= 0:
        lifetime = DEFAULT_TOKEN_LIFETIME
    logger.debug("obtained an IAM token valid for %s s", lifetime)
    return _Token(token, now, float(lifetime))


def _unreachable(exc: Exception, url: str) -> AuthenticationError:
    return AuthenticationError(
        f"could not reach IBM Cloud IAM: {exc}", status_code=0, method="POST", url=url
    )


class _TokenCache:
    can_refresh = True

    def __init__(self, api_key: Secret, iam_url: str, clock: Clock) -> None:
        self._api_key = api_key
        self._iam_url = iam_url
        self._clock = clock
        self._token: _Token | None = None

    def _fresh(self, now: float) -> str | None:
        token = self._token
        return token.value if token is not None and now < token.refresh_at else None

    def _still_valid(self, now: float) -> str | None:
        token = self._token
        return token.value if token is not None and now < token.expires_at else None

    def _early_refresh_failed(self, exc: AuthenticationError, now: float) -> str | None:
        # The old token still works: keep using it and try again a little later, so a brief IAM
        # outage during the last 20 % of a token's life costs nothing.
        token = self._token
        if token is None or now >= token.expires_at:
            return None
        logger.warning("IAM token refresh failed, keeping the current token for now: %s", exc)
        token.refresh_at = min(now + TOKEN_REFRESH_RETRY_INTERVAL, token.expires_at)
        return token.value

    def seconds_left(self) -> float | None:
        """How long the cached token stays usable (None when there is none)."""
        token = self._token
        return None if token is None else max(0.0, token.expires_at - self._clock())

    def invalidate(self, rejected: str) -> None:
        """Forget ``rejected`` (the API answered 401), unless a newer token already replaced it."""
        if self._token is not None and self._token.value == rejected:
            self._token = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(iam_url={self._iam_url!r})"


class IAMTokenManager(_TokenCache):
    """Thread-safe IAM token cache: one IAM request however many threads need a token at once."""

    def __init__(
        self,
        api_key: Secret,
        iam_url: str,
        send: Callable[[httpx.Request], httpx.Response],
        clock: Clock,
    ) -> None:
        super().__init__(api_key, iam_url, clock)
        self._send = send
        self._lock = threading.Lock()

    def get_token(self) -> str:
        now = self._clock()
        fresh = self._fresh(now)
        if fresh is not None:
            return fresh
        valid = self._still_valid(now)
        # Refresh due but the token still valid: one thread refreshes, the others carry on.
        if not self._lock.acquire(blocking=valid is None):
            assert valid is not None
            return valid
        try:
            now = self._clock()
            fresh = self._fresh(now)
            if fresh is not None:
                return fresh
            try:
                self._token = self._fetch()
            except AuthenticationError as exc:
                kept = self._early_refresh_failed(exc, self._clock())
                if kept is None:
                    raise
                return kept
            return self._token.value
        finally:
            self._lock.release()

    def invalidate(self, rejected: str) -> None:
        with self._lock:
            super().invalidate(rejected)

    def _fetch(self) -> _Token:
        request = build_token_request(self._iam_url, self._api_key)
        try:
            response = self._send(request)
        except (ApiConnectionError, httpx.HTTPError) as exc:
            raise _unreachable(exc, str(request.url)) from exc
        return _parse_token(response, self._api_key, self._clock())


class AsyncIAMTokenManager(_TokenCache):
    """The asyncio twin: one IAM request however many tasks need a token at once."""

    def __init__(
        self,
        api_key: Secret,
        iam_url: str,
        send: Callable[[httpx.Request], Awaitable[httpx.Response]],
        clock: Clock,
    ) -> None:
        super().__init__(api_key, iam_url, clock)
        self._send = send
        self._lock: asyncio.Lock | None = None

    async def get_token(self) -> str:
        now = self._clock()
        fresh = self._fresh(now)
        if fresh is not None:
            return fresh
        if self._lock is None:
            # Created lazily so the manager can be built outside a running loop.
            self._lock = asyncio.Lock()
        valid = self._still_valid(now)
        if valid is not None and self._lock.locked():
            return valid
        async with self._lock:
            now = self._clock()
            fresh = self._fresh(now)
            if fresh is not None:
                return fresh
            try:
                self._token = await self._fetch()
            except AuthenticationError as exc:
                kept = self._early_refresh_failed(exc, self._clock())
                if kept is None:
                    raise
                return kept
            return self._token.value

    async def _fetch(self) -> _Token:
        request = build_token_request(self._iam_url, self._api_key)
        try:
            response = await self._send(request)
        except (ApiConnectionError, httpx.HTTPError) as exc:
            raise _unreachable(exc, str(request.url)) from exc
        return _parse_token(response, self._api_key, self._clock())


class StaticToken:
    """A caller-managed bearer token: used as given, never refreshed."""

    can_refresh = False

    def __init__(self, token: Secret) -> None:
        self._token = token

    def get_token(self) -> str:
        return self._token.get_secret_value()

    def seconds_left(self) -> float | None:
        return None  # a caller-managed token's lifetime is not known here

    def invalidate(self, rejected: str) -> None:
        pass

    def __repr__(self) -> str:
        return "StaticToken()"


class AsyncStaticToken(StaticToken):
    async def get_token(self) -> str:  # type: ignore[override]
        return self._token.get_secret_value()


def needs_identity(request: httpx.Request) -> bool:
    return not request.url.path.rstrip("/").endswith(UNAUTHENTICATED_PATH_SUFFIXES)


class _RuntimeAuthBase(httpx.Auth):
    def __init__(self, crn: str, api_version: str) -> None:
        self._crn = crn
        self._api_version = api_version

    def _stamp(self, request: httpx.Request, token: str | None) -> None:
        request.headers["User-Agent"] = USER_AGENT
        if token is None:
            return
        request.headers["Authorization"] = f"Bearer {token}"
        # setdefault: a per-call header (e.g. an older IBM-API-Version for one call) wins.
        request.headers.setdefault("Service-CRN", self._crn)
        request.headers.setdefault("IBM-API-Version", self._api_version)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(crn={self._crn!r}, api_version={self._api_version!r})"


class RuntimeAuth(_RuntimeAuthBase):
    """The sync auth flow installed on the ``httpx.Client`` of a ``RuntimeClient``."""

    def __init__(self, tokens: IAMTokenManager | StaticToken, crn: str, api_version: str) -> None:
        super().__init__(crn, api_version)
        self._tokens = tokens

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        if not needs_identity(request):
            self._stamp(request, None)
            response = yield request
            _raise_for_status(response)
            return
        token = self._tokens.get_token()
        self._stamp(request, token)
        response = yield request
        if response.status_code == 401 and self._tokens.can_refresh:
            logger.info("API answered 401; refreshing the IAM token and retrying once")
            self._tokens.invalidate(token)
            request.headers["Authorization"] = f"Bearer {self._tokens.get_token()}"
            response = yield request
        _raise_for_status(response)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        raise RuntimeError("RuntimeAuth is for httpx.Client; use AsyncRuntimeAuth")
        yield request  # pragma: no cover - makes this an async generator


class AsyncRuntimeAuth(_RuntimeAuthBase):
    """The async auth flow installed on the ``httpx.AsyncClient`` of an ``AsyncRuntimeClient``."""

    def __init__(
        self, tokens: AsyncIAMTokenManager | AsyncStaticToken, crn: str, api_version: str
    ) -> None:
        super().__init__(crn, api_version)
        self._tokens = tokens

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("AsyncRuntimeAuth is for httpx.AsyncClient; use RuntimeAuth")
        yield request  # pragma: no cover - makes this a generator

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if not needs_identity(request):
            self._stamp(request, None)
            response = yield request
            await _araise_for_status(response)
            return
        token = await self._tokens.get_token()
        self._stamp(request, token)
        response = yield request
        if response.status_code == 401 and self._tokens.can_refresh:
            logger.info("API answered 401; refreshing the IAM token and retrying once")
            self._tokens.invalidate(token)
            request.headers["Authorization"] = f"Bearer {await self._tokens.get_token()}"
            response = yield request
        await _araise_for_status(response)


def _raise_for_status(response: httpx.Response) -> None:
    if not response.is_success:
        response.read()
        raise error_from_response(response)


async def _araise_for_status(response: httpx.Response) -> None:
    if not response.is_success:
        await response.aread()
        raise error_from_response(response)
