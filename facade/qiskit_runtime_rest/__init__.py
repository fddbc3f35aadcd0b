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
    JobSubmissionUnknownError,
    JobTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    QiskitRuntimeError,
    RateLimitError,
    ServerError,
)
from ._jobs import AsyncJob, Job
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
from ._results import (
    BitArray,
    DataBin,
    EstimatorPubResult,
    EstimatorResult,
    SamplerPubResult,
    SamplerResult,
)
from ._sessions import AsyncSession, Session, SessionDetails
from ._status import JobStatus
from ._version import __version__

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
    "Workload",
    "__version__",
]
