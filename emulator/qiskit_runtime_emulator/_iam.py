"""A stand-in for IBM Cloud IAM: API keys in, JWT-shaped bearer tokens out.

Tokens are real JWTs (HS256 with a per-process secret) so that clients which decode them for
``exp``/``iat`` (IBM's own SDK does) work unchanged. A token names the user, never the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from typing import Any

from ._constants import DEFAULT_USER_ID

__all__ = ["APIKEY_GRANT", "TokenIssuer"]

APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    def __init__(self, api_keys: tuple[str, ...], account_id: str, ttl: int) -> None:
        # The first key belongs to the default user, so a one-key emulator has one stable user.
        self._users = {
            key: DEFAULT_USER_ID if index == 0 else f"IBMid-EMU{index + 1:07d}"
            for index, key in enumerate(api_keys)
        }
        self._account_id = account_id
        self._ttl = ttl
        self._secret = os.urandom(32)
        self._revoked_before = 0.0
        self._logged_out: set[str] = set()  # jti of tokens presented to POST /v1/logout
        self._lock = threading.Lock()

    def user_for_key(self, api_key: str) -> str | None:
        for key, user in self._users.items():
            if hmac.compare_digest(key.encode(), api_key.encode()):
                return user
        return None

    def issue(self, user_id: str) -> dict[str, Any]:
        """The IAM token response for a user whose key has been checked."""
        # Sub-second issue time keeps revoke_all() exact for tokens minted in the same second.
        issued = time.time()
        now = int(issued)
        payload = {
            "iam_id": user_id,
            "id": user_id,
            "realmid": "IBMid",
            "sub": user_id,
            "sub_type": "User",
            "account": {"bss": self._account_id, "valid": True},
            "iat": now,
            "exp": now + self._ttl,
            "iss": "https://iam.cloud.ibm.com/identity",
            "grant_type": APIKEY_GRANT,
            "scope": "ibm openid",
            "client_id": "default",
            "jti": uuid.uuid4().hex,
            "emu_iat": issued,
        }
        header = {"alg": "HS256", "typ": "JWT", "kid": "emulator"}
        signing_input = (
            _b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64url(json.dumps(payload, separators=(",", ":")).encode())
        )
        signature = hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()
        return {
            "access_token": f"{signing_input}.{_b64url(signature)}",
            "refresh_token": "not_supported",
            "ims_user_id": 0,
            "token_type": "Bearer",
            "expires_in": self._ttl,
            "expiration": now + self._ttl,
            "scope": "ibm openid",
        }

    def verify(self, token: str, *, revoke_after: float | None = None) -> str | None:
        """The user id of a valid token, or None if it is forged, expired or revoked."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        signing_input = f"{parts[0]}.{parts[1]}".encode()
        expected = hmac.new(self._secret, signing_input, hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(expected, _b64url_decode(parts[2])):
                return None
            payload = json.loads(_b64url_decode(parts[1]))
        except ValueError:
            return None
        now = time.time()
        issued = float(payload["emu_iat"])
        if now >= payload["exp"]:
            return None
        with self._lock:
            if issued < self._revoked_before or payload.get("jti") in self._logged_out:
                return None
        if revoke_after is not None and now >= issued + revoke_after:
            return None
        return str(payload["sub"])

    def log_out(self, token: str) -> None:
        """Refuse ``token`` from now on (``POST /v1/logout``); the API key, and tokens it
        mints later, stay valid. Call it only with a token ``verify`` accepted."""
        payload = json.loads(_b64url_decode(token.split(".")[1]))
        with self._lock:
            self._logged_out.add(str(payload["jti"]))

    def revoke_all(self) -> None:
        """Invalidate every token issued so far (as if IAM revoked them early)."""
        with self._lock:
            self._revoked_before = time.time()
