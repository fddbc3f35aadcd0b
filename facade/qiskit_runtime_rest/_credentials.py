"""Where credentials come from: arguments, the environment, or qiskit-ibm-runtime's account file.

Everything here resolves to an ``AccountSettings`` the client constructor understands. Secrets are
held in ``Secret`` so that no repr, log line or traceback local ever shows them.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from ._constants import (
    DEFAULT_ACCOUNT_FILE,
    DEFAULT_ACCOUNT_NAMES,
    DEFAULT_CLOUD_URL,
    ENV_IAM_URL,
    ENV_INSTANCE,
    ENV_TOKEN,
    ENV_URL,
    SUPPORTED_CHANNELS,
)
from ._crn import Crn, api_base_url, iam_base_url, is_cloud_url
from ._exceptions import InvalidInputError
from ._secret import Secret

__all__ = ["AccountSettings", "Secret", "account_from_env", "load_saved_account", "save_account"]

logger = logging.getLogger("qiskit_runtime_rest")


class AccountSettings(NamedTuple):
    """Resolved connection settings; the keyword arguments of the client constructor."""

    api_key: Secret
    crn: str
    base_url: str | None = None
    iam_url: str | None = None
    private_endpoint: bool = False
    verify: bool = True

    def client_kwargs(self) -> dict[str, Any]:
        return {
            "api_key": self.api_key.get_secret_value(),
            "crn": self.crn,
            "base_url": self.base_url,
            "iam_url": self.iam_url,
            "private_endpoint": self.private_endpoint,
            "verify": self.verify,
        }


def _resolve_urls(
    crn: Crn, url: str | None, iam_url: str | None, private_endpoint: bool
) -> tuple[str | None, str | None]:
    """Map a qiskit-ibm-runtime style ``url`` to (API base URL, IAM URL).

    A cloud URL (``https://cloud.ibm.com``, ``https://test.cloud.ibm.com``) only names the cloud;
    any other URL is the API base URL itself (a local emulator, a proxy, a dedicated host).
    """
    if not url:
        return None, iam_url
    if is_cloud_url(url):
        base = api_base_url(crn, cloud_url=url, private_endpoint=private_endpoint)
        iam = iam_url or iam_base_url(crn, cloud_url=url, private_endpoint=private_endpoint)
        return base, iam
    return url, iam_url


def account_from_env(environ: Mapping[str, str] | None = None) -> AccountSettings:
    """Read ``QISKIT_IBM_TOKEN`` (API key), ``QISKIT_IBM_INSTANCE`` (CRN), ``QISKIT_IBM_URL`` and
    ``IAM_URL``."""
    env = os.environ if environ is None else environ
    token = env.get(ENV_TOKEN, "").strip()
    instance = env.get(ENV_INSTANCE, "").strip()
    if not token:
        raise InvalidInputError(
            f"environment variable {ENV_TOKEN} (your IBM Cloud API key) is not set"
        )
    if not instance:
        raise InvalidInputError(
            f"environment variable {ENV_INSTANCE} (your instance CRN, crn:v1:...) is not set"
        )
    base_url, iam_url = _resolve_urls(
        Crn.parse(instance),
        env.get(ENV_URL, "").strip() or None,
        env.get(ENV_IAM_URL, "").strip() or None,
        False,
    )
    return AccountSettings(api_key=Secret(token), crn=instance, base_url=base_url, iam_url=iam_url)


def _account_file(filename: str | os.PathLike[str] | None) -> Path:
    return Path(os.path.expanduser(os.fspath(filename or DEFAULT_ACCOUNT_FILE)))


def _read_accounts(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInputError(
            f"no saved accounts: {path} does not exist (save one with RuntimeClient.save_account)"
        ) from None
    # The file holds API keys: no frame or chained exception may keep its text (a traceback
    # printed with locals, or JSONDecodeError.doc, would show it), so the error is raised after
    # both are gone.
    problem = data = None
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        problem = f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}"
    del text
    if problem is not None:
        raise InvalidInputError(problem)
    if not isinstance(data, dict):
        raise InvalidInputError(f"{path} should hold a JSON object of named accounts")
    return data


def _pick_default(accounts: Mapping[str, Any]) -> str | None:
    for name, entry in accounts.items():
        if isinstance(entry, dict) and entry.get("is_default_account"):
            return name
    for name in DEFAULT_ACCOUNT_NAMES:
        if name in accounts:
            return name
    return None


def load_saved_account(
    name: str | None = None, filename: str | os.PathLike[str] | None = None
) -> AccountSettings:
    """Load a named account (or the default one) from qiskit-ibm-runtime's account file.

    Without ``name``: the entry marked ``is_default_account``, else
    ``default-ibm-quantum-platform``, else ``default-ibm-cloud``.
    """
    path = _account_file(filename)
    accounts = _read_accounts(path)
    chosen = name if name is not None else _pick_default(accounts)
    if chosen is None or chosen not in accounts:
        available = ", ".join(sorted(accounts)) or "none"
        wanted = repr(chosen) if chosen is not None else "a default account"
        raise InvalidInputError(f"{path} has no {wanted}; saved accounts: {available}")
    entry = accounts[chosen]
    if not isinstance(entry, dict):
        raise InvalidInputError(f"saved account {chosen!r} in {path} is not a JSON object")
    channel = entry.get("channel") or "ibm_quantum_platform"
    if channel not in SUPPORTED_CHANNELS:
        raise InvalidInputError(
            f"saved account {chosen!r} has channel {channel!r}; this client speaks the IBM Quantum "
            f"Platform API, which accepts {sorted(SUPPORTED_CHANNELS)}"
        )
    token = entry.get("token")
    if not isinstance(token, str) or not token.strip():
        raise InvalidInputError(f"saved account {chosen!r} has no token (API key)")
    instance = entry.get("instance")
    if not isinstance(instance, str) or not instance.strip():
        raise InvalidInputError(
            f"saved account {chosen!r} has no instance CRN; save one with an instance, or pass crn="
        )
    crn = Crn.parse(instance)
    private = bool(entry.get("private_endpoint", False))
    url = entry.get("url") if isinstance(entry.get("url"), str) else None
    base_url, iam_url = _resolve_urls(crn, url, os.environ.get(ENV_IAM_URL) or None, private)
    logger.debug("loaded saved account %r from %s", chosen, path)
    return AccountSettings(
        api_key=Secret(token),
        crn=instance.strip(),
        base_url=base_url,
        iam_url=iam_url,
        private_endpoint=private,
        verify=bool(entry.get("verify", True)),
    )


def save_account(
    *,
    api_key: str,
    crn: str,
    name: str | None = None,
    filename: str | os.PathLike[str] | None = None,
    url: str | None = None,
    channel: str = "ibm_quantum_platform",
    private_endpoint: bool = False,
    verify: bool = True,
    set_as_default: bool = False,
    overwrite: bool = False,
) -> Path:
    """Save an account in qiskit-ibm-runtime's format, in a file only its owner can read (0600).

    Returns the file's path. Refuses to replace an existing entry unless ``overwrite``.
    """
    if channel not in SUPPORTED_CHANNELS:
        raise InvalidInputError(f"channel must be one of {sorted(SUPPORTED_CHANNELS)}")
    Crn.parse(crn)
    key = Secret(api_key)
    name = name or (
        DEFAULT_ACCOUNT_NAMES[0] if channel == "ibm_quantum_platform" else DEFAULT_ACCOUNT_NAMES[1]
    )
    path = _account_file(filename)
    accounts = _read_accounts(path) if path.exists() else {}
    if name in accounts and not overwrite:
        raise InvalidInputError(f"account {name!r} already exists in {path}; pass overwrite=True")
    entry: dict[str, Any] = {
        "channel": channel,
        "instance": crn.strip(),
        "private_endpoint": private_endpoint,
        "token": key.get_secret_value(),
        "url": url or DEFAULT_CLOUD_URL,
        "verify": verify,
    }
    if set_as_default:
        for other_name, other in accounts.items():
            if other_name != name and isinstance(other, dict) and other.get("is_default_account"):
                if not overwrite:
                    raise InvalidInputError(
                        f"{other_name!r} is already the default account; pass overwrite=True"
                    )
                del other["is_default_account"]
        entry["is_default_account"] = True
    accounts[name] = entry
    _write_private(path, json.dumps(accounts, sort_keys=True, indent=4))
    return path


def remove_saved_account(
    name: str | None = None, filename: str | os.PathLike[str] | None = None
) -> tuple[str, Path]:
    """Remove a named account (or the default one) from the account file, keeping the file
    0600; returns the name removed and the file."""
    path = _account_file(filename)
    accounts = _read_accounts(path)
    chosen = name if name is not None else _pick_default(accounts)
    if chosen is None or chosen not in accounts:
        available = ", ".join(sorted(accounts)) or "none"
        wanted = repr(chosen) if chosen is not None else "a default account"
        raise InvalidInputError(f"{path} has no {wanted}; saved accounts: {available}")
    del accounts[chosen]
    _write_private(path, json.dumps(accounts, sort_keys=True, indent=4))
    return chosen, path


def _write_private(path: Path, text: str) -> None:
    # mkstemp creates the file 0600; renaming it over the target means the secret is never
    # readable by others, not even briefly, and an existing world-readable file ends up 0600 too.
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
