"""Authentication: the IAM token manager and the ``httpx.Auth`` flow that stamps every request.

The auth flow owns three things, so that the facade and ``rt.raw`` behave identically:

* the identity headers (``Authorization``, ``Service-CRN``, ``IBM-API-Version``, ``User-Agent``);
* the single refresh-and-retry on a 401;
* turning every non-2xx answer into the typed ``ApiError`` before any caller parses the body.

The token rules themselves (lifetime, refresh at 80 %, IAM's answers) are I/O-free, in
``_tokens.py``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable, Callable

import httpx

from .._exceptions import ApiConnectionError, AuthenticationError, error_from_response
from .._secret import Secret
from .._tokens import (
    Clock,
    Token,
    TokenCache,
    bearer_of,
    build_token_request,
    needs_identity,
    parse_token,
    stamp_identity,
    unreachable,
)
from ._flavour import AuthBase, Lock, Slots

__all__ = ["AsyncIAMTokenManager", "AsyncRuntimeAuth", "AsyncStaticToken"]

logger = logging.getLogger("qiskit_runtime_rest")


class AsyncIAMTokenManager(TokenCache):
    """IAM token cache: one IAM request however many threads or tasks need a token at once.

    While a refresh is due but the old token is still valid, one caller refreshes and the
    others carry on with the old token instead of queuing behind it.
    """

    def __init__(
        self,
        api_key: Secret,
        iam_url: str,
        send: Callable[[httpx.Request], Awaitable[httpx.Response]],
        clock: Clock,
    ) -> None:
        super().__init__(api_key, iam_url, clock)
        self._send = send
        self._lock = Lock()

    async def get_token(self) -> str:
        """A token valid now, fetched from IAM only when the cached one is due for refresh."""
        now = self._clock()
        fresh = self._fresh(now)
        if fresh is not None:
            return fresh
        valid = self._still_valid(now)
        if valid is not None and self._lock.locked():
            return valid
        async with self._lock:
            now = self._clock()
            fresh = self._fresh(now)
            if fresh is not None:
                return fresh
            try:
                token = await self._fetch()
            except AuthenticationError as exc:
                kept = self._early_refresh_failed(exc, self._clock())
                if kept is None:
                    raise
                return kept
            self._token = token
            return token.value

    async def _fetch(self) -> Token:
        request = build_token_request(self._iam_url, self._api_key)
        try:
            response = await self._send(request)
        except (ApiConnectionError, httpx.HTTPError) as exc:
            raise unreachable(exc, str(request.url)) from exc
        return parse_token(response, self._api_key, self._clock())


class AsyncStaticToken:
    """A caller-managed bearer token: used as given, never refreshed."""

    can_refresh = False

    def __init__(self, token: Secret) -> None:
        self._token = token

    async def get_token(self) -> str:
        """The token, as given."""
        return self._token.get_secret_value()

    def seconds_left(self) -> float | None:
        return None  # a caller-managed token's lifetime is not known here

    def invalidate(self, rejected: str) -> None:
        pass

    def forget(self) -> None:
        pass  # the caller's token: this client cannot fetch another one

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class AsyncRuntimeAuth(AuthBase):
    """The auth flow installed on the client's httpx client."""

    def __init__(
        self,
        tokens: AsyncIAMTokenManager | AsyncStaticToken,
        crn: str,
        api_version: str,
        connections: int | None = None,
    ) -> None:
        self._tokens = tokens
        self._crn = crn
        self._api_version = api_version
        # As many requests past the token as there are connections: the others queue here,
        # before a token is chosen, not in the pool with a token that may expire meanwhile.
        self._slots = Slots(connections)

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if not needs_identity(request):
            stamp_identity(request, None, self._crn, self._api_version)
            response = yield request
            await _raise_for_status(response)
            return
        # No local holds the token: this frame shows in the traceback of any API error.
        async with self._slots:
            stamp_identity(request, await self._tokens.get_token(), self._crn, self._api_version)
            response = yield request
            if response.status_code == 401 and self._tokens.can_refresh:
                logger.info("API answered 401; refreshing the IAM token and retrying once")
                self._tokens.invalidate(bearer_of(request))
                stamp_identity(
                    request, await self._tokens.get_token(), self._crn, self._api_version
                )
                response = yield request
        await _raise_for_status(response)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(crn={self._crn!r}, api_version={self._api_version!r})"


async def _raise_for_status(response: httpx.Response) -> None:
    if not response.is_success:
        await response.aread()
        raise error_from_response(response)
