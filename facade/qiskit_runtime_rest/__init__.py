"""qiskit_runtime_rest: a lean client for IBM's Qiskit Runtime REST API.

The client and the errors load eagerly; every other name (the async client among them) loads on
first use, so ``import qiskit_runtime_rest`` costs little more than ``import httpx`` and never
imports asyncio. Type checkers see every name through the ``TYPE_CHECKING`` imports below.
"""

from typing import TYPE_CHECKING, Any

from ._exceptions import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    JobCancelledError,
    JobFailedError,
    JobSubmissionUnknownError,
    JobTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    QiskitRuntimeError,
    RateLimitError,
    ServerError,
    TranspilerServiceError,
    UnexpectedResponseError,
)
from ._sync._client import RuntimeClient
from ._version import __version__

if TYPE_CHECKING:
    from ._async._client import AsyncRuntimeClient
    from ._async._jobs import AsyncJob
    from ._async._sessions import AsyncSession
    from ._crn import Crn
    from ._models import (
        ApiVersion,
        ApiVersionWarning,
        Backend,
        BackendStatus,
        InstanceConfiguration,
        InstanceInfo,
        InstanceUsage,
        SessionDetails,
        Workload,
    )
    from ._results import (
        BitArray,
        DataBin,
        EstimatorPubResult,
        EstimatorResult,
        SamplerPubResult,
        SamplerResult,
    )
    from ._status import JobStatus
    from ._sync._jobs import Job
    from ._sync._sessions import Session
    from ._transpiled import CircuitLayout, TranspiledQasm, TranspileTask

# Loaded on first use (PEP 562): what a program touches is what it pays for at import.
_LAZY = {
    "AsyncRuntimeClient": "._async._client",
    "AsyncJob": "._async._jobs",
    "AsyncSession": "._async._sessions",
    "CircuitLayout": "._transpiled",
    "Crn": "._crn",
    "Job": "._sync._jobs",
    "JobStatus": "._status",
    "Session": "._sync._sessions",
    "TranspiledQasm": "._transpiled",
    "TranspileTask": "._transpiled",
    **dict.fromkeys(
        [
            "ApiVersion",
            "ApiVersionWarning",
            "Backend",
            "BackendStatus",
            "InstanceConfiguration",
            "InstanceInfo",
            "InstanceUsage",
            "SessionDetails",
            "Workload",
        ],
        "._models",
    ),
    **dict.fromkeys(
        [
            "BitArray",
            "DataBin",
            "EstimatorPubResult",
            "EstimatorResult",
            "SamplerPubResult",
            "SamplerResult",
        ],
        "._results",
    ),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "ApiConnectionError",
    "ApiError",
    "ApiTimeoutError",
    "ApiVersion",
    "ApiVersionWarning",
    "AsyncJob",
    "AsyncRuntimeClient",
    "AsyncSession",
    "AuthenticationError",
    "Backend",
    "BackendStatus",
    "BitArray",
    "CircuitLayout",
    "ConflictError",
    "Crn",
    "DataBin",
    "EstimatorPubResult",
    "EstimatorResult",
    "InstanceConfiguration",
    "InstanceInfo",
    "InstanceUsage",
    "InvalidInputError",
    "Job",
    "JobCancelledError",
    "JobFailedError",
    "JobStatus",
    "JobSubmissionUnknownError",
    "JobTimeoutError",
    "NotFoundError",
    "PermissionDeniedError",
    "QiskitRuntimeError",
    "RateLimitError",
    "RuntimeClient",
    "SamplerPubResult",
    "SamplerResult",
    "ServerError",
    "Session",
    "SessionDetails",
    "TranspileTask",
    "TranspiledQasm",
    "TranspilerServiceError",
    "UnexpectedResponseError",
    "Workload",
    "__version__",
]
