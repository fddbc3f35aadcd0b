"""Test helpers: the one cassette-scrubbing configuration, and a scanner for leaked secrets.

Use it from a ``conftest.py`` with pytest-recording::

    from qiskit_runtime_rest.testing import vcr_config as _vcr_config

    @pytest.fixture(scope="module")
    def vcr_config():
        return _vcr_config()

Recording then never writes a credential: the ``Authorization`` and ``Service-CRN`` headers, the
``apikey`` form field of the IAM exchange and the ``access_token``/``refresh_token`` of its answer
are replaced by ``REDACTED`` before anything reaches disk. ``find_secrets`` checks a cassette (or
any text) afterwards. vcrpy is not imported here: its request and response objects are duck-typed.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = [
    "LOOPBACK_HOSTS",
    "REDACTED",
    "SECRET_FIELDS",
    "SECRET_HEADERS",
    "find_secrets",
    "scrub_request",
    "scrub_response",
    "vcr_config",
]

REDACTED = "REDACTED"
SECRET_HEADERS = ("authorization", "service-crn", "cookie", "set-cookie", "x-api-key")
# JSON keys and form fields whose values are credentials wherever they appear.
SECRET_FIELDS = frozenset(
    {"apikey", "api_key", "access_token", "refresh_token", "delegated_refresh_token", "token"}
)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def vcr_config() -> dict[str, Any]:
    """Keyword arguments for ``vcr.VCR`` / pytest-recording's ``vcr_config`` fixture."""
    return {
        "record_mode": "none",
        "filter_headers": [(name, REDACTED) for name in SECRET_HEADERS],
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
        # Never the body: a real request carries the real API key, the cassette a placeholder.
        "match_on": ["method", "scheme", "host", "port", "path", "query"],
        "allowed_hosts": list(LOOPBACK_HOSTS),
    }


def _scrub_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED
            if key.lower() in SECRET_FIELDS and value is not None
            else _scrub_json(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub_json(item) for item in value]
    return value


def _scrub_body(body: bytes | str | None, content_type: str) -> bytes | str | None:
    if not body:
        return body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if "x-www-form-urlencoded" in content_type or (
        not content_type and "=" in text and "{" not in text
    ):
        pairs = parse_qsl(text, keep_blank_values=True)
        scrubbed = urlencode([(k, REDACTED if k.lower() in SECRET_FIELDS else v) for k, v in pairs])
    else:
        try:
            data = json.loads(text)
        except ValueError:
            return body
        clean = _scrub_json(data)
        if clean == data:
            return body  # nothing secret: keep the recorded bytes exactly
        scrubbed = json.dumps(clean)
    return scrubbed.encode() if isinstance(body, bytes) else scrubbed


def _header(headers: Any, name: str) -> str:
    for key, value in dict(headers or {}).items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) else str(value)
    return ""


def scrub_request(request: Any) -> Any:
    """vcrpy ``before_record_request``: redact secret headers and form/JSON fields."""
    for key in list(request.headers):
        if key.lower() in SECRET_HEADERS:
            request.headers[key] = REDACTED
    request.body = _scrub_body(request.body, _header(request.headers, "content-type"))
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """vcrpy ``before_record_response``: redact tokens in bodies (the IAM answer) and cookies."""
    headers = response.get("headers") or {}
    for key in list(headers):
        if key.lower() in SECRET_HEADERS:
            headers[key] = [REDACTED]
    body = response.get("body") or {}
    if "string" in body:
        body["string"] = _scrub_body(body["string"], _header(headers, "content-type"))
    return response


_PLACEHOLDER = re.compile(r"^(REDACTED|\*+|<[^>]*>|x+|\.\.\.|null|none)$", re.IGNORECASE)
_FINDERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("JSON web token", re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("bearer token", re.compile(r"Bearer\s+(?P<value>[^\s\"',\]]+)", re.IGNORECASE)),
    ("apikey authorization", re.compile(r"\bapikey\s+(?P<value>[A-Za-z0-9_-]{20,})")),
    (
        "credential field",
        re.compile(
            r"(?P<key>apikey|api_key|access_token|refresh_token|delegated_refresh_token)"
            r"[\"']?\s*[:=]\s*[\"']?(?P<value>[^\s\"'&,}\]]*)",
            re.IGNORECASE,
        ),
    ),
    (
        "authorization header",
        re.compile(r"(?im)^\s*-?\s*[\"']?authorization[\"']?\s*:\s*(?P<value>.*)$"),
    ),
)


def find_secrets(text: str) -> list[str]:
    """Describe every credential-looking value in ``text`` (empty list: clean).

    Placeholders (``REDACTED``, ``***``, ``<...>``) are fine. The descriptions name the kind and
    the line, never the value itself, so a failing test does not leak what it found.
    """
    findings: list[str] = []
    for kind, pattern in _FINDERS:
        for match in pattern.finditer(text):
            value = match.groupdict().get("value")
            if value is not None:
                value = value.strip().strip("\"'[]")
                # An empty value is a YAML header list continuing on the next line: checked there.
                if not value or _PLACEHOLDER.match(value) or value.lower() == "bearer":
                    continue
                if kind == "authorization header" and _PLACEHOLDER.match(
                    value.split()[-1].strip("\"'[]")
                ):
                    continue
            line = text.count("\n", 0, match.start()) + 1
            findings.append(f"line {line}: {kind}")
    return findings
