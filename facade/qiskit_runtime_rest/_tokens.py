"""IAM tokens, I/O-free: the token request, IAM's answers, the cache's freshness rules, and the
identity headers every API request carries.

Token lifetime is measured on an injectable monotonic clock from ``expires_in``, never from IAM's
absolute ``expiration``: a replayed cassette then never looks expired. A token is refreshed once
80 % of its lifetime has passed and never sent after its end (minus a margin).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
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
from ._exceptions import AuthenticationError, body_snippet
from ._secret import Secret

logger = logging.getLogger("qiskit_runtime_rest")

Clock = Callable[[], float]


class Token:
    __slots__ = ("expires_at", "refresh_at", "value")

    def __init__(self, value: str, obtained_at: float, lifetime: float) -> None:
        self.value = value
        margin = min(TOKEN_EXPIRY_MARGIN, lifetime * TOKEN_EXPIRY_MARGIN_MAX_FRACTION)
        self.expires_at = obtained_at + lifetime - margin
        self.refresh_at = obtained_at + lifetime * TOKEN_REFRESH_FRACTION

    def __repr__(self) -> str:
        return f"Token(refresh_at={self.refresh_at}, expires_at={self.expires_at})"


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


def iam_failure(response: httpx.Response, api_key: Secret) -> AuthenticationError:
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


def parse_token(response: httpx.Response, api_key: Secret, now: float) -> Token:
    if not response.is_success:
        raise iam_failure(response, api_key)
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
    return Token(token, now, float(lifetime))


def unreachable(exc: Exception, url: str) -> AuthenticationError:
    return AuthenticationError(
        f"could not reach IBM Cloud IAM: {exc}", status_code=0, method="POST", url=url
    )


class TokenCache:
    can_refresh = True

    def __init__(self, api_key: Secret, iam_url: str, clock: Clock) -> None:
        self._api_key = api_key
        self._iam_url = iam_url
        self._clock = clock
        self._token: Token | None = None

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

    def forget(self) -> None:
        """Drop the cached token (after a logout): the next call fetches a new one."""
        self._token = None

    def invalidate(self, rejected: str) -> None:
        """Forget ``rejected`` (the API answered 401), unless a newer token already replaced it."""
        if self._token is not None and self._token.value == rejected:
            self._token = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(iam_url={self._iam_url!r})"


def needs_identity(request: httpx.Request) -> bool:
    return not request.url.path.rstrip("/").endswith(UNAUTHENTICATED_PATH_SUFFIXES)


def bearer_of(request: httpx.Request) -> str:
    """The token a request was stamped with."""
    header: str = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ")


def stamp_identity(request: httpx.Request, token: str | None, crn: str, api_version: str) -> None:
    """Add the headers every request carries; the identity ones only when ``token`` is given."""
    request.headers["User-Agent"] = USER_AGENT
    if token is None:
        return
    request.headers["Authorization"] = f"Bearer {token}"
    # setdefault: a per-call header (e.g. an older IBM-API-Version for one call) wins.
    request.headers.setdefault("Service-CRN", crn)
    request.headers.setdefault("IBM-API-Version", api_version)
