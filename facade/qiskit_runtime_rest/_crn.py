"""Service CRNs, and the API and IAM hosts they imply.

A Qiskit Runtime instance CRN has ten colon-separated segments:
``crn:v1:<cname>:<ctype>:quantum-computing:<region>:a/<account>:<instance>::``. It is checked
before any request so a typo fails with a message naming the bad segment instead of a 401 later.
"""

from __future__ import annotations

import logging
import re
from typing import NamedTuple

import httpx

from ._constants import DEFAULT_CLOUD_HOST, DEFAULT_REGION, STAGING_CLOUD_HOST
from ._exceptions import InvalidInputError

__all__ = ["Crn", "api_base_url", "iam_base_url", "is_cloud_url", "normalize_base_url"]

_SEGMENT_NAMES = (
    "prefix",
    "version",
    "cname",
    "ctype",
    "service name",
    "region",
    "scope",
    "service instance",
    "resource type",
    "resource",
)
logger = logging.getLogger("qiskit_runtime_rest")

_TOKEN = re.compile(r"^[a-z0-9][a-z0-9-]*\Z")
_ACCOUNT = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
_INSTANCE = re.compile(r"^[A-Za-z0-9_-]{1,128}\Z")
_EXAMPLE = "crn:v1:bluemix:public:quantum-computing:<region>:a/<account>:<instance>::"


class Crn(NamedTuple):
    """A parsed, validated instance CRN. ``str(crn)`` is the exact header value."""

    cname: str
    ctype: str
    region: str
    account_id: str
    instance_id: str

    @classmethod
    def parse(cls, value: str) -> Crn:
        """Validate ``value``; raise ``InvalidInputError`` naming the first bad segment."""
        if not isinstance(value, str):
            raise InvalidInputError(f"CRN must be a string, got {type(value).__name__}")
        text = value.strip()
        if not text:
            raise InvalidInputError(f"CRN is empty; expected {_EXAMPLE}")
        parts = text.split(":")
        if len(parts) != len(_SEGMENT_NAMES):
            raise InvalidInputError(
                f"CRN {text!r} has {len(parts)} colon-separated segments, expected "
                f"{len(_SEGMENT_NAMES)} ({_EXAMPLE})"
            )
        prefix, version, cname, ctype, service, region, scope, instance, rtype, resource = parts
        _check(prefix == "crn", 0, prefix, "'crn'")
        _check(version == "v1", 1, version, "'v1'")
        _check(bool(_TOKEN.match(cname)), 2, cname, "e.g. 'bluemix' or 'staging'")
        _check(bool(_TOKEN.match(ctype)), 3, ctype, "e.g. 'public'")
        _check(service == "quantum-computing", 4, service, "'quantum-computing'")
        _check(bool(_TOKEN.match(region)), 5, region, "a region such as 'us-east' or 'eu-de'")
        account = scope[2:] if scope.startswith("a/") else ""
        _check(bool(_ACCOUNT.match(account)), 6, scope, "'a/<account id>'")
        _check(bool(_INSTANCE.match(instance)), 7, instance, "the instance id")
        _check(rtype == "", 8, rtype, "empty (an instance CRN ends with '::')")
        _check(resource == "", 9, resource, "empty (an instance CRN ends with '::')")
        return cls(
            cname=cname, ctype=ctype, region=region, account_id=account, instance_id=instance
        )

    @property
    def is_staging(self) -> bool:
        return self.cname == "staging"

    def __str__(self) -> str:
        return (
            f"crn:v1:{self.cname}:{self.ctype}:quantum-computing:{self.region}:"
            f"a/{self.account_id}:{self.instance_id}::"
        )


def _check(ok: bool, index: int, found: str, expected: str) -> None:
    if not ok:
        raise InvalidInputError(
            f"invalid CRN: segment {index + 1} ({_SEGMENT_NAMES[index]}) is {found!r}, "
            f"expected {expected}; a Qiskit Runtime instance CRN looks like {_EXAMPLE}"
        )


def is_cloud_url(url: str) -> bool:
    """True for an IBM Cloud URL (``https://cloud.ibm.com``) as qiskit-ibm-runtime stores it.

    Such a URL names the cloud, not the API: the API host is derived from it and the CRN's region.
    Anything else (``https://quantum.cloud.ibm.com/api``, ``http://127.0.0.1:8000``) is taken as
    the API base URL itself.
    """
    host = httpx.URL(url).host
    return host.endswith("cloud.ibm.com") and "quantum" not in host and "iam." not in host


def api_base_url(crn: Crn, *, cloud_url: str | None = None, private_endpoint: bool = False) -> str:
    """The API base URL for ``crn``'s region: us-east has no host prefix, private endpoints
    have ``private.<region>.``."""
    scheme, host = _cloud(crn, cloud_url)
    if private_endpoint:
        return f"{scheme}://private.{crn.region}.quantum.{host}/api"
    prefix = "" if crn.region == DEFAULT_REGION else f"{crn.region}."
    return f"{scheme}://{prefix}quantum.{host}/api"


def iam_base_url(crn: Crn, *, cloud_url: str | None = None, private_endpoint: bool = False) -> str:
    """IBM Cloud IAM for ``crn``'s cloud: ``iam.cloud.ibm.com``, ``iam.test.cloud.ibm.com``, ..."""
    scheme, host = _cloud(crn, cloud_url)
    return f"{scheme}://{'private.' if private_endpoint else ''}iam.{host}"


def normalize_base_url(url: str) -> str:
    """Strip a trailing slash and a trailing ``/v1``: routes are written as ``/v1/...``.

    qiskit-ibm-runtime's own base URLs end in ``/api/v1``; accepting those avoids ``/v1/v1``.
    The scheme, host and port are kept exactly.
    """
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, AttributeError):
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        shown = url.split("@")[-1] if isinstance(url, str) else url
        raise InvalidInputError(f"base_url {shown!r:.80} is not an http(s) URL")
    if parsed.userinfo:
        # The API authenticates with IAM bearer tokens, so a user and password in the URL are
        # never sent; kept, they would show in every request's repr, error and traceback.
        logger.warning(
            "base_url carries a user and password; they are dropped (the API "
            "authenticates with IAM tokens, not with credentials in the URL)"
        )
        parsed = parsed.copy_with(username=None, password=None)
    text = str(parsed).rstrip("/")
    if text.endswith("/v1"):
        text = text[: -len("/v1")]
    return text


def _cloud(crn: Crn, cloud_url: str | None) -> tuple[str, str]:
    if cloud_url:
        parsed = httpx.URL(cloud_url)
        return parsed.scheme or "https", parsed.host
    return "https", STAGING_CLOUD_HOST if crn.is_staging else DEFAULT_CLOUD_HOST
