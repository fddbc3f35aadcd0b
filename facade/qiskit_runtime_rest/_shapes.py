"""Response shapes that differ by ``IBM-API-Version``, read the same way under each of them.

The facade pins one version (``DEFAULT_API_VERSION``) but ``api_version=`` picks another, and a
maintainer moving the pin runs the tests under both the old and the new one. What moved between
versions is handled here, in one place, so callers read one shape whatever the version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["job_metrics"]

# API versions before 2026-04-15 report it inside `usage`; from 2026-04-15 on, at the root.
_EXECUTION_TIME = "circuits_execution_time_ns"


def job_metrics(body: Any) -> dict[str, Any]:
    """``GET /v1/jobs/{id}/metrics`` as a dict whose ``circuits_execution_time_ns`` is at the root
    under every API version (copied from ``usage`` where older versions put it; ``usage`` itself
    is left as sent). A body that is not an object comes back as ``{"value": body}``."""
    if not isinstance(body, Mapping):
        return {"value": body}
    metrics = dict(body)
    usage = metrics.get("usage")
    if _EXECUTION_TIME not in metrics and isinstance(usage, Mapping) and _EXECUTION_TIME in usage:
        metrics[_EXECUTION_TIME] = usage[_EXECUTION_TIME]
    return metrics
