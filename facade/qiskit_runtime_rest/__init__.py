"""qiskit_runtime_rest: a lean client for IBM's Qiskit Runtime REST API."""

from ._client import AsyncRuntimeClient, RuntimeClient
from ._crn import Crn
from ._exceptions import (
    ApiConnectionError,
    ApiError,
    ApiTimeoutError,
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    JobCancelledError,
    JobFailedError,
    JobTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    QiskitRuntimeError,
    RateLimitError,
    ServerError,
)
from ._resources import (
    ApiVersion,
    ApiVersionWarning,
    Backend,
    BackendStatus,
    InstanceConfiguration,
    InstanceInfo,
    InstanceUsage,
    Workload,
)
from ._version import __version__

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "ApiTimeoutError",
    "ApiVersion",
    "ApiVersionWarning",
    "AsyncRuntimeClient",
    "AuthenticationError",
    "Backend",
    "BackendStatus",
    "ConflictError",
    "Crn",
    "InstanceConfiguration",
    "InstanceInfo",
    "InstanceUsage",
    "InvalidInputError",
    "JobCancelledError",
    "JobFailedError",
    "JobTimeoutError",
    "NotFoundError",
    "PermissionDeniedError",
    "QiskitRuntimeError",
    "RateLimitError",
    "RuntimeClient",
    "ServerError",
    "Workload",
    "__version__",
]
